{#- SQL that DuckDB and Spark SQL spell differently, one adapter.dispatch macro each: the
    `default__` version is the DuckDB SQL the models always had (so the DuckDB build compiles to
    the same SQL), `spark__` the Spark SQL 4.0 equivalent. A model that uses only these and
    portable SQL carries the tag `spark` and is built by `adrpulse build --target spark`
    (docs/scaling.md lists what is portable and what is not yet). -#}

{#- The value of `value` on the row where `ordering` is largest (DuckDB arg_max, Spark max_by).
    `ordering` is one expression or a list of them, compared in order (as in arg_min below). -#}
{% macro arg_max(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max')(value, ordering)) }}
{%- endmacro %}

{% macro default__arg_max(value, ordering) -%}
    {%- if ordering is string -%}
    arg_max({{ value }}, {{ ordering }})
    {%- else -%}
    arg_max({{ value }}, ({{ ordering | join(', ') }}))
    {%- endif -%}
{%- endmacro %}

{% macro spark__arg_max(value, ordering) -%}
    {%- if ordering is string -%}
    max_by({{ value }}, {{ ordering }})
    {%- else -%}
    max_by({{ value }}, struct({{ ordering | join(', ') }}))
    {%- endif -%}
{%- endmacro %}

{#- A navigation window function skipping nulls, e.g. ignore_nulls('lag', 'price') followed by
    `over ...`: DuckDB takes IGNORE NULLS inside the parentheses, Spark after them. -#}
{% macro ignore_nulls(function, expression) -%}
    {{ return(adapter.dispatch('ignore_nulls')(function, expression)) }}
{%- endmacro %}

{% macro default__ignore_nulls(function, expression) -%}
    {{ function }}({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__ignore_nulls(function, expression) -%}
    {{ function }}({{ expression }}) ignore nulls
{%- endmacro %}

{#- The product of `expression` over the window that follows (`over ...` is passed in, since
    Spark has no product aggregate): nulls are skipped, as DuckDB's product does. Spark
    multiplies the window's values in order with aggregate(); exp(sum(ln(x))) would not be exact
    to 1e-9 over long windows and fails on a zero. -#}
{% macro product_over(expression, over_clause) -%}
    {{ return(adapter.dispatch('product_over')(expression, over_clause)) }}
{%- endmacro %}

{% macro default__product_over(expression, over_clause) -%}
    product({{ expression }}) over {{ over_clause }}
{%- endmacro %}

{% macro spark__product_over(expression, over_clause) -%}
    aggregate(collect_list(cast({{ expression }} as double)) over {{ over_clause }},
              cast(1 as double), (accumulated, factor) -> accumulated * factor)
{%- endmacro %}

{#- `left anti join`: rows of the left side with no match (DuckDB also accepts plain ANTI JOIN,
    which the models used; Spark needs LEFT). -#}
{% macro anti_join() -%}
    {{ return(adapter.dispatch('anti_join')()) }}
{%- endmacro %}

{% macro default__anti_join() -%}
    anti join
{%- endmacro %}

{% macro spark__anti_join() -%}
    left anti join
{%- endmacro %}

{#- A text type for casts (Spark refuses VARCHAR without a length). -#}
{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type')()) }}
{%- endmacro %}

{% macro default__text_type() -%}
    varchar
{%- endmacro %}

{% macro spark__text_type() -%}
    string
{%- endmacro %}

{#- An empty list of text, e.g. for coalesce(failed_tickers, ...). -#}
{% macro empty_text_list() -%}
    {{ return(adapter.dispatch('empty_text_list')()) }}
{%- endmacro %}

{% macro default__empty_text_list() -%}
    []
{%- endmacro %}

{% macro spark__empty_text_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{#- A timestamp literal in UTC from 'YYYY-MM-DD HH:MM:SS[.ffffff]' text (DuckDB: timestamptz;
    Spark: its TIMESTAMP, an instant, read in the session time zone, which the profile's spark
    target sets to UTC). -#}
{% macro utc_timestamp_literal(text) -%}
    {{ return(adapter.dispatch('utc_timestamp_literal')(text)) }}
{%- endmacro %}

{% macro default__utc_timestamp_literal(text) -%}
    cast('{{ text }}+00' as timestamptz)
{%- endmacro %}

{% macro spark__utc_timestamp_literal(text) -%}
    timestamp '{{ text }}'
{%- endmacro %}

{#- The double NaN literal, for nullif(x, NaN). -#}
{% macro nan_double() -%}
    {{ return(adapter.dispatch('nan_double')()) }}
{%- endmacro %}

{% macro default__nan_double() -%}
    'NaN'::double
{%- endmacro %}

{% macro spark__nan_double() -%}
    cast('NaN' as double)
{%- endmacro %}

{#- The value of `value` on the row where `ordering` is smallest (DuckDB arg_min, Spark min_by).
    `ordering` is one expression or a list of them, compared in order (DuckDB: a row value,
    Spark: a struct; both order field by field). -#}
{% macro arg_min(value, ordering) -%}
    {{ return(adapter.dispatch('arg_min')(value, ordering)) }}
{%- endmacro %}

{% macro default__arg_min(value, ordering) -%}
    {%- if ordering is string -%}
    arg_min({{ value }}, {{ ordering }})
    {%- else -%}
    arg_min({{ value }}, ({{ ordering | join(', ') }}))
    {%- endif -%}
{%- endmacro %}

{% macro spark__arg_min(value, ordering) -%}
    {%- if ordering is string -%}
    min_by({{ value }}, {{ ordering }})
    {%- else -%}
    min_by({{ value }}, struct({{ ordering | join(', ') }}))
    {%- endif -%}
{%- endmacro %}

{#- The product of an aggregate's values, nulls skipped; null when every value is null (DuckDB's
    product). Spark has no product aggregate: the values are multiplied with aggregate() in the
    order Spark collects them, which can differ from DuckDB's in the last bits only. -#}
{% macro product_agg(expression) -%}
    {{ return(adapter.dispatch('product_agg')(expression)) }}
{%- endmacro %}

{% macro default__product_agg(expression) -%}
    product({{ expression }})
{%- endmacro %}

{% macro spark__product_agg(expression) -%}
    case when count({{ expression }}) > 0 then
        aggregate(collect_list(cast({{ expression }} as double)), cast(1 as double),
                  (accumulated, factor) -> accumulated * factor)
    end
{%- endmacro %}

{#- The median of an aggregate's values, the mean of the two middle ones for an even count
    (DuckDB median, Spark's exact percentile at 0.5). -#}
{% macro median_agg(expression) -%}
    {{ return(adapter.dispatch('median_agg')(expression)) }}
{%- endmacro %}

{% macro default__median_agg(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median_agg(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}

{#- The values of an aggregate as a list, in the order of `order_by` (a list of expressions;
    none: the order the engine collects them), of the rows where `filter` (a condition) holds, if
    given. DuckDB: list(... order by ...) filter (where ...), null when no row passes; Spark sorts
    structs of the keys and the value, then keeps the value (nulls among the values are kept
    when ordered, as in DuckDB; unordered, Spark's collect_list drops them), the filter as a
    struct that is null outside it, which collect_list skips: an empty list when no row passes. -#}
{% macro list_agg(expression, order_by=none, filter=none) -%}
    {{ return(adapter.dispatch('list_agg')(expression, order_by, filter)) }}
{%- endmacro %}

{% macro default__list_agg(expression, order_by, filter=none) -%}
    {%- if order_by -%}
    list({{ expression }} order by {{ order_by | join(', ') }})
    {%- else -%}
    list({{ expression }})
    {%- endif -%}
    {%- if filter %}
            filter (where {{ filter }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__list_agg(expression, order_by, filter=none) -%}
    {%- if order_by -%}
    transform(
        array_sort(collect_list(
            {%- if filter %}case when {{ filter }} then {% endif -%}
            named_struct(
            {%- for key in order_by %}'key_{{ loop.index }}', {{ key }}, {% endfor -%}
            'value', {{ expression }})
            {%- if filter %} end{% endif -%})),
        sorted -> sorted.value)
    {%- elif filter -%}
    collect_list(case when {{ filter }} then {{ expression }} end)
    {%- else -%}
    collect_list({{ expression }})
    {%- endif -%}
{%- endmacro %}

{#- The distinct non-null values of an aggregate as a sorted list. -#}
{% macro sorted_distinct_list_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_distinct_list_agg')(expression)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list_agg(expression) -%}
    list_sort(list_distinct(list({{ expression }})))
{%- endmacro %}

{% macro spark__sorted_distinct_list_agg(expression) -%}
    array_sort(array_distinct(collect_list({{ expression }})))
{%- endmacro %}

{#- The non-null values of an aggregate as a list sorted ascending (duplicates kept). -#}
{% macro sorted_list_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_list_agg')(expression)) }}
{%- endmacro %}

{% macro default__sorted_list_agg(expression) -%}
    list_sort(list({{ expression }}))
{%- endmacro %}

{% macro spark__sorted_list_agg(expression) -%}
    array_sort(collect_list({{ expression }}))
{%- endmacro %}

{#- One row per element of a list, in the select list (DuckDB unnest, Spark explode; an empty
    or null list gives no row on both). -#}
{% macro unnest_list(expression) -%}
    {{ return(adapter.dispatch('unnest_list')(expression)) }}
{%- endmacro %}

{% macro default__unnest_list(expression) -%}
    unnest({{ expression }})
{%- endmacro %}

{% macro spark__unnest_list(expression) -%}
    explode({{ expression }})
{%- endmacro %}

{#- The number of elements of a list, null for a null list (Spark's size() says -1 there with
    ANSI mode off). -#}
{% macro list_length(expression) -%}
    {{ return(adapter.dispatch('list_length')(expression)) }}
{%- endmacro %}

{% macro default__list_length(expression) -%}
    len({{ expression }})
{%- endmacro %}

{% macro spark__list_length(expression) -%}
    cast(case when {{ expression }} is not null then size({{ expression }}) end as bigint)
{%- endmacro %}

{#- The list-of-text type, for casts (DuckDB varchar[], Spark array<string>). -#}
{% macro text_list_type() -%}
    {{ return(adapter.dispatch('text_list_type')()) }}
{%- endmacro %}

{% macro default__text_list_type() -%}
    varchar[]
{%- endmacro %}

{% macro spark__text_list_type() -%}
    array<string>
{%- endmacro %}

{#- The time-zone-aware timestamp type, for casts (DuckDB timestamptz; Spark's TIMESTAMP is an
    instant already). -#}
{% macro timestamptz_type() -%}
    {{ return(adapter.dispatch('timestamptz_type')()) }}
{%- endmacro %}

{% macro default__timestamptz_type() -%}
    timestamptz
{%- endmacro %}

{% macro spark__timestamptz_type() -%}
    timestamp
{%- endmacro %}

{#- A date or timestamp as text, with a strftime format (%Y %m %d %H %M %S; Spark's
    date_format gets the same pattern in its own letters). -#}
{% macro format_date(expression, format) -%}
    {{ return(adapter.dispatch('format_date')(expression, format)) }}
{%- endmacro %}

{% macro default__format_date(expression, format) -%}
    strftime({{ expression }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_date(expression, format) -%}
    {%- set pattern = format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
        | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') -%}
    {%- if '%' in pattern -%}
        {{ exceptions.raise_compiler_error('format_date: no Spark pattern for ' ~ format) }}
    {%- endif -%}
    date_format({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{#- Split text on runs of whitespace into a list of its non-empty tokens. -#}
{% macro split_on_whitespace(expression) -%}
    {{ return(adapter.dispatch('split_on_whitespace')(expression)) }}
{%- endmacro %}

{% macro default__split_on_whitespace(expression) -%}
    list_filter(string_split(regexp_replace({{ expression }}, '\s+', ' ', 'g'), ' '),
                    lambda token: token <> '')
{%- endmacro %}

{#- Spark unescapes backslashes in string literals: '\\s+' reaches the regex as \s+. -#}
{% macro spark__split_on_whitespace(expression) -%}
    filter(split(regexp_replace({{ expression }}, '\\s+', ' '), ' '), token -> token <> '')
{%- endmacro %}

{#- A 64-bit hash of a value, for a join key that is cheaper to carry than the value itself
    (DuckDB hash, Spark xxhash64). Only compared with itself on the same engine. -#}
{% macro hash_key(expression) -%}
    {{ return(adapter.dispatch('hash_key')(expression)) }}
{%- endmacro %}

{% macro default__hash_key(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro spark__hash_key(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}

{#- The sum of a hash_key over a group's rows: a fingerprint of the group's rows in any order
    (DuckDB sums its 64-bit hashes into a 128-bit integer; Spark's are cast to a decimal first so
    that the sum cannot overflow). Only compared with itself on the same engine. -#}
{% macro hash_sum(expression) -%}
    {{ return(adapter.dispatch('hash_sum')(expression)) }}
{%- endmacro %}

{% macro default__hash_sum(expression) -%}
    sum({{ hash_key(expression) }})
{%- endmacro %}

{% macro spark__hash_sum(expression) -%}
    sum(cast({{ hash_key(expression) }} as decimal(20, 0)))
{%- endmacro %}

{#- A double as text in scientific notation with `digits` digits after the point ('null' for a
    null): a key part that ignores differences below that precision, such as the last bits a
    parallel sum leaves different from one run to the next. -#}
{% macro rounded_double_text(expression, digits=12) -%}
    {{ return(adapter.dispatch('rounded_double_text')(expression, digits)) }}
{%- endmacro %}

{% macro default__rounded_double_text(expression, digits) -%}
    coalesce(printf('%.{{ digits }}e', {{ expression }}), 'null')
{%- endmacro %}

{% macro spark__rounded_double_text(expression, digits) -%}
    coalesce(format_string('%.{{ digits }}e', {{ expression }}), 'null')
{%- endmacro %}

{#- An as-of join: each row of the left side with the one row of `right` whose `right_column` is
    the closest to `left_expression` on the side `operator` says ('>=': the first at or after it,
    '<=': the last at or before it; '>' and '<' the same strictly after or before it), e.g. the
    first session on or after a date. Use in place of a join clause:
        from items {{ asof_join('inner', 'items', 'items.basis_date', 'calendar', 'session_date', '>=') }}
    `left_from` is the left side as written after FROM (a name, or `relation as alias`), which
    `left_expression` reads; `join_type` is inner (no match: no row) or left (no match: nulls).
    `right_column` must be unique in `right`.
    DuckDB: its ASOF join. Spark has none: the distinct left values and the right column are
    sorted together and each left value takes the nearest right value with a window
    first/last ignoring nulls (one sort of both sides, no range join), then joins `right` back on
    it. The window has no partition, so the two sides are meant to be small (a calendar, the
    distinct dates of a table). -#}
{% macro asof_join(join_type, left_from, left_expression, right, right_column, operator, right_alias=none) -%}
    {%- if operator not in ('>=', '<=', '>', '<') -%}
        {{ exceptions.raise_compiler_error('asof_join: operator must be >=, <=, > or <, not ' ~ operator) }}
    {%- endif -%}
    {%- if join_type not in ('inner', 'left') -%}
        {{ exceptions.raise_compiler_error('asof_join: join_type must be inner or left, not ' ~ join_type) }}
    {%- endif -%}
    {{ return(adapter.dispatch('asof_join')(join_type, left_from, left_expression, right,
                                            right_column, operator, right_alias or right)) }}
{%- endmacro %}

{% macro default__asof_join(join_type, left_from, left_expression, right, right_column, operator, right_alias) -%}
    asof {{ join_type }} join {{ right }}{% if right_alias != right %} as {{ right_alias }}{% endif %}
        on {{ right_alias }}.{{ right_column }} {{ operator }} {{ left_expression }}
{%- endmacro %}

{% macro spark__asof_join(join_type, left_from, left_expression, right, right_column, operator, right_alias) -%}
    {#- A right value equal to the left one matches under <= and >=: it sorts on the side of the
        left row that the window reads (is_probe orders the tie: 0 right, 1 left); under < and >
        it sorts on the other side, out of the frame. -#}
    {%- if operator in ('<=', '<') -%}
        {%- set navigation = 'last' -%}
        {%- set frame = 'rows between unbounded preceding and current row' -%}
        {%- set probe_order = 'asc' if operator == '<=' else 'desc' -%}
    {%- else -%}
        {%- set navigation = 'first' -%}
        {%- set frame = 'rows between current row and unbounded following' -%}
        {%- set probe_order = 'desc' if operator == '>=' else 'asc' -%}
    {%- endif -%}
    {{ join_type }} join (
        select asof_matches.asof_probe, asof_right.*
        from (
            select asof_value as asof_probe, asof_match
            from (
                select
                    asof_value,
                    is_probe,
                    {{ navigation }}(case when is_probe = 0 then asof_value end) ignore nulls
                        over (order by asof_value, is_probe {{ probe_order }} {{ frame }})
                                                                            as asof_match
                from (
                    select distinct {{ left_expression }} as asof_value, 1 as is_probe
                    from {{ left_from }}
                    union all
                    select {{ right_column }} as asof_value, 0 as is_probe
                    from {{ right }}
                ) as asof_values
            ) as asof_sorted
            where is_probe = 1 and asof_match is not null
        ) as asof_matches
        inner join {{ right }} as asof_right
            on asof_right.{{ right_column }} = asof_matches.asof_match
    ) as {{ right_alias }}
        on {{ right_alias }}.asof_probe = {{ left_expression }}
{%- endmacro %}

{#- The last non-null value of `expression` up to `rows_back` rows before the current row, in a
    window partitioned by `partition_by` and ordered by `order_by` (one column each), with
    `rows_back` a column of `relation` (the frame's end differs per row). DuckDB takes a column
    as a frame offset. Spark takes literals only, so there it is the running last value read
    from the row `rows_back` steps earlier, which is the same row only when `order_by` is dense
    within a partition (one row per integer step, as session_index in int_daily_returns' rows);
    a row before the partition's first is none, as an empty frame. `relation` is the name the
    query's FROM gives the rows. -#}
{% macro last_value_rows_back(expression, partition_by, order_by, rows_back, relation) -%}
    {{ return(adapter.dispatch('last_value_rows_back')(expression, partition_by, order_by, rows_back, relation)) }}
{%- endmacro %}

{% macro default__last_value_rows_back(expression, partition_by, order_by, rows_back, relation) -%}
    last_value({{ expression }} ignore nulls) over (
            partition by {{ partition_by }} order by {{ order_by }}
            rows between unbounded preceding and {{ rows_back }} preceding
        )
{%- endmacro %}

{% macro spark__last_value_rows_back(expression, partition_by, order_by, rows_back, relation) -%}
    (
            select max(running.running_value)
            from (
                select
                    {{ partition_by }} as running_partition,
                    {{ order_by }} as running_order,
                    last({{ expression }}) ignore nulls over (
                        partition by {{ partition_by }} order by {{ order_by }}
                        rows between unbounded preceding and current row
                    ) as running_value
                from {{ relation }}
            ) as running
            where running.running_partition = {{ relation }}.{{ partition_by }}
                and running.running_order = {{ relation }}.{{ order_by }} - {{ relation }}.{{ rows_back }}
        )
{%- endmacro %}

{#- The minimum of `expression` from the first row of the current row's group up to the current
    row, in a window partitioned by `partition_by` and ordered by `order_by`, where the group is
    `group_by` (an expression constant over consecutive rows, e.g. the calendar year) and
    `rows_since_group_start` says how many rows back the group starts (a column). DuckDB reads
    it as a frame offset, in the window the query already sorts; Spark partitions by the group
    instead (a column frame offset is DuckDB's only). Same rows when `order_by` is dense within a
    partition, as session_index in int_daily_returns' rows. -#}
{% macro min_since_group_start(expression, partition_by, order_by, group_by, rows_since_group_start) -%}
    {{ return(adapter.dispatch('min_since_group_start')(expression, partition_by, order_by, group_by, rows_since_group_start)) }}
{%- endmacro %}

{% macro default__min_since_group_start(expression, partition_by, order_by, group_by, rows_since_group_start) -%}
    min({{ expression }}) over (
            partition by {{ partition_by }} order by {{ order_by }}
            rows between {{ rows_since_group_start }} preceding and current row
        )
{%- endmacro %}

{% macro spark__min_since_group_start(expression, partition_by, order_by, group_by, rows_since_group_start) -%}
    min({{ expression }}) over (
            partition by {{ partition_by }}, {{ group_by }} order by {{ order_by }}
            rows between unbounded preceding and current row
        )
{%- endmacro %}

{#- The date `months` calendar months before a date; a day past the target month's end clamps to
    it (03-31 -> 02-28 or 02-29), in DuckDB's interval arithmetic as in Spark's add_months. -#}
{% macro months_before(date_sql, months) -%}
    {{ return(adapter.dispatch('months_before')(date_sql, months)) }}
{%- endmacro %}

{% macro default__months_before(date_sql, months) -%}
    cast({{ date_sql }} - interval {{ months }} month as date)
{%- endmacro %}

{% macro spark__months_before(date_sql, months) -%}
    add_months({{ date_sql }}, -{{ months }})
{%- endmacro %}

{#- A column name quoted as the engine quotes identifiers (DuckDB "...", Spark `...`), for an
    alias that is free text (column_rules names each count after its rule). -#}
{% macro quoted_column_name(name) -%}
    {{ return(adapter.dispatch('quoted_column_name')(name)) }}
{%- endmacro %}

{% macro default__quoted_column_name(name) -%}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}

{% macro spark__quoted_column_name(name) -%}
    `{{ name | replace('`', '``') }}`
{%- endmacro %}

{#- Every column of `relation` (named in `columns`, as written in its select) turned into rows:
    `name_column` holds the column's name, `value_column` its value; for after FROM. DuckDB's
    UNPIVOT takes columns(*); Spark's lists the columns. -#}
{% macro unpivot_all_columns(relation, columns, name_column, value_column) -%}
    {{ return(adapter.dispatch('unpivot_all_columns')(relation, columns, name_column, value_column)) }}
{%- endmacro %}

{% macro default__unpivot_all_columns(relation, columns, name_column, value_column) -%}
    (unpivot {{ relation }} on columns(*) into name {{ name_column }} value {{ value_column }})
{%- endmacro %}

{% macro spark__unpivot_all_columns(relation, columns, name_column, value_column) -%}
    {{ relation }} unpivot ({{ value_column }} for {{ name_column }} in (
        {%- for column in columns %}{{ quoted_column_name(column) }}{{ ", " if not loop.last }}{% endfor -%}
    ))
{%- endmacro %}

{#- The element at a 1-based position of a list, null past its end (DuckDB list[i]; Spark's
    element_at, 1-based too, null past the end with ANSI mode off). -#}
{% macro list_element(expression, position) -%}
    {{ return(adapter.dispatch('list_element')(expression, position)) }}
{%- endmacro %}

{% macro default__list_element(expression, position) -%}
    {{ expression }}[{{ position }}]
{%- endmacro %}

{% macro spark__list_element(expression, position) -%}
    {#- element_at takes an int position, not a bigint such as a count -#}
    element_at({{ expression }}, cast({{ position }} as int))
{%- endmacro %}

{#- The local calendar date of a UTC instant in a time zone, e.g. the New York date of a
    publication time (DuckDB timezone(); Spark from_utc_timestamp, in the session's UTC). -#}
{% macro local_date(timestamp_sql, zone) -%}
    {{ return(adapter.dispatch('local_date')(timestamp_sql, zone)) }}
{%- endmacro %}

{% macro default__local_date(timestamp_sql, zone) -%}
    cast(timezone('{{ zone }}', {{ timestamp_sql }}) as date)
{%- endmacro %}

{% macro spark__local_date(timestamp_sql, zone) -%}
    cast(from_utc_timestamp({{ timestamp_sql }}, '{{ zone }}') as date)
{%- endmacro %}

{#- One row per integer from `first` to `last` (both included), in the select list (DuckDB
    unnest(range()), Spark explode(sequence()); bigint on both). -#}
{% macro unnest_integer_range(first, last) -%}
    {{ return(adapter.dispatch('unnest_integer_range')(first, last)) }}
{%- endmacro %}

{% macro default__unnest_integer_range(first, last) -%}
    unnest(range({{ first }}, {{ last }} + 1))
{%- endmacro %}

{% macro spark__unnest_integer_range(first, last) -%}
    explode(sequence(cast({{ first }} as bigint), cast({{ last }} as bigint)))
{%- endmacro %}

{#- The elements of a list as text joined by `separator` (DuckDB array_to_string over the list
    cast to text, Spark array_join; dates as YYYY-MM-DD on both). -#}
{% macro join_list(expression, separator) -%}
    {{ return(adapter.dispatch('join_list')(expression, separator)) }}
{%- endmacro %}

{% macro default__join_list(expression, separator) -%}
    array_to_string(cast({{ expression }} as varchar[]), '{{ separator }}')
{%- endmacro %}

{% macro spark__join_list(expression, separator) -%}
    array_join(cast({{ expression }} as array<string>), '{{ separator }}')
{%- endmacro %}

{#- A mart's select with its columns in the order its contract declares (_marts__models.yml), for
    use as {% call select_in_contract_order() %} select ... {% endcall %}. DuckDB enforces the
    contract, which creates the table in that order already: the SQL is unchanged. On Spark the
    contract is not enforced, so the columns are selected in the declared order around it. -#}
{% macro select_in_contract_order() -%}
    {{ return(adapter.dispatch('select_in_contract_order')(caller())) }}
{%- endmacro %}

{% macro default__select_in_contract_order(sql) -%}
    {{ sql }}
{%- endmacro %}

{% macro spark__select_in_contract_order(sql) -%}
select
    {%- for column in model.columns %}
    {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from (
{{ sql }}
) as contract_ordered
{%- endmacro %}

{#- The UTC instant of a local wall-clock time on a date in a time zone, e.g. 16:00 in Hong Kong
    on a session date (DuckDB: timezone() of a date plus a time; Spark: to_utc_timestamp of the
    local timestamp, read in the session's UTC). -#}
{% macro local_time_to_utc(date_sql, time_text, zone) -%}
    {{ return(adapter.dispatch('local_time_to_utc')(date_sql, time_text, zone)) }}
{%- endmacro %}

{% macro default__local_time_to_utc(date_sql, time_text, zone) -%}
    timezone('{{ zone }}', {{ date_sql }} + time '{{ time_text }}')
{%- endmacro %}

{% macro spark__local_time_to_utc(date_sql, time_text, zone) -%}
    to_utc_timestamp(to_timestamp(concat(cast({{ date_sql }} as string), ' {{ time_text }}')), '{{ zone }}')
{%- endmacro %}

{#- Whole hours from one instant to a later one (DuckDB date_diff('hour', ...) counts the hour
    boundaries crossed, Spark's timestampdiff the whole hours elapsed: the same for instants on
    the hour, as the sessions' closes are). -#}
{% macro hours_between(start_sql, end_sql) -%}
    {{ return(adapter.dispatch('hours_between')(start_sql, end_sql)) }}
{%- endmacro %}

{% macro default__hours_between(start_sql, end_sql) -%}
    date_diff('hour', {{ start_sql }}, {{ end_sql }})
{%- endmacro %}

{% macro spark__hours_between(start_sql, end_sql) -%}
    timestampdiff(HOUR, {{ start_sql }}, {{ end_sql }})
{%- endmacro %}

{#- A numeric literal such as 2.0 that must be a double on both engines: DuckDB's decimal division
    and average give doubles, Spark's keep a DECIMAL with a few digits of scale (avg of 1.0/0.0
    gives 0.48918), so on Spark the literal is written as a double (2.0D). The DuckDB SQL is
    the literal as written. -#}
{% macro float_literal(text) -%}
    {{ return(adapter.dispatch('float_literal')(text)) }}
{%- endmacro %}

{% macro default__float_literal(text) -%}
    {{ text }}
{%- endmacro %}

{% macro spark__float_literal(text) -%}
    {{ text }}D
{%- endmacro %}
