-- Where is BABA's ADR premium to its Hong Kong line (9988.HK) today, and how unusual is it?
-- The latest session of fct_adr_premium for the ADR: the ADR close, the home close and HKD=X
-- behind the parity (home close x shares per ADS / HKD per USD), the same-day premium (negative:
-- a discount), its z-score against the last 60 sessions (|z| >= 2: unusual), and where today's
-- premium ranks in the pair's whole history (percentile 0 = the lowest premium seen, 1 = the
-- highest), with that history's range.
-- Another ADR:
--   adrpulse sql --file adr_premium_today --set adr_ticker=JD
with params as (
    select coalesce(getvariable('adr_ticker'), 'BABA') as adr_ticker
),

history as (
    select
        premium.*,
        percent_rank() over (order by premium.premium_same_day) as premium_percentile,
        min(premium.premium_same_day) over ()                   as history_min_premium,
        max(premium.premium_same_day) over ()                   as history_max_premium,
        count(premium.premium_same_day) over ()                 as history_sessions
    from marts.fct_adr_premium as premium
    inner join params
        on premium.adr_ticker = params.adr_ticker
    where premium.premium_same_day is not null
)

select
    adr_ticker,
    home_ticker,
    session_date,
    adr_close,
    same_day_home_date,
    home_close_same_day,
    hkd_per_usd,
    shares_per_ads,
    parity_same_day,
    premium_same_day,
    premium_zscore,
    abs(premium_zscore) >= 2                                    as is_unusual,
    premium_percentile,
    history_min_premium,
    history_max_premium,
    history_sessions,
    premium_next_session,
    lead_lag_beta
from history
order by session_date desc
limit 1
