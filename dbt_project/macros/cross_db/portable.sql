{#- SQL that DuckDB and Spark SQL spell differently, one adapter.dispatch macro each: the
    `default__` version is the DuckDB SQL the models always had (so the DuckDB build compiles to
    the same SQL), `spark__` the Spark SQL 4.0 equivalent. A model that uses only these and
    portable SQL carries the tag `spark` and is built by `adrpulse build --target spark`
    (docs/scaling.md lists what is portable and what is not yet). -#}

{#- The value of `value` on the row where `ordering` is largest (DuckDB arg_max, Spark max_by). -#}
{% macro arg_max(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max')(value, ordering)) }}
{%- endmacro %}

{% macro default__arg_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
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
