-- Which ADRs moved most around Xi's symposium with private entrepreneurs (xi_symposium), and was
-- it significant?
-- Per ticker: the CAR over [-1,+1] with its single-pair t and p (fct_event_car; the model named in
-- expected_return_model, the market model unless ADRPULSE_EXPECTED_RETURN_MODEL says ff3 / ff5),
-- largest absolute move first; group columns repeat the cross-sectional test of the ticker's group
-- (fct_event_study_summary): N, CAAR and the Kolari-Pynnonen t and p, which allow for the pairs
-- sharing the event date. significant_5pct: two-sided p < 0.05 (the single-pair p from
-- t(M - K - 1), t(M - 2) for the market model);
-- group_significant_5pct is null when the group has fewer than 5 included pairs
-- (group_is_small_sample), where no cross-sectional test is read as significant.
-- Another event or window:
--   adrpulse sql --file xi_symposium_movers --set event_id=deepseek_shock --set window_label='[0,+1]'
with params as (
    select
        coalesce(getvariable('event_id'), 'xi_symposium') as event_id,
        coalesce(getvariable('window_label'), '[-1,+1]') as window_label
)

select
    car.event_id,
    car.ticker,
    car.group_name,
    car.day_zero_date,
    car.window_label,
    car.expected_return_model,
    car.car,
    car.car_market_adjusted,
    car.t_statistic,
    car.p_value,
    car.p_value < 0.05 as significant_5pct,
    car.has_confounding_event,
    summary.pairs_included as group_n,
    summary.caar as group_caar,
    summary.t_kolari_pynnonen as group_t_kp,
    summary.p_kolari_pynnonen as group_p_kp,
    summary.is_small_sample as group_is_small_sample,
    case when not summary.is_small_sample
        then summary.p_kolari_pynnonen < 0.05 end as group_significant_5pct
from marts.fct_event_car as car
inner join params
    on car.event_id = params.event_id and car.window_label = params.window_label
left join marts.fct_event_study_summary as summary
    on summary.event_id = car.event_id
    and summary.window_label = car.window_label
    and summary.summary_group = car.group_name
where car.is_included
order by abs(car.car) desc, car.ticker
