{{ config(tags=['spark']) }}
-- One row per catalogued event and dual-listed pair whose ADR the event concerns: each line's
-- day 0 on its own exchange, its day-0 return and abnormal return side by side, and which line
-- reacted first. docs/dual_listings.md.
--   ADR day 0: int_events' XNYS day 0 (16:00 New York rule). Home day 0: int_events' row of the
--     home line (exchange XHKG), the same rule in Hong Kong time on the XHKG calendar (macro
--     day_zero_basis_date with 'Asia/Hong_Kong'), so a Beijing-morning announcement is day 0 that
--     Hong Kong session and the next New York one. The event study has both pairs.
--   Day-0 return: adjusted close over the line's previous bar, minus 1.
--   Abnormal return (market-adjusted): the ADR's return minus var benchmark_ticker's (SPY) on the
--     ADR's day 0; the home line's minus the Hong Kong benchmark's (var hk_benchmark_ticker, the
--     setting ADRPULSE_HK_BENCHMARK) on the home day 0: the same model on both lines, so they
--     compare.
--   Abnormal return (market model): each pair's day-0 AR of the event study
--     (int_event_window_returns, relative day 0: the ADR's market model fitted against SPY over
--     XNYS sessions, the home line's against the Hong Kong benchmark over XHKG sessions), the
--     figure fct_event_window_returns publishes; null when the pair's market model is excluded.
--   first_reacting_line: the line whose day-0 session closed first (Hong Kong's 16:00 HKT close
--     is 12 or 13 hours before New York's on the same date).
with events as (
    select event_id, ticker, event_title, announced_at, day_zero_date, exchange, adr_ticker
    from {{ ref('int_events') }}
    where event_origin = 'catalog'
),

-- int_events adds the home line of a dual-listed ADR's event (the listing in effect on the ADR's
-- day 0) with the ADR in adr_ticker.
with_home_day_zero as (
    select
        adr.event_id,
        adr.event_title,
        adr.announced_at,
        adr.ticker                                              as adr_ticker,
        home.ticker                                             as home_ticker,
        adr.day_zero_date                                       as adr_day_zero_date,
        home.day_zero_date                                      as home_day_zero_date
    from events as adr
    inner join events as home
        on home.event_id = adr.event_id
        and home.adr_ticker = adr.ticker
        and home.exchange = 'XHKG'
    where adr.exchange = 'XNYS'
),

listings as (
    select distinct adr_ticker, ticker as home_ticker from events where exchange = 'XHKG'
),

day_zero_market_model as (
    select event_id, ticker, abnormal_return_market_model
    from {{ ref('int_event_window_returns') }}
    where relative_day = 0
        and event_origin = 'catalog'
        and ticker in (select adr_ticker from listings union all select home_ticker from listings)
),

us_returns as (
    select
        ticker,
        session_date,
        adj_close_price / lag(adj_close_price) over (partition by ticker order by session_date) - 1
                                                                as day_return
    from {{ ref('stg_prices__daily_bars') }}
    where ticker in (select adr_ticker from listings)
        or ticker = '{{ var("benchmark_ticker") }}'
),

home_returns as (
    select
        ticker,
        session_date,
        adj_close_price / lag(adj_close_price) over (partition by ticker order by session_date) - 1
                                                                as day_return
    from {{ ref('stg_prices__home_line_bars') }}
    where ticker in (select home_ticker from listings)
        or ticker = '{{ var("hk_benchmark_ticker") }}'
),

joined as (
    select
        p.event_id,
        p.event_title,
        p.announced_at,
        p.adr_ticker,
        p.home_ticker,
        p.adr_day_zero_date,
        p.home_day_zero_date,
        adr.day_return                                          as adr_day_zero_return,
        adr.day_return - us_bench.day_return                    as adr_abnormal_return,
        adr_model.abnormal_return_market_model                  as adr_abnormal_return_market_model,
        home.day_return                                         as home_day_zero_return,
        '{{ var("hk_benchmark_ticker") }}'                      as home_benchmark_ticker,
        home.day_return - hk_bench.day_return                   as home_abnormal_return,
        home_model.abnormal_return_market_model                 as home_abnormal_return_market_model,
        {{ local_time_to_utc('p.home_day_zero_date', '16:00:00', 'Asia/Hong_Kong') }}
                                                                as home_day_zero_close_at,
        {{ local_time_to_utc('p.adr_day_zero_date', '16:00:00', 'America/New_York') }}
                                                                as adr_day_zero_close_at
    from with_home_day_zero as p
    left join us_returns as adr
        on adr.ticker = p.adr_ticker and adr.session_date = p.adr_day_zero_date
    left join us_returns as us_bench
        on us_bench.ticker = '{{ var("benchmark_ticker") }}'
        and us_bench.session_date = p.adr_day_zero_date
    left join home_returns as home
        on home.ticker = p.home_ticker and home.session_date = p.home_day_zero_date
    left join home_returns as hk_bench
        on hk_bench.ticker = '{{ var("hk_benchmark_ticker") }}'
        and hk_bench.session_date = p.home_day_zero_date
    left join day_zero_market_model as adr_model
        on adr_model.event_id = p.event_id and adr_model.ticker = p.adr_ticker
    left join day_zero_market_model as home_model
        on home_model.event_id = p.event_id and home_model.ticker = p.home_ticker
)

select
    *,
    case
        when home_day_zero_close_at < adr_day_zero_close_at then home_ticker
        else adr_ticker
    end                                                         as first_reacting_ticker,
    {{ hours_between('least(home_day_zero_close_at, adr_day_zero_close_at)',
                     'greatest(home_day_zero_close_at, adr_day_zero_close_at)') }}
                                                                as hours_between_day_zero_closes
from joined
