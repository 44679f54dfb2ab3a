{{ config(tags=['spark']) }}
-- One row per (ticker, day 0) with tagged news: the sentiment of the session's headlines. The
-- items and sessions are exactly those of the news-derived events (int_news_events: ticker tags
-- at least var('news_min_tag_confidence') confident, day 0 by the same rule), so the row joins
-- to that event's abnormal returns by event_id.
-- mean_sentiment: mean score of the scored items; net_sentiment: (positive - negative) / scored
-- items, in [-1, 1]. An item not scored yet counts in headline_count only.
with news_events as (
    select event_id, ticker, day_zero_date, item_keys from {{ ref('int_news_events') }}
),

sentiment as (
    select * from {{ ref('stg_news__sentiment') }}
),

event_items as (
    select event_id, ticker, day_zero_date, {{ unnest_list('item_keys') }} as item_key
    from news_events
),

scored as (
    select
        event_items.event_id,
        event_items.ticker,
        event_items.day_zero_date,
        event_items.item_key,
        sentiment.sentiment_score,
        sentiment.sentiment_label
    from event_items
    left join sentiment
        on sentiment.item_key = event_items.item_key
),

aggregated as (
    select
        event_id,
        ticker,
        day_zero_date                                               as session_date,
        count(*)                                                    as headline_count,
        count(sentiment_score)                                      as scored_count,
        count(*) filter (where sentiment_label = 'positive')        as positive_count,
        count(*) filter (where sentiment_label = 'negative')        as negative_count,
        count(*) filter (where sentiment_label = 'neutral')         as neutral_count,
        avg(sentiment_score)                                        as mean_sentiment
    from scored
    group by event_id, ticker, day_zero_date
),

final as (
    select
        *,
        (positive_count - negative_count) / nullif(scored_count, 0)  as net_sentiment,
        case
            when scored_count = 0 then null
            when positive_count > negative_count then 'positive'
            when positive_count < negative_count then 'negative'
            else 'neutral'
        end                                                         as sentiment_direction
    from aggregated
)

select * from final
