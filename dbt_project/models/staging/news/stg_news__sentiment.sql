{{ config(tags=['spark']) }}
-- One row per scored news item: the headline's sentiment from the scorer in use.
with source as (
    select * from {{ source('raw', 'news_sentiment') }}
),

renamed as (
    select
        item_key,
        model                      as sentiment_model,
        model_version              as sentiment_model_version,
        cast(score as double)      as sentiment_score,
        label                      as sentiment_label,
        scored_at
    from source
)

select * from renamed
