{{ config(tags=['spark']) }}
-- One row per news item and tag; ticker tags are upper-cased to match the universe.
with source as (
    select * from {{ source('raw', 'news_item_tags') }}
),

renamed as (
    select
        item_key,
        case when tag_type = 'ticker' then upper(trim(tag)) else tag end  as tag,
        tag_type,
        matched_alias,
        cast(confidence as double)                                        as confidence
    from source
)

select * from renamed
