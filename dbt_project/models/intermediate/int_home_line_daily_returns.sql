{{ config(tags=['spark']) }}
-- One row per Hong Kong ticker (the home lines of dual-listed ADRs and the Hong Kong benchmark,
-- var hk_benchmark_ticker) and XHKG session between its first and last bar: the event study's
-- returns of the home lines, by int_daily_returns' rules on the XHKG calendar. A session without
-- a bar stays a row with has_bar false and a null return, and the next session's return is null
-- too (never forward-filled into a zero return); a bar dated on a day that is not an XHKG
-- session is not a return. A table: a dozen tickers, rebuilt whole by every build.
with calendar as (
    select session_date, session_index
    from {{ ref('int_exchange_calendars') }}
    where exchange = 'XHKG'
),

bars as (
    select bars.ticker, bars.session_date, bars.adj_close_price, bars.fetch_id,
           calendar.session_index
    from {{ ref('stg_prices__home_line_bars') }} as bars
    inner join calendar
        on calendar.session_date = bars.session_date
    where bars.exchange = 'XHKG'
),

spans as (
    select ticker, min(session_index) as first_index, max(session_index) as last_index
    from bars
    group by ticker
),

ticker_sessions as (
    select
        spans.ticker,
        calendar.session_date,
        calendar.session_index,
        bars.ticker is not null     as has_bar,
        bars.adj_close_price,
        bars.fetch_id
    from spans
    inner join calendar
        on calendar.session_index between spans.first_index and spans.last_index
    left join bars
        on bars.ticker = spans.ticker
        and bars.session_index = calendar.session_index
),

final as (
    select
        ticker,
        session_date,
        session_index,
        has_bar,
        adj_close_price,
        case
            when lag(adj_close_price) over by_ticker > 0 and adj_close_price is not null
                then adj_close_price / lag(adj_close_price) over by_ticker - 1
        end                         as daily_return,
        fetch_id
    from ticker_sessions
    window by_ticker as (partition by ticker order by session_index)
)

select * from final
