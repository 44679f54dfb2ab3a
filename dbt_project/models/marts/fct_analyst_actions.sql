{{ config(tags=['spark']) }}
-- One row per analyst action: what the firm did, the price-target change, day 0 and its close,
-- and the abnormal return of the action's event over var analyst_action_window (default [0,0])
-- from the event study (int_event_car: the expected-return model var('expected_return_model')
-- selects, the market model by default).
{%- set w = var('analyst_action_window') %}
with actions as (
    select * from {{ ref('int_analyst_actions') }}
),

events as (
    select event_id, ticker, action_category, day_zero_date from {{ ref('int_analyst_events') }}
),

car as (
    select * from {{ ref('int_event_car') }}
    where window_label = '{{ window_label(w[0], w[1]) }}'
),

final as (
    select
        actions.ticker,
        actions.group_name,
        actions.graded_at,
        actions.firm,
        actions.action_code,
        actions.action_category,
        actions.from_grade,
        actions.to_grade,
        actions.price_target_action,
        actions.prior_price_target,
        actions.current_price_target,
        actions.price_target_change,
        actions.price_target_change_fraction,
        actions.day_zero_date,
        actions.day_zero_close,
        actions.target_upside_at_day_zero_close,
        events.event_id,
        car.window_label,
        '{{ factor_model_name() }}'                             as expected_return_model,
        car.car,
        car.t_statistic,
        car.p_value,
        coalesce(car.is_included, false)                        as is_included,
        car.exclusion_reason
    from actions
    inner join events
        on events.ticker = actions.ticker
        and events.day_zero_date = actions.day_zero_date
        and events.action_category = actions.action_category
    left join car
        on car.event_id = events.event_id
        and car.ticker = events.ticker
)

select * from final
