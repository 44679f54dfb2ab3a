{{ config(tags=['spark']) }}
-- Do analyst actions move the stocks, and by how much? Grain: action category x group x summary
-- window, over the analyst events (int_analyst_events: one per ticker, day 0 and category) whose
-- CAR over the window is computed (int_event_car, is_included; the expected-return model
-- var('expected_return_model') selects, the market model by default). Group: the
-- ticker's universe group, and 'all'.
--   mean_car = mean CAR over the events; t_cross_sectional = sqrt(N) * mean_car / sd(CAR)
--   (sample sd), p_value two-sided from Student t with N - 1 df (macro
--   student_t_two_sided_p_value). It treats the events as independent: actions on one day
--   (several firms, or one theme) share market news, so read small p-values of clustered dates
--   with care. is_small_sample when N < var event_study_min_pairs.
with car as (
    select * from {{ ref('int_event_car') }}
    where event_origin = 'analyst' and is_included
),

events as (
    select event_id, ticker, action_category from {{ ref('int_analyst_events') }}
),

pairs as (
    select
        events.action_category,
        car.group_name,
        car.window_label,
        car.window_start,
        car.window_end,
        car.car
    from car
    inner join events
        on events.event_id = car.event_id
        and events.ticker = car.ticker
),

grouped as (
    select action_category, group_name as summary_group, window_label, window_start,
        window_end, car
    from pairs
    union all
    select action_category, 'all' as summary_group, window_label, window_start, window_end, car
    from pairs
),

stats as (
    select
        action_category,
        summary_group,
        window_label,
        min(window_start)                                      as window_start,
        min(window_end)                                        as window_end,
        count(*)                                               as events_included,
        count(*) filter (where car > 0)                        as events_positive,
        avg(car)                                               as mean_car,
        stddev_samp(car)                                       as car_sd
    from grouped
    group by action_category, summary_group, window_label
),

tested as (
    select
        *,
        case when car_sd > 0 then sqrt(events_included) * mean_car / car_sd end
                                                               as t_cross_sectional
    from stats
),

final as (
    select
        action_category,
        summary_group,
        window_label,
        window_start,
        window_end,
        '{{ factor_model_name() }}'                            as expected_return_model,
        events_included,
        events_positive,
        mean_car,
        car_sd,
        t_cross_sectional,
        case when t_cross_sectional is not null then events_included - 1 end
                                                               as degrees_of_freedom,
        {{ student_t_two_sided_p_value('t_cross_sectional', 'events_included - 1') }}
                                                               as p_value,
        events_included < {{ var('event_study_min_pairs') }}   as is_small_sample
    from tested
)

select * from final
