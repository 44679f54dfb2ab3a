-- Which analyst actions on China ADRs came with significant abnormal returns?
-- Per action (fct_analyst_actions): the firm, what it did (upgrade, downgrade, initiation,
-- target_raise, target_cut, reiteration), the grades and the price-target change, day 0 (after
-- the 16:00 New York close: the next session) with its close, and the abnormal return (market
-- model, or the factor model ADRPULSE_EXPECTED_RETURN_MODEL selects) of the action's event over var analyst_action_window (default [0,0]) with its
-- single-pair t and two-sided p. Significant: p below `alpha` (default 0.05). Several actions of
-- one category on one ticker and day share one event, so they share its abnormal return.
-- Another group or level:
--   adrpulse sql --file china_adr_analyst_actions_with_significant_moves --set group=us_megacap --set alpha=0.01
with params as (
    select
        coalesce(getvariable('group'), 'china_adr') as group_name,
        coalesce(try_cast(getvariable('alpha') as double), 0.05) as alpha
)

select
    actions.ticker,
    actions.firm,
    actions.action_category,
    actions.from_grade,
    actions.to_grade,
    actions.prior_price_target,
    actions.current_price_target,
    actions.price_target_change_fraction,
    actions.graded_at,
    actions.day_zero_date,
    actions.day_zero_close,
    actions.window_label,
    actions.car as abnormal_return,
    actions.t_statistic,
    actions.p_value
from marts.fct_analyst_actions as actions
inner join params
    on actions.group_name = params.group_name
where actions.is_included
    and actions.p_value < params.alpha
order by actions.p_value, actions.graded_at desc, actions.ticker
