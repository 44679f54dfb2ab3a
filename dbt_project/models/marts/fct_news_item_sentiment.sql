{{ config(tags=['spark']) }}
-- Published: one row per stored news item with its headline's sentiment, the model and version
-- that scored it, and the tickers it is tagged with (ticker tags at least
-- var('news_min_tag_confidence') confident, the ones the news events use). When it was scored
-- (raw.news_sentiment.scored_at) is left out: a rebuild from the archive gives the same mart.
with items as (
    select * from {{ ref('stg_news__items') }}
),

sentiment as (
    select * from {{ ref('stg_news__sentiment') }}
),

tickers as (
    select item_key, {{ list_agg('tag', ['tag']) }} as tickers
    from {{ ref('stg_news__item_tags') }}
    where tag_type = 'ticker'
        and confidence >= {{ var('news_min_tag_confidence') }}
    group by item_key
),

final as (
    select
        items.item_key,
        items.feed_name,
        items.headline,
        items.item_url,
        items.published_at,
        items.published_is_fallback,
        coalesce(tickers.tickers, {{ empty_text_list() }}) as tickers,
        sentiment.sentiment_score,
        sentiment.sentiment_label,
        sentiment.sentiment_model,
        sentiment.sentiment_model_version
    from items
    left join sentiment
        on sentiment.item_key = items.item_key
    left join tickers
        on tickers.item_key = items.item_key
)

select * from final
