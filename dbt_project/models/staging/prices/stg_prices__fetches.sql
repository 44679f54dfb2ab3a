{{ config(tags=['spark']) }}
-- One row per price fetch or import.
with source as (
    select * from {{ source('raw', 'price_fetches') }}
),

renamed as (
    select
        fetch_id,
        source                        as fetch_source,
        fetched_at,
        archive_path,
        requested_tickers,
        start_date                    as requested_start_date,
        end_date                      as requested_end_date,
        row_count                     as bar_count,
        coalesce(failed_tickers, {{ empty_text_list() }}) as failed_tickers,
        synthetic                     as is_synthetic
    from source
)

select * from renamed
