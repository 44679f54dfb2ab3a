{{ config(tags=['spark']) }}
-- Published: one row per alert (int_alerts) and headline tagged to its ticker over days -1 and 0
-- (int_alert_headlines), with the link and the headline's sentiment.
with alerts as (
    select alert_id, ticker from {{ ref('int_alerts') }}
),

headlines as (
    select * from {{ ref('int_alert_headlines') }}
),

final as (
    select
        alerts.alert_id,
        headlines.ticker,
        headlines.session_date,
        headlines.item_key,
        headlines.relative_day,
        headlines.published_at,
        headlines.headline,
        headlines.item_url,
        headlines.feed_name,
        headlines.sentiment_score,
        headlines.sentiment_label
    from alerts
    inner join headlines
        on headlines.ticker = alerts.ticker
)

select * from final
