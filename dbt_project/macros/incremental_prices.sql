{#- Incremental maintenance of the per-(ticker, session) models, driven by raw fetch ids.

    A raw bar is rewritten only by a newer fetch (insert or replace stamps the fetch id; a restated
    ticker's whole history is deleted and rewritten under one new fetch id), and fetch ids sort by
    fetch time. So the bars a model has not yet seen are those whose fetch_id is above the largest
    fetch_id the model stored: new sessions, late corrections and restatements alike, with nothing
    to pass from the caller. -#}

{#- Tickers with bars newer than the largest fetch id in `relation`, and the earliest session of
    those bars (changed_from). Every row of the ticker on or after changed_from must be recomputed. -#}
{% macro changed_price_tickers(bars, relation) -%}
    select bars.ticker, min(bars.session_date) as changed_from
    from {{ bars }} as bars
    where bars.fetch_id > (select coalesce(max(fetch_id), '') from {{ relation }})
    group by bars.ticker
{%- endmacro %}

{#- Pre-hook: delete the rows of a changed ticker dated before its first raw bar. They exist only
    when a restatement shortened the start of a history; the incremental strategy below replaces
    everything from the first recomputed session on, so this is the one case it cannot see. -#}
{% macro delete_rows_before_first_bar() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    using (
        select bars.ticker, min(bars.session_date) as first_bar_date
        from {{ ref('stg_prices__daily_bars') }} as bars
        where bars.ticker in (
            select ticker from ({{ changed_price_tickers(ref('stg_prices__daily_bars'), this) }})
        )
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
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as target
    using (
        select ticker, min(session_date) as replace_from
        from {{ source }}
        group by ticker
    ) as batch
    where target.ticker = batch.ticker
        and target.session_date >= batch.replace_from;

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
{%- endmacro %}
