{{ config(tags=['spark']) }}
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
        {{ price_bar_columns() }}
        {{ exchange_of('ticker') }}      as exchange,
        fetch_id
    from source
)

select * from renamed
