-- The two indices of a basket describe the same basket (fct_sector_relative_performance): on every
-- session both are published or both are null, by the one coverage rule (var basket_min_coverage).
-- Returns the sessions where one of a basket's indices is null and the other is not.
select session_date, basket_pair, 'a' as side, index_buy_hold_a, index_daily_rebalanced_a
from {{ ref('fct_sector_relative_performance') }}
where (index_buy_hold_a is null) <> (index_daily_rebalanced_a is null)
union all
select session_date, basket_pair, 'b' as side, index_buy_hold_b, index_daily_rebalanced_b
from {{ ref('fct_sector_relative_performance') }}
where (index_buy_hold_b is null) <> (index_daily_rebalanced_b is null)
