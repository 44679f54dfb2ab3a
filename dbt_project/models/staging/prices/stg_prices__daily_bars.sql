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
        upper(trim(ticker))              as ticker,
        cast(session_date as date)       as session_date,
        cast(open as double)             as open_price,
        cast(high as double)             as high_price,
        cast(low as double)              as low_price,
        cast(close as double)            as close_price,
        cast(adj_close as double)        as adj_close_price,
        cast(volume as bigint)           as volume,
        cast(dividends as double)        as dividend,
        cast(stock_splits as double)     as split_ratio,
        adj_close_source,
        fetch_id
    from source
)

select * from renamed
