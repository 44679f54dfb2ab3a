-- One bar per ticker and session date for the tickers NOT on the XNYS calendar: Hong Kong lines
-- (9988.HK, the benchmark 2800.HK) on XHKG and FX pairs (HKD=X) on weekdays, with that exchange.
-- Typed and renamed as stg_prices__daily_bars; no filtering or filling here. The session date is
-- the exchange's own date (a Hong Kong bar is dated in Hong Kong).
with source as (
    select * from {{ source('raw', 'daily_bars') }}
    where {{ exchange_of('ticker') }} <> 'XNYS'
),

renamed as (
    select
        upper(trim(ticker))              as ticker,
        {{ exchange_of('ticker') }}      as exchange,
        cast(session_date as date)       as session_date,
        cast(open as double)             as open_price,
        cast(high as double)             as high_price,
        cast(low as double)              as low_price,
        cast(close as double)            as close_price,
        cast(adj_close as double)        as adj_close_price,
        cast(volume as bigint)           as volume,
        fetch_id
    from source
)

select * from renamed
