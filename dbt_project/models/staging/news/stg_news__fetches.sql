{{ config(tags=['spark']) }}
-- One row per feed poll.
with source as (
    select * from {{ source('raw', 'news_fetches') }}
),

renamed as (
    select
        fetch_id,
        feed_name,
        url                as feed_url,
        fetched_at,
        status             as fetch_status,
        http_status,
        error              as error_message,
        entries            as entry_count,
        new_items          as new_item_count,
        updated_items      as updated_item_count,
        archive_path
    from source
)

select * from renamed
