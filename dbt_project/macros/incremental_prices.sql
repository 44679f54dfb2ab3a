{#- Incremental maintenance of the per-(ticker, session) models, driven by raw fetch ids.

    A raw bar is rewritten only by a newer fetch (the loader replaces the row, stamping the fetch id; a restated
    ticker's whole history is deleted and rewritten under one new fetch id), and fetch ids sort by
    fetch time. So the bars a model has not yet seen are those whose fetch_id is above the largest
    fetch_id the model stored: new sessions, late corrections and restatements alike, with nothing
    to pass from the caller. -#}

{#- Tickers with bars newer than the largest fetch id in `relation`, and the earliest session of
    those bars (changed_from). Every row of the ticker on or after changed_from must be recomputed. -#}
{% macro changed_price_tickers(bars, relation) -%}
    select bars.ticker, min(bars.session_date) as changed_from
    from {{ bars }} as bars
    where bars.fetch_id > {{ stored_max_fetch_id(relation) }}
    group by bars.ticker
{%- endmacro %}

{#- The largest fetch_id in `relation`, as a string literal read before the query runs: a literal
    lets DuckDB skip the row groups of raw.daily_bars (stored in load order, i.e. by fetch id) that
    hold only older fetches; a subquery would be evaluated against every row. -#}
{% macro stored_max_fetch_id(relation) -%}
    {%- if execute -%}
        {%- set stored = run_query(
            "select coalesce(max(fetch_id), '') from " ~ relation
        ).columns[0].values()[0] -%}
        '{{ stored | replace("'", "''") }}'
    {%- else -%}
        (select coalesce(max(fetch_id), '') from {{ relation }})
    {%- endif -%}
{%- endmacro %}

{#- The 1Y anchor date of `date_sql` (month ends clamp, 02-29 -> 02-28): the return_1y anchor of
    fct_ticker_performance and the furthest back any of its figures looks, hence also where its
    incremental runs start reading. One macro so the two cannot drift apart. -#}
{% macro one_year_before(date_sql) -%}
    {{ months_before(date_sql, 12) }}
{%- endmacro %}

{#- How many days before a change the search for a ticker's previous bar (or previous priced
    session) starts. A daily run finds it there for every ticker and so reads a few weeks instead
    of all history; tickers with none there are looked up over their whole history. Any value gives
    the same results; it only decides how much is read. -#}
{% macro recent_search_days() -%}
    40
{%- endmacro %}

{#- The earliest session an incremental run of fct_ticker_performance reads, as a date literal
    (so that zone maps skip older row groups): the least of one_year_before(changed_from) and, for
    each changed ticker, its last priced session on or before its own one_year_before(changed_from)
    (the 1Y anchor). That session is looked up in the recent_search_days() before the bound first;
    only tickers with no priced bar there (a new ticker, or a long gap) are looked up over their
    whole history. -#}
{% macro context_lower_bound(changed_sql, returns) -%}
    {%- if not execute -%}
        cast(null as date)
    {%- else -%}
        {%- set first_change = run_query(
            "select " ~ one_year_before("min(changed_from)") ~ " from (" ~ changed_sql ~ ")"
        ).columns[0].values()[0] -%}
        {%- if first_change is none -%}
            {#- Nothing changed: the run writes no row. -#}
            cast('9999-12-31' as date)
        {%- else -%}
            {%- set near_sql -%}
                with changed as ({{ changed_sql }})
                select
                    changed.ticker,
                    max(returns.session_date) filter (
                        where returns.session_date <= {{ one_year_before("changed.changed_from") }}
                            and returns.adj_close_price is not null
                    ) as context_from
                from changed
                left join {{ returns }} as returns
                    on returns.ticker = changed.ticker
                    and returns.session_date
                        >= cast('{{ first_change }}' as date) - {{ recent_search_days() }}
                group by changed.ticker
            {%- endset -%}
            {%- set near = run_query(near_sql) -%}
            {%- set found = [first_change] -%}
            {%- set missing = [] -%}
            {%- for row in near.rows -%}
                {%- if row[1] is none -%}
                    {%- do missing.append(row[0]) -%}
                {%- else -%}
                    {%- do found.append(row[1]) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if missing -%}
                {%- set far_sql -%}
                    with changed as ({{ changed_sql }})
                    select min(context_from) from (
                        select changed.ticker, max(returns.session_date) as context_from
                        from changed
                        inner join {{ returns }} as returns
                            on returns.ticker = changed.ticker
                        where returns.session_date <= {{ one_year_before("changed.changed_from") }}
                            and returns.adj_close_price is not null
                            and changed.ticker in (
                            {%- for ticker in missing -%}
                                '{{ ticker | replace("'", "''") }}'{{ ", " if not loop.last }}
                            {%- endfor -%})
                        group by changed.ticker
                    )
                {%- endset -%}
                {%- set far = run_query(far_sql).columns[0].values()[0] -%}
                {%- if far is not none -%}
                    {%- do found.append(far) -%}
                {%- endif -%}
            {%- endif -%}
            cast('{{ found | min }}' as date)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The one value `value_sql` selects, as a literal of `sql_type` read before the model's query
    runs, so that DuckDB's zone maps can skip the row groups it bounds; `if_none` when the query
    finds none; at parse time, a null. -#}
{% macro literal_from_query(value_sql, sql_type, if_none) -%}
    {%- if execute -%}
        {%- set found = run_query(value_sql).columns[0].values()[0] -%}
        cast('{{ if_none if found is none else found }}' as {{ sql_type }})
    {%- else -%}
        cast(null as {{ sql_type }})
    {%- endif -%}
{%- endmacro %}

{#- The one date `date_sql` selects, as a literal; no date (nothing changed) gives a date after
    any session. -#}
{% macro date_literal_from_query(date_sql) -%}
    {{ literal_from_query(date_sql, 'date', '9999-12-31') }}
{%- endmacro %}

{#- Where the search for each changed ticker's previous bar starts, as a date literal:
    recent_search_days() before the earliest change; a ticker with no bar there (new, restated, or
    after a long gap) is looked up over its whole history (see far_changed_tickers). -#}
{% macro recent_bars_from(changed_sql) -%}
    {{ date_literal_from_query(
        "select cast(min(changed_from) - " ~ recent_search_days() ~ " as date) from ("
        ~ changed_sql ~ ")"
    ) }}
{%- endmacro %}

{#- The changed tickers (rows of `changed`) with no bar between recent_from and their change. -#}
{% macro far_changed_tickers(bars, recent_from) -%}
    select changed.ticker, changed.changed_from
    from changed
    where changed.ticker not in (
        select bars.ticker
        from {{ bars }} as bars
        inner join changed as recent
            on recent.ticker = bars.ticker
        where bars.session_date >= {{ recent_from }}
            and bars.session_date < recent.changed_from
    )
{%- endmacro %}

{#- Pre-hook: delete the rows of a changed ticker dated before its first raw bar. They exist only
    when a restatement shortened the start of a history; the incremental strategy below replaces
    everything from the first recomputed session on, so this is the one case it cannot see. A
    ticker with a bar shortly before its change kept its first bar, so only the others are read. -#}
{% macro delete_rows_before_first_bar() -%}
    {%- if is_incremental() -%}
    {%- set bars = ref('stg_prices__daily_bars') -%}
    {%- set changed_sql = changed_price_tickers(bars, this) -%}
    delete from {{ this }} as target
    using (
        with changed as (
            {{ changed_sql }}
        ),

        far as (
            {{ far_changed_tickers(bars, recent_bars_from(changed_sql)) }}
        )

        select bars.ticker, min(bars.session_date) as first_bar_date
        from {{ bars }} as bars
        where bars.ticker in (select ticker from far)
        group by bars.ticker
    ) as firsts
    where target.ticker = firsts.ticker
        and target.session_date < firsts.first_bar_date
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Custom incremental strategy `replace_ticker_tail`: the new batch holds, for each ticker in it,
    every row from its first recomputed session to the ticker's last one. Delete the target's rows
    of that ticker from that session on (stale rows included, e.g. a session dropped by a
    restatement) and insert the batch. A merge on (ticker, session_date) would leave such rows. -#}
{% macro get_incremental_replace_ticker_tail_sql(arg_dict) -%}
    {{ replace_rows_from_sql(arg_dict, 'ticker', 'session_date') }}
{%- endmacro %}

{#- The body the replace_* strategies share: for each `key` (a ticker, a subject) in the batch,
    delete the target's rows from the batch's first `position` (replace_from) on, or all of them
    where `rewrite_whole` holds (an expression over the batch row, which `batch_columns` can add
    aggregates to); delete the rows `also_delete` selects, whatever the batch holds; then insert
    the batch. -#}
{% macro replace_rows_from_sql(arg_dict, key, position, batch_columns=[], rewrite_whole=none,
                               also_delete=none) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if also_delete %}
    delete from {{ target }} where {{ also_delete }};
    {% endif %}
    delete from {{ target }} as target
    using (
        select {{ key }}, min({{ position }}) as replace_from
            {%- for column in batch_columns %}, {{ column }}{% endfor %}
        from {{ source }}
        group by {{ key }}
    ) as batch
    where target.{{ key }} = batch.{{ key }}
        and (target.{{ position }} >= batch.replace_from
             {%- if rewrite_whole %} or {{ rewrite_whole }}{% endif %});

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
{%- endmacro %}

{#- In an incremental run: stop, naming the full refresh to run, when the stored table lacks one
    of `columns` (it was built by an earlier version as a table rebuilt by every run), instead of
    failing later on a missing column. -#}
{% macro require_stored_columns(columns) -%}
    {%- if is_incremental() and execute -%}
        {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = columns | reject('in', stored) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built by an earlier version, as a table rebuilt by every run, without the"
                ~ " column" ~ ("s" if columns | length > 1 else "") ~ " its incremental runs read ("
                ~ columns | join(", ") ~ "): rebuild it once with `adrpulse build --full-refresh`") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- built_at: when the build that wrote a row started (one value per dbt invocation). The data
    tests of the large incremental models check only the rows of the latest build
    (latest_rows_by: built_at), so a daily update is tested in proportion to what it wrote. -#}
{% macro built_at() -%}
    {{ utc_timestamp_literal(run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f")) }}
{%- endmacro %}

{#- Custom incremental strategy `replace_ticker_years`, for a model with one row per ticker and
    calendar_year (int_ticker_yearly_return_stats): the batch holds, for each ticker in it, every
    year from the first one rewritten. Delete the target's rows of that ticker from that year on,
    and all of them when the batch starts at the ticker's inception (a ticker rewritten whole: a
    restated history may start later than the stored one), then insert the batch. -#}
{% macro get_incremental_replace_ticker_years_sql(arg_dict) -%}
    {{ replace_rows_from_sql(
        arg_dict, 'ticker', 'calendar_year',
        batch_columns=['max(inception_date) as inception_date'],
        rewrite_whole='batch.replace_from <= year(batch.inception_date)') }}
{%- endmacro %}

{#- The largest value of a timestamp column of `relation`, as a literal (rendered with its UTC
    offset, so it reads back exactly); a timestamp before any build when the table is empty. -#}
{% macro stored_max_timestamp(relation, column) -%}
    {{ literal_from_query("select cast(max(" ~ column ~ ") as varchar) from " ~ relation,
                          'timestamptz', '1970-01-01 00:00:00+00') }}
{%- endmacro %}

{#- Pre-hook of fct_monthly_returns: delete a ticker's months before the month of its first bar
    (int_ticker_groups). They exist only when a restatement moved a history's start later; the
    strategy below replaces every month from the first rewritten one on, so this is the one case it
    cannot see. -#}
{% macro delete_months_before_first_bar() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    using {{ ref('int_ticker_groups') }} as groups
    where target.subject_kind = 'ticker'
        and target.subject = groups.ticker
        and target.month_start < cast(date_trunc('month', groups.first_bar_date) as date)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Custom incremental strategy `replace_subject_months`, for fct_monthly_returns (one row per
    subject and month): the batch holds, for each subject in it, every month from the first one
    rewritten (a basket from its first: every basket is rewritten whole). Delete every basket's
    rows (a basket taken out of var performance_baskets goes with them) and the target's rows of
    each ticker in the batch from its first month on, then insert the batch. -#}
{% macro get_incremental_replace_subject_months_sql(arg_dict) -%}
    {{ replace_rows_from_sql(arg_dict, 'subject', 'month_start',
                             also_delete="subject_kind = 'basket'") }}
{%- endmacro %}

{#- Custom incremental strategy `replace_basket_tail`, for int_basket_daily_returns (one row per
    basket and session): the batch holds, for each basket in it, every session from the first one
    rewritten. Delete the target's rows of that basket from that session on, then insert the
    batch. -#}
{% macro get_incremental_replace_basket_tail_sql(arg_dict) -%}
    {{ replace_rows_from_sql(arg_dict, 'basket', 'session_date') }}
{%- endmacro %}

{#- Pre-hook of int_basket_daily_returns: delete the rows the batch cannot replace, those of a
    basket taken out of var performance_baskets or left without a priced member, and those before
    a basket's first session (the session after its first member's first bar, which moves later
    when that member's history is restated to start later). -#}
{% macro delete_basket_rows_outside_spans() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    where not exists (
        select 1
        from {{ ref('int_ticker_groups') }} as groups
        where groups.group_name = target.basket
            and groups.group_name in ({{ performance_basket_names() }})
        group by groups.group_name
        having target.session_date > min(groups.first_bar_date)
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
