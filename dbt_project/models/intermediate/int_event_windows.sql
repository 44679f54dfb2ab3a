-- One row per event-ticker pair and relative session day, over the estimation window
-- [var estimation_window_start, var estimation_window_end] and the event window
-- [var event_window_start, var event_window_end]. Relative days count XNYS sessions. Sessions after
-- the last loaded session (the future, for recent events) have no row yet. The ticker's and the
-- benchmark's returns are joined as they are: a missing return stays null.
with events as (
    select * from {{ ref('int_events') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

returns as (
    select ticker, session_date, daily_return from {{ ref('int_daily_returns') }}
),

benchmark_returns as (
    select session_date, daily_return
    from returns
    where ticker = '{{ var("benchmark_ticker") }}'
),

last_loaded as (
    select max(session_date) as last_session_date from returns
),

relative_days as (
    select
        unnest(range(
            {{ var('estimation_window_start') }},
            {{ [var('estimation_window_end'), var('event_window_end')] | max }} + 1
        )) as relative_day
),

windows as (
    select
        events.event_id,
        events.ticker,
        relative_days.relative_day,
        calendar.session_date,
        case
            when relative_days.relative_day
                between {{ var('event_window_start') }} and {{ var('event_window_end') }}
                then 'event'
            when relative_days.relative_day
                between {{ var('estimation_window_start') }} and {{ var('estimation_window_end') }}
                then 'estimation'
        end as window_part
    from events
    cross join relative_days
    inner join calendar
        on calendar.session_index = events.day_zero_session_index + relative_days.relative_day
    cross join last_loaded
    where calendar.session_date <= last_loaded.last_session_date
),

final as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.session_date,
        windows.window_part,
        returns.daily_return                  as stock_return,
        '{{ var("benchmark_ticker") }}'       as benchmark_ticker,
        benchmark_returns.daily_return        as benchmark_return
    from windows
    left join returns
        on returns.ticker = windows.ticker
        and returns.session_date = windows.session_date
    left join benchmark_returns
        on benchmark_returns.session_date = windows.session_date
    where windows.window_part is not null
)

select * from final
