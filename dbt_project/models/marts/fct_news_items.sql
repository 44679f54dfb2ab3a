{{ config(tags=['spark']) }}
-- One row per news item: its headline, link, feed, publication time, the tickers it is tagged
-- with and its US day 0, plus the news-derived events it belongs to, so SQL can say which
-- headline made an event (marts.fct_event_car has the event, this mart its headlines).
with items as (
    select * from {{ ref('stg_news__items') }}
),

tags as (
    select * from {{ ref('stg_news__item_tags') }}
),

calendar as (
    select session_date from {{ ref('int_trading_calendar') }}
),

news_event_items as (
    select event_id, {{ unnest_list('item_keys') }} as item_key from {{ ref('int_news_events') }}
),

item_tickers as (
    -- The tickers the pipeline acts on: ticker tags at least var('news_min_tag_confidence')
    -- confident, as in int_news_events.
    select
        item_key,
        {{ sorted_distinct_list_agg('tag') }} as tickers
    from tags
    where tag_type = 'ticker'
        and confidence >= {{ var('news_min_tag_confidence') }}
    group by item_key
),

dated_items as (
    select
        item_key,
        {{ day_zero_basis_date('published_at', 'null') }} as day_zero_basis_date
    from items
    where published_at is not null
),

item_day_zero as (
    select
        dated_items.item_key,
        calendar.session_date as day_zero_date
    from dated_items
    {{ asof_join('inner', 'dated_items', 'dated_items.day_zero_basis_date',
                 'calendar', 'session_date', '>=') }}
),

item_events as (
    select
        item_key,
        {{ sorted_distinct_list_agg('event_id') }} as news_event_ids
    from news_event_items
    group by item_key
),

final as (
    select
        items.item_key,
        items.headline                                          as title,
        items.item_url                                          as link,
        items.feed_name,
        items.published_at,
        items.published_is_fallback,
        coalesce(item_tickers.tickers, cast({{ empty_text_list() }} as {{ text_list_type() }}))
                                                                as tickers,
        item_day_zero.day_zero_date,
        coalesce(item_events.news_event_ids, cast({{ empty_text_list() }} as {{ text_list_type() }}))
                                                                as news_event_ids
    from items
    left join item_tickers on item_tickers.item_key = items.item_key
    left join item_day_zero on item_day_zero.item_key = items.item_key
    left join item_events on item_events.item_key = items.item_key
)

select * from final
