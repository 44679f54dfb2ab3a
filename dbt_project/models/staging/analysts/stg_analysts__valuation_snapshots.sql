{{ config(tags=['spark']) }}
-- One valuation snapshot per (ticker, session), typed and renamed. Yahoo's dividend yield (in
-- percent in yfinance 1.7) becomes a fraction, like every share in the marts.
with source as (
    select * from {{ source('raw', 'valuation_snapshots') }}
),

renamed as (
    select
        upper(trim(ticker))                     as ticker,
        cast(session_date as date)              as session_date,
        fetched_at,
        market_cap,
        trailing_pe,
        forward_pe,
        price_to_sales,
        price_to_book,
        ev_to_ebitda,
        dividend_yield / 100.0                  as dividend_yield,
        target_mean_price,
        recommendation_mean,
        analyst_count,
        currency,
        {{ list_length('invalid_fields') }}     as null_field_count,
        invalid_fields,
        fetch_id
    from source
)

select * from renamed
