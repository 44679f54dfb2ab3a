{{ config(tags=['spark']) }}
-- One row per event, group and relative day of the event window: the average abnormal return of
-- the day and the cumulative average from the window start, what EventStudyTools' ARC and WRDS
-- print first. Groups: each ticker's universe group, plus 'all', per exchange (relative days count
-- that exchange's sessions, so pairs on two calendars are never averaged). The market model
-- by default (see the expected-return model below).
-- Conventions (on each day t; sd = sample standard deviation, N - 1):
--   pairs_included = N_t: pairs with a usable market model and an abnormal return on day t
--   aar = mean AR_t over them; t_cross_sectional = sqrt(N_t) * aar / sd(AR_t)
--   sar = AR_t / (s * sqrt(1 + 1/M + (r_m,t - mean r_m)^2 / Sxx)), the AR standardised by its
--     standard error with the market model's prediction-error term (the CAR variance of
--     int_event_car with L = 1); t_bmp = sqrt(N_t) * mean(SAR) / sd(SAR) (Boehmer, Musumeci and
--     Poulsen 1991)
--   caar = mean over the pairs with a complete CAR from the window start to t (pairs_with_car) of
--     that CAR; equal to the sum of the AARs when the same pairs have every day, else not.
--     t_caar_cross_sectional = sqrt(K) * caar / sd(CAR), K = pairs_with_car
--   p-values: two-sided, Student t with N - 1 (K - 1) degrees of freedom; is_small_sample: N_t <
--     var('event_study_min_pairs').
-- A t statistic needs at least 2 pairs and a positive dispersion, else null.
-- The expected-return model: var('expected_return_model') (setting ADRPULSE_EXPECTED_RETURN_MODEL,
-- named in expected_return_model) selects the ARs and CARs (int_event_window_returns'
-- *_selected_model columns) and the pair statistics (macro expected_return_stats). With ff3 / ff5
-- the SAR's prediction-error term is the factor model's, AR_t / (s sqrt(1 + 1/M + (x_t - mean x)'
-- S^-1 (x_t - mean x))) (int_factor_abnormal_returns.prediction_error_term; x = the factor
-- vector, S its centered cross-product matrix over the estimation window), s and M the factor fit's.
{%- set model = factor_model_name() %}
{%- set factors = factor_model_columns() %}
{%- set selected = model != 'market_model' %}
{%- set source = 'selected_model' if selected else 'market_model' %}
with window_returns as (
    select * from {{ ref('int_event_window_returns') }}
),

stats as (
    select * from {{ expected_return_stats() }}
),
{%- if selected %}

factor_days as (
    select event_id, ticker, relative_day, prediction_error_term
    from {{ ref('int_factor_abnormal_returns') }}
),
{%- endif %}

pair_days as (
    select
        window_returns.event_id,
        window_returns.ticker,
        {{ exchange_of('window_returns.ticker') }}             as exchange,
        window_returns.group_name,
        window_returns.relative_day,
        window_returns.session_date,
        window_returns.abnormal_return_{{ source }} as abnormal_return,
        window_returns.car_{{ source }} as car,
        {%- if selected %}
        window_returns.abnormal_return_selected_model
            / (stats.residual_sd * sqrt(
                1.0 + 1.0 / stats.estimation_obs
                + factor_days.prediction_error_term))    as standardized_abnormal_return
        {%- else %}
        window_returns.abnormal_return_market_model
            / (stats.residual_sd * sqrt(
                1.0 + 1.0 / stats.estimation_obs
                + power(window_returns.benchmark_return - stats.benchmark_estimation_mean, 2)
                    / stats.benchmark_estimation_sxx))   as standardized_abnormal_return
        {%- endif %}
    from window_returns
    inner join stats
        on stats.event_id = window_returns.event_id
        and stats.ticker = window_returns.ticker
    {%- if selected %}
    left join factor_days
        on factor_days.event_id = window_returns.event_id
        and factor_days.ticker = window_returns.ticker
        and factor_days.relative_day = window_returns.relative_day
    {%- endif %}
),

grouped as (
    select event_id, ticker, exchange, group_name as summary_group, relative_day, session_date,
           abnormal_return, car, standardized_abnormal_return
    from pair_days
    union all
    select event_id, ticker, exchange, {{ all_pairs_group('ticker') }} as summary_group, relative_day, session_date,
           abnormal_return, car, standardized_abnormal_return
    from pair_days
),

aggregated as (
    select
        event_id,
        summary_group,
        exchange,
        relative_day,
        -- the pairs of one event on one exchange share their sessions
        min(session_date)                                                as session_date,
        count(*)                                                         as pairs_in_scope,
        count(abnormal_return)                                           as pairs_included,
        count(abnormal_return) filter (where abnormal_return > 0)        as pairs_positive,
        avg(abnormal_return)                                             as aar,
        stddev_samp(abnormal_return)                                     as ar_sd,
        avg(standardized_abnormal_return)                                as mean_sar,
        stddev_samp(standardized_abnormal_return)                        as sar_sd,
        count(car)                                                       as pairs_with_car,
        avg(car)                                                         as caar,
        stddev_samp(car)                                                 as car_sd
    from grouped
    group by event_id, summary_group, exchange, relative_day
),

tested as (
    select
        *,
        case when pairs_included >= 2 and ar_sd > 0
            then sqrt(pairs_included) * aar / ar_sd end                  as t_cross_sectional,
        case when pairs_included >= 2 and sar_sd > 0
            then sqrt(pairs_included) * mean_sar / sar_sd end            as t_bmp,
        case when pairs_with_car >= 2 and car_sd > 0
            then sqrt(pairs_with_car) * caar / car_sd end                as t_caar_cross_sectional
    from aggregated
),

final as (
    select
        event_id,
        summary_group,
        exchange,
        relative_day,
        session_date,
        '{{ model }}'                                                   as expected_return_model,
        pairs_in_scope,
        pairs_included,
        pairs_positive,
        pairs_included < {{ var('event_study_min_pairs') }}             as is_small_sample,
        aar,
        ar_sd,
        t_cross_sectional,
        {{ student_t_two_sided_p_value('t_cross_sectional', 'pairs_included - 1') }}
                                                                        as p_cross_sectional,
        mean_sar,
        sar_sd,
        t_bmp,
        {{ student_t_two_sided_p_value('t_bmp', 'pairs_included - 1') }}
                                                                        as p_bmp,
        pairs_with_car,
        caar,
        car_sd,
        t_caar_cross_sectional,
        {{ student_t_two_sided_p_value('t_caar_cross_sectional', 'pairs_with_car - 1') }}
                                                                        as p_caar_cross_sectional
    from tested
)

select * from final
