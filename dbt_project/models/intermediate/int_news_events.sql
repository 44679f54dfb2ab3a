{{ config(tags=['spark']) }}
-- One row per (ticker, day 0) on which tagged news items appeared: the news-derived events.
-- Items count only with a ticker tag at least var('news_min_tag_confidence') confident and a
-- publication time (fetch-time fallbacks are left out unless var('news_include_fallback_dates')).
with items as (
    select * from {{ ref('stg_news__items') }}
),

tags as (
    select * from {{ ref('stg_news__item_tags') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

ticker_items as (
    select
        tags.tag                                 as ticker,
        items.item_key,
        items.headline,
        items.published_at,
        {{ day_zero_basis_date('items.published_at', 'null') }} as day_zero_basis_date
    from items
    inner join tags
        on tags.item_key = items.item_key
    where tags.tag_type = 'ticker'
        and tags.confidence >= {{ var('news_min_tag_confidence') }}
        and items.published_at is not null
        {% if not var('news_include_fallback_dates') %}
        and not items.published_is_fallback
        {% endif %}
),

with_day_zero as (
    select
        ticker_items.*,
        calendar.session_date as day_zero_date
    from ticker_items
    {{ asof_join('inner', 'ticker_items', 'ticker_items.day_zero_basis_date',
                 'calendar', 'session_date', '>=') }}
),

aggregated as (
    select
        ticker,
        day_zero_date,
        count(*)                                                  as item_count,
        {{ list_agg('headline', ['published_at', 'item_key']) }}  as headlines,
        {{ list_agg('item_key', ['published_at', 'item_key']) }}  as item_keys,
        min(published_at)                                         as first_published_at,
        max(published_at)                                         as last_published_at
    from with_day_zero
    group by ticker, day_zero_date
),

final as (
    select
        'news_' || ticker || '_' || {{ format_date('day_zero_date', '%Y%m%d') }} as event_id,
        ticker,
        day_zero_date,
        item_count,
        headlines,
        item_keys,
        first_published_at,
        last_published_at
    from aggregated
)

select * from final
