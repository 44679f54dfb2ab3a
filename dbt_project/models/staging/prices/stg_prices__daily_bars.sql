{{ config(tags=['spark']) }}
-- One bar per ticker and session date, typed and renamed, for the tickers on the XNYS calendar
-- (every model that counts XNYS sessions reads this). Hong Kong lines and FX bars, on calendars of
-- their own, are stg_prices__home_line_bars. No other filtering or filling here.
with source as (
    select * from {{ source('raw', 'daily_bars') }}
    where {{ exchange_of('ticker') }} = 'XNYS'
),

renamed as (
    select
        {{ price_bar_columns() }}
        cast(dividends as double)        as dividend,
        cast(stock_splits as double)     as split_ratio,
        adj_close_source,
        fetch_id
    from source
)

select * from renamed
