{{ config(tags=['spark']) }}
-- One row per subject (ticker, or basket of var performance_baskets) and calendar month with at
-- least one return in int_performance_returns.
--   monthly_return = prod(1 + r) - 1 over the month's sessions with a return: from the close of
--     the previous month's last session to the close of the month's last session (a session
--     without a return, e.g. a basket below its coverage rule, is skipped).
--   starts_mid_month: the subject's history starts inside the month (its inception_date is after
--     the previous month's last session), so the return runs from that close, not a month end.
--   ends_mid_month: the subject's last session in the series is before the month's last session
--     (the current month so far, or a ticker whose bars stop).
with series as (
    select * from {{ ref('int_performance_returns') }}
),

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
