{{ config(tags=['spark']) }}
{%- set n = var('premium_window') -%}
{#- A correlation and a slope need two points at least. -#}
{%- set min_pairs = [n - 1, 2] | max -%}
-- One row per dual-listed ADR and ADR session (a session with an ADR bar, on or after the
-- listing's effective_from): the ADR's premium to its home line under two alignments, the
-- premium's z-score and the lead-lag of the home line on the ADR. docs/dual_listings.md.
--   parity (USD per ADS) = home raw close x shares_per_ads / HKD per USD
--   premium              = ADR raw close / parity - 1
-- Raw (unadjusted) closes for the premium: both lines trade the same shares today. Returns use
-- the adjusted closes.
--   same_day: the home close of the XHKG bar dated the ADR session's date (that date's Hong Kong
--     close, hours before the New York close). No such bar, no same-day premium: on a date Hong
--     Kong has no session (a Hong Kong holiday, is_home_market_closed) a close days old would
--     measure the days' move of the ADR, not a premium; a missing bar on an XHKG session (a
--     typhoon closure, a gap) leaves it null too, with is_home_market_closed false
--   next_session: the home close of the first XHKG session after the ADR session's date (the
--     home line's reaction to the New York session; null when that session has no bar, e.g. a
--     typhoon closure)
-- FX: each alignment converts at the HKD=X bar of its own date: same_day at the last FX bar on or
--   before the ADR session's date (fx_date), next_session at the last one on or before
--   next_home_session_date (next_session_fx_date).
-- premium_change and premium_zscore read the rows that have a same-day premium only: the change
--   from the pair's previous premium (across a Hong Kong holiday, the last session before it);
--   the z-score (premium_same_day - mean) / sample sd over the pair's last {{ n }} premiums,
--   today's included; null until {{ n }} exist, and null on a row without a premium.
-- lead-lag: home_next_return is the home line's adjusted return on next_home_session_date (from
--   its previous bar, usually the same_day close, to the close after the New York session);
--   lead_lag_corr and lead_lag_beta (OLS slope of home_next_return on adr_return) over the last
--   {{ n }} ADR sessions, null unless at least {{ min_pairs }} of them have both returns (the
--   latest session's next home session has usually not traded yet).
with listings as (
    select * from {{ ref('stg_reference__dual_listings') }}
),

adr_bars as (
    select
        listings.adr_ticker,
        listings.home_ticker,
        listings.shares_per_ads,
        bars.session_date,
        bars.close_price                                       as adr_close,
        bars.adj_close_price
            / lag(bars.adj_close_price) over (
                partition by listings.adr_ticker order by bars.session_date
            ) - 1                                              as adr_return
    from {{ ref('stg_prices__daily_bars') }} as bars
    inner join listings
        on bars.ticker = listings.adr_ticker
        and bars.session_date >= listings.effective_from
        and (listings.effective_to is null or bars.session_date < listings.effective_to)
),

home_bars as (
    select
        ticker,
        session_date,
        close_price                                            as home_close,
        adj_close_price
            / lag(adj_close_price) over (partition by ticker order by session_date) - 1
                                                               as home_return
    from {{ ref('stg_prices__home_line_bars') }}
    where ticker in (select home_ticker from listings)
),

fx as (
    select session_date, close_price as hkd_per_usd
    from {{ ref('stg_prices__home_line_bars') }}
    where ticker = 'HKD=X'
),

xhkg as (
    select session_date from {{ ref('stg_reference__xhkg_sessions') }}
),

aligned as (
    select
        adr.adr_ticker,
        adr.home_ticker,
        adr.session_date,
        adr.shares_per_ads,
        adr.adr_close,
        adr.adr_return,
        fx.session_date                                        as fx_date,
        fx.hkd_per_usd,
        same_day_session.session_date is null                  as is_home_market_closed,
        same_day.session_date                                  as same_day_home_date,
        same_day.home_close                                    as home_close_same_day,
        next_session.session_date                              as next_home_session_date,
        next_fx.session_date                                   as next_session_fx_date,
        next_fx.hkd_per_usd                                    as hkd_per_usd_next_session,
        next_bar.home_close                                    as home_close_next_session,
        next_bar.home_return                                   as home_next_return
    from adr_bars as adr
    {{ asof_join('left', 'adr_bars as adr', 'adr.session_date', 'fx', 'session_date', '<=') }}
    left join xhkg as same_day_session
        on same_day_session.session_date = adr.session_date
    left join home_bars as same_day
        on same_day.ticker = adr.home_ticker
        and same_day.session_date = adr.session_date
    {{ asof_join('left', 'adr_bars as adr', 'adr.session_date', 'xhkg', 'session_date', '>',
                 'next_session') }}
    {#- next_session.session_date takes its values from xhkg: on Spark, the macro's probe values
        are all of xhkg's sessions, a superset of those the join reaches. #}
    {{ asof_join('left', 'xhkg as next_session', 'next_session.session_date', 'fx', 'session_date',
                 '<=', 'next_fx') }}
    left join home_bars as next_bar
        on next_bar.ticker = adr.home_ticker
        and next_bar.session_date = next_session.session_date
),

premiums as (
    select
        *,
        home_close_same_day * shares_per_ads / hkd_per_usd      as parity_same_day,
        home_close_next_session * shares_per_ads / hkd_per_usd_next_session
                                                               as parity_next_session,
        adr_close / (home_close_same_day * shares_per_ads / hkd_per_usd) - 1
                                                               as premium_same_day,
        adr_close / (home_close_next_session * shares_per_ads / hkd_per_usd_next_session) - 1
                                                               as premium_next_session
    from aligned
),

-- The rows with a same-day premium, each with the change from the previous one and the moments
-- of the last {{ n }}.
premium_rows as (
    select
        adr_ticker,
        session_date,
        premium_same_day - lag(premium_same_day) over w_by_adr   as premium_change,
        count(*) over w_trailing                                 as premium_obs,
        avg(premium_same_day) over w_trailing                    as premium_mean,
        stddev_samp(premium_same_day) over w_trailing            as premium_sd
    from premiums
    where premium_same_day is not null
    window
        w_by_adr as (partition by adr_ticker order by session_date),
        w_trailing as (
            partition by adr_ticker order by session_date
            rows between {{ n - 1 }} preceding and current row
        )
),

windowed as (
    select
        premiums.*,
        premium_rows.premium_change,
        premium_rows.premium_obs,
        premium_rows.premium_mean,
        premium_rows.premium_sd,
        regr_count(home_next_return, adr_return) over w_trailing as lead_lag_obs,
        corr(home_next_return, adr_return) over w_trailing       as lead_lag_corr_raw,
        regr_slope(home_next_return, adr_return) over w_trailing as lead_lag_beta_raw
    from premiums
    left join premium_rows
        on premium_rows.adr_ticker = premiums.adr_ticker
        and premium_rows.session_date = premiums.session_date
    window
        w_trailing as (
            partition by premiums.adr_ticker order by premiums.session_date
            rows between {{ n - 1 }} preceding and current row
        )
)

select
    adr_ticker,
    home_ticker,
    session_date,
    shares_per_ads,
    adr_close,
    fx_date,
    hkd_per_usd,
    is_home_market_closed,
    same_day_home_date,
    home_close_same_day,
    parity_same_day,
    premium_same_day,
    next_home_session_date,
    next_session_fx_date,
    hkd_per_usd_next_session,
    home_close_next_session,
    parity_next_session,
    premium_next_session,
    premium_change,
    case
        when premium_obs = {{ n }} and premium_sd > 0
            then (premium_same_day - premium_mean) / premium_sd
    end                                                        as premium_zscore,
    adr_return,
    home_next_return,
    case
        when lead_lag_obs >= {{ min_pairs }} and not isnan(lead_lag_corr_raw)
            then lead_lag_corr_raw
    end                                                        as lead_lag_corr,
    case
        when lead_lag_obs >= {{ min_pairs }} and not isnan(lead_lag_beta_raw)
            then lead_lag_beta_raw
    end                                                        as lead_lag_beta
from windowed
