{{ config(tags=['spark']) }}
-- depends_on: {{ ref('int_daily_returns') }}
-- depends_on: {{ ref('int_ticker_groups') }}
-- One row per subject (ticker, or basket of var performance_baskets) and calendar month with at
-- least one return in int_performance_returns.
--   monthly_return = prod(1 + r) - 1 over the month's sessions with a return: from the close of
--     the previous month's last session to the close of the month's last session (a session
--     without a return, e.g. a basket below its coverage rule, is skipped).
--   starts_mid_month: the subject's history starts inside the month (its inception_date is after
--     the previous month's last session), so the return runs from that close, not a month end.
--   ends_mid_month: the subject's last session in the series is before the month's last session
--     (the current month so far, or a ticker whose bars stop).
-- Incremental (replace_subject_months, with a pre-hook) on DuckDB, a plain table on Spark:
-- configured in dbt_project.yml. An incremental run rewrites each ticker's months from the month of
-- its earliest row of int_daily_returns written after this table's last build (built_at), and
-- every basket whole (a few thousand sessions each, read from int_basket_daily_returns). The first rewritten row
-- of int_daily_returns is the session after the ticker's last unchanged bar, so the month that
-- holds it is the first whose return, session count or ends_mid_month can change; a restated
-- history is rewritten from its first month, and the pre-hook drops months before a new first bar.
-- The rows are read from that month's start (a literal, so that the zone maps of
-- int_daily_returns, stored in session order, skip older row groups): a daily run reads a month of
-- history instead of all of it (docs/BENCHMARKS.md).
{% if is_incremental() %}
{%- set daily = ref('int_daily_returns') -%}
{%- set stored_built_at = stored_max_timestamp(this, 'built_at') -%}
{%- set rewrites_sql -%}
    select ticker as subject, cast(date_trunc('month', min(session_date)) as date) as from_month
    from {{ daily }}
    where built_at > {{ stored_built_at }}
    group by ticker
{%- endset -%}
{%- set from_literal = date_literal_from_query(
    "select min(from_month) from (" ~ rewrites_sql ~ ") as rewrites") %}
with ticker_rewrites as (
    {{ rewrites_sql }}
),

series as (
    select all_rows.*
    from {{ ref('int_performance_returns') }} as all_rows
    inner join ticker_rewrites
        on ticker_rewrites.subject = all_rows.subject
    where all_rows.subject_kind = 'ticker'
        and all_rows.session_date >= ticker_rewrites.from_month
        and all_rows.session_date >= {{ from_literal }}
    union all
    select *
    from {{ ref('int_performance_returns') }}
    where subject_kind = 'basket'
),
{% else %}
with series as (
    select * from {{ ref('int_performance_returns') }}
),
{% endif %}

months as (
    select
        cast(date_trunc('month', session_date) as date)  as month_start,
        min(session_date)                                as first_session_of_month,
        max(session_date)                                as last_session_of_month,
        count(*)                                         as sessions_in_month
    from {{ ref('int_trading_calendar') }}
    group by all
),

subject_ends as (
    select subject, max(session_date) as last_session_date
    from series
    group by subject
),

monthly as (
    select
        subject,
        any_value(subject_kind)                                  as subject_kind,
        any_value(inception_date)                                as inception_date,
        cast(date_trunc('month', session_date) as date)          as month_start,
        {{ product_agg('1 + daily_return') }} - 1                 as monthly_return,
        count(daily_return)                                      as return_count,
        min(session_date) filter (where daily_return is not null) as first_return_date,
        max(session_date) filter (where daily_return is not null) as last_return_date
    from series
    group by subject, cast(date_trunc('month', session_date) as date)
    having count(daily_return) > 0
),

final as (
    select
        monthly.subject,
        monthly.subject_kind,
        monthly.month_start,
        cast(year(monthly.month_start) as integer)                            as calendar_year,
        cast(month(monthly.month_start) as integer)                           as calendar_month,
        monthly.monthly_return,
        monthly.return_count,
        months.sessions_in_month,
        monthly.first_return_date,
        monthly.last_return_date,
        monthly.inception_date >= months.first_session_of_month               as starts_mid_month,
        subject_ends.last_session_date < months.last_session_of_month         as ends_mid_month,
        monthly.inception_date >= months.first_session_of_month
            or subject_ends.last_session_date < months.last_session_of_month  as is_partial_month,
        {{ built_at() }}                                                      as built_at
    from monthly
    inner join months
        on months.month_start = monthly.month_start
    inner join subject_ends
        on subject_ends.subject = monthly.subject
)

select * from final
