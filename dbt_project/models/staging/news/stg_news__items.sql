{{ config(tags=['spark']) }}
-- One row per distinct news item.
with source as (
    select * from {{ source('raw', 'news_items') }}
),

renamed as (
    select
        item_key,
        feed_name,
        guid,
        link                     as item_url,
        title                    as headline,
        summary,
        published_at,
        published_utc_offset,
        published_is_fallback,
        first_seen_at,
        last_seen_at,
        first_fetch_id,
        last_fetch_id
    from source
)

select * from renamed
