-- Where does each basket pair stand at the latest session?
-- Indices are 100 at the base session; spread = R_A - R_B (arithmetic), relative_strength =
-- (1+R_A)/(1+R_B) (geometric), both buy-and-hold; rolling beta and correlation of basket A on B
-- over 60 sessions (null until the window is full). The latest session where both baskets are
-- published: below var basket_min_coverage (share of members with a bar) a basket's indices are
-- null, so a session with a basket short of prices is skipped; coverage_a/b show how complete.
select
    session_date,
    basket_pair,
    base_date,
    coverage_a,
    coverage_b,
    index_buy_hold_a,
    index_buy_hold_b,
    spread_buy_hold,
    relative_strength_buy_hold,
    spread_daily_rebalanced,
    rolling_beta_60,
    rolling_correlation_60
from marts.fct_sector_relative_performance
where spread_buy_hold is not null
qualify row_number() over (partition by basket_pair order by session_date desc) = 1
order by basket_pair
