{{ config(tags=['spark']) }}
-- One row per event and ticker: catalogued events (scope groups expanded to their tickers through
-- the universe), news-derived events and analyst-action events, each with its announcement time
-- and day 0.
-- Day 0 (catalog): see macro day_zero_basis_date; news and analyst events arrive with day 0
-- already set by the same rule in int_news_events and int_analyst_actions.
-- exchange: the calendar day 0 and every relative day of the pair count (macro exchange_of):
-- XNYS for the universe tickers. Home lines: a catalogued event that concerns a dual-listed ADR
-- (seed dual_listings, the listing in effect on the ADR's day 0) concerns its Hong Kong line too,
-- a pair of its own: ticker = the home line (9988.HK), exchange XHKG, adr_ticker = the ADR, day 0
-- by the same rule in Hong Kong time on the XHKG calendar (a Beijing-morning announcement is day
-- 0 that Hong Kong session), day_zero_session_index on int_exchange_calendars' XHKG numbering,
-- and group_name the ADR's group suffixed _xhkg (china_adr_xhkg), so that no group pools a Hong
-- Kong line with a US listing (docs/event_study.md, "Home lines"). News- and analyst-derived
-- events concern the US listing their source names and have no home-line pair.
with catalog as (
    select * from {{ ref('stg_reference__event_catalog') }}
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

news_events as (
    select * from {{ ref('int_news_events') }}
),

analyst_events as (
    select * from {{ ref('int_analyst_events') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

listings as (
    select * from {{ ref('stg_reference__dual_listings') }}
),

xhkg_calendar as (
    select session_date, session_index
    from {{ ref('int_exchange_calendars') }}
    where exchange = 'XHKG'
),

scope_tokens as (
    select event_id, {{ unnest_list('scope_tokens') }} as scope_token
    from catalog
),

-- A token names a group of int_ticker_groups (all its members; tickers with bars but no universe
-- row form 'unclassified') or a ticker (macro tickers_named_by); unknown tokens resolve to
-- nothing (the singular test assert_event_scope_tokens_resolve warns about them).
scope_tickers as (
    select event_id, named_ticker as ticker, min(scope_token) as scope_token
    from ({{ tickers_named_by('scope_tokens', 'scope_token', 'universe') }}) as matches
    group by event_id, named_ticker
),

catalog_event_tickers as (
    select
        catalog.event_id,
        scope_tickers.ticker,
        'catalog'                       as event_origin,
        catalog.event_title,
        catalog.announced_at,
        catalog.announced_date,
        catalog.is_approximate,
        scope_tickers.scope_token,
        {{ day_zero_basis_date('catalog.announced_at', 'catalog.announced_date') }}
                                        as day_zero_basis_date
    from catalog
    inner join scope_tickers
        on scope_tickers.event_id = catalog.event_id
),

catalog_with_day_zero as (
    select
        catalog_event_tickers.*,
        calendar.session_date as day_zero_date
    from catalog_event_tickers
    {{ asof_join('inner', 'catalog_event_tickers', 'catalog_event_tickers.day_zero_basis_date',
                 'calendar', 'session_date', '>=') }}
),

news_event_tickers as (
    select
        event_id,
        ticker,
        'news'                                                   as event_origin,
        {{ list_element('headlines', 1) }}                            as event_title,
        first_published_at                                       as announced_at,
        {{ local_date('first_published_at', 'America/New_York') }} as announced_date,
        false                                                    as is_approximate,
        ticker                                                   as scope_token,
        day_zero_date
    from news_events
),

analyst_event_tickers as (
    select
        event_id,
        ticker,
        'analyst'                                                as event_origin,
        event_title,
        first_graded_at                                          as announced_at,
        {{ local_date('first_graded_at', 'America/New_York') }} as announced_date,
        false                                                    as is_approximate,
        ticker                                                   as scope_token,
        day_zero_date
    from analyst_events
),

unioned as (
    select
        event_id, ticker, event_origin, event_title, announced_at, announced_date,
        is_approximate, scope_token, day_zero_date
    from catalog_with_day_zero
    union all
    select
        event_id, ticker, event_origin, event_title, announced_at, announced_date,
        is_approximate, scope_token, day_zero_date
    from news_event_tickers
    union all
    select
        event_id, ticker, event_origin, event_title, announced_at, announced_date,
        is_approximate, scope_token, day_zero_date
    from analyst_event_tickers
),

us_listings as (
    select
        unioned.event_id,
        unioned.ticker,
        coalesce(universe.group_name, 'unclassified')  as group_name,
        unioned.event_origin,
        unioned.event_title,
        unioned.announced_at,
        unioned.announced_date,
        unioned.is_approximate,
        unioned.scope_token,
        unioned.day_zero_date,
        calendar.session_index                         as day_zero_session_index,
        {{ exchange_of('unioned.ticker') }}            as exchange,
        cast(null as {{ text_type() }})                as adr_ticker
    from unioned
    inner join calendar
        on calendar.session_date = unioned.day_zero_date
    left join universe
        on universe.ticker = unioned.ticker
),

home_line_pairs as (
    select
        adr.*,
        listings.home_ticker,
        {{ day_zero_basis_date('adr.announced_at', 'adr.announced_date', zone='Asia/Hong_Kong') }}
                                                       as home_day_zero_basis_date
    from us_listings as adr
    inner join listings
        on listings.adr_ticker = adr.ticker
        and adr.day_zero_date >= listings.effective_from
        and (listings.effective_to is null or adr.day_zero_date < listings.effective_to)
    where adr.event_origin = 'catalog'
),

home_lines as (
    select
        home_line_pairs.event_id,
        home_line_pairs.home_ticker                    as ticker,
        home_line_pairs.group_name || '_xhkg'          as group_name,
        home_line_pairs.event_origin,
        home_line_pairs.event_title,
        home_line_pairs.announced_at,
        home_line_pairs.announced_date,
        home_line_pairs.is_approximate,
        home_line_pairs.scope_token,
        xhkg_calendar.session_date                     as day_zero_date,
        xhkg_calendar.session_index                    as day_zero_session_index,
        'XHKG'                                         as exchange,
        home_line_pairs.ticker                         as adr_ticker
    from home_line_pairs
    {{ asof_join('inner', 'home_line_pairs', 'home_line_pairs.home_day_zero_basis_date',
                 'xhkg_calendar', 'session_date', '>=') }}
),

final as (
    select * from us_listings
    union all
    select * from home_lines
)

select * from final
