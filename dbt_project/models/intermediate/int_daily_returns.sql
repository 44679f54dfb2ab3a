-- One row per ticker and XNYS session between the ticker's first and last bar, including sessions
-- with no bar: a missing bar stays a row with null prices, and both its return and the next
-- session's return are null (never forward-filled into a zero return).
with bars as (
    select * from {{ ref('stg_prices__daily_bars') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

ticker_spans as (
    select
        ticker,
        min(session_date) as first_bar_date,
        max(session_date) as last_bar_date
    from bars
    group by ticker
),

ticker_sessions as (
    select
        spans.ticker,
        calendar.session_date,
        calendar.session_index
    from ticker_spans as spans
    inner join calendar
        on calendar.session_date between spans.first_bar_date and spans.last_bar_date
),

with_bars as (
    select
        ticker_sessions.ticker,
        ticker_sessions.session_date,
        ticker_sessions.session_index,
        bars.ticker is not null                     as has_bar,
        bars.open_price,
        bars.high_price,
        bars.low_price,
        bars.close_price,
        bars.adj_close_price,
        lag(bars.adj_close_price) over (
            partition by ticker_sessions.ticker order by ticker_sessions.session_index
        )                                           as previous_adj_close_price
    from ticker_sessions
    left join bars
        on bars.ticker = ticker_sessions.ticker
        and bars.session_date = ticker_sessions.session_date
),

final as (
    select
        ticker,
        session_date,
        session_index,
        has_bar,
        open_price,
        high_price,
        low_price,
        close_price,
        adj_close_price,
        previous_adj_close_price,
        case
            when previous_adj_close_price > 0 and adj_close_price is not null
                then adj_close_price / previous_adj_close_price - 1
        end                                         as daily_return
    from with_bars
)

select * from final
