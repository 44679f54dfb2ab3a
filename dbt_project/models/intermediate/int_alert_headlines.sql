{{ config(tags=['spark']) }}
-- One row per ticker with a bar on the latest stored session L and news item tagged to it whose
-- day 0 is L (relative_day 0) or the session before (relative_day -1): the headlines that may
-- explain a move on L. Items and day 0 are those of the news events (int_news_events: ticker tags
-- at least var('news_min_tag_confidence') confident, news after the close counts for the next
-- session). fct_alerts and fct_alert_headlines keep the rows of the tickers that alert.
with latest as (
    select ticker, session_date from {{ ref('int_latest_session_abnormal_returns') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

news_events as (
    select ticker, day_zero_date, {{ unnest_list('item_keys') }} as item_key
    from {{ ref('int_news_events') }}
),

items as (
    select * from {{ ref('stg_news__items') }}
),

sentiment as (
    select * from {{ ref('stg_news__sentiment') }}
),

final as (
    select
        latest.ticker,
        latest.session_date,
        news_events.item_key,
        news_day.session_index - latest_day.session_index           as relative_day,
        items.published_at,
        items.headline,
        items.item_url,
        items.feed_name,
        sentiment.sentiment_score,
        sentiment.sentiment_label
    from latest
    inner join calendar as latest_day
        on latest_day.session_date = latest.session_date
    inner join news_events
        on news_events.ticker = latest.ticker
    inner join calendar as news_day
        on news_day.session_date = news_events.day_zero_date
    inner join items
        on items.item_key = news_events.item_key
    left join sentiment
        on sentiment.item_key = news_events.item_key
    where news_day.session_index - latest_day.session_index in (-1, 0)
)

select * from final
