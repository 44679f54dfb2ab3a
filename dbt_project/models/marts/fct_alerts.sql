{{ config(tags=['spark']) }}
-- Published: the alerts of the latest stored session (int_alerts), one row per ticker that moved
-- abnormally, with the count and list of the headlines tagged to it over days -1 and 0 and their
-- mean sentiment. The headlines with links and scores are in fct_alert_headlines.
with alerts as (
    select * from {{ ref('int_alerts') }}
),

headline_lists as (
    select
        ticker,
        count(*)                                                    as headline_count,
        {{ list_agg('headline', ['published_at', 'item_key']) }}      as headlines,
        avg(sentiment_score)                                        as mean_sentiment
    from {{ ref('int_alert_headlines') }}
    group by ticker
),

final as (
    select
        alerts.alert_id,
        alerts.ticker,
        alerts.session_date,
        alerts.group_name,
        alerts.stock_return,
        alerts.benchmark_return,
        alerts.abnormal_return,
        alerts.standardized_abnormal_return,
        alerts.residual_sd,
        alerts.sar_threshold,
        coalesce(headline_lists.headline_count, 0)                   as headline_count,
        coalesce(headline_lists.headlines, {{ empty_text_list() }})  as headlines,
        headline_lists.mean_sentiment
    from alerts
    left join headline_lists
        on headline_lists.ticker = alerts.ticker
)

select * from final
