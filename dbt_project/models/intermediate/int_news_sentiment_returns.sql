{{ config(tags=['spark']) }}
-- One row per (ticker, session) with tagged news: the headlines' count and sentiment
-- (int_news_session_sentiment) next to the market-model abnormal return of that session (day 0)
-- and of the next one (day +1), from the news event of the same ticker and day 0
-- (int_event_window_returns). A return is null when the session is not stored yet or the pair's
-- market model is excluded (exclusion_reason says why).
with sessions as (
    select * from {{ ref('int_news_session_sentiment') }}
),

window_returns as (
    select event_id, ticker, relative_day, group_name, abnormal_return_market_model,
           standardized_abnormal_return, is_estimation_valid, exclusion_reason
    from {{ ref('int_event_window_returns') }}
    where relative_day in (0, 1)
),

day_zero as (
    select * from window_returns where relative_day = 0
),

day_one as (
    select * from window_returns where relative_day = 1
),

universe as (
    select ticker, group_name from {{ ref('int_ticker_groups') }}
),

final as (
    select
        sessions.ticker,
        sessions.session_date,
        coalesce(day_zero.group_name, universe.group_name, 'unclassified') as group_name,
        sessions.event_id,
        sessions.headline_count,
        sessions.scored_count,
        sessions.positive_count,
        sessions.negative_count,
        sessions.neutral_count,
        sessions.mean_sentiment,
        sessions.net_sentiment,
        sessions.sentiment_direction,
        day_zero.abnormal_return_market_model                  as abnormal_return_day_0,
        day_zero.standardized_abnormal_return                  as standardized_abnormal_return_day_0,
        day_one.abnormal_return_market_model                   as abnormal_return_day_1,
        day_one.standardized_abnormal_return                   as standardized_abnormal_return_day_1,
        day_zero.abnormal_return_market_model
            + day_one.abnormal_return_market_model             as car_day_0_to_1,
        coalesce(day_zero.is_estimation_valid, false)          as is_estimation_valid,
        day_zero.exclusion_reason
    from sessions
    left join day_zero
        on day_zero.event_id = sessions.event_id
        and day_zero.ticker = sessions.ticker
    left join day_one
        on day_one.event_id = sessions.event_id
        and day_one.ticker = sessions.ticker
    left join universe
        on universe.ticker = sessions.ticker
)

select * from final
