{{ config(tags=['spark']) }}
-- Published: one row per (ticker, session) with tagged news, its headlines' sentiment and the
-- abnormal returns of day 0 and day +1. Computed in int_news_sentiment_returns (which
-- fct_sentiment_return_summary aggregates too); the contract in _marts__models.yml fixes the
-- columns and their types.
select * from {{ ref('int_news_sentiment_returns') }}
