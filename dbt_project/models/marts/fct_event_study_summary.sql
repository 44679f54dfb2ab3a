-- One row per event, group and summary window: the cross-section of the event's included pairs.
-- Groups: each ticker's universe group, plus 'all' (every ticker of the event).
-- Counts: pairs_in_scope = the event's tickers in the group (universe tickers without any stored
-- price included); pairs_with_prices = those with stored prices; pairs_included = N.
-- Conventions (N = included pairs; sd = sample standard deviation, N - 1):
--   caar = mean CAR (market model); t_cross_sectional = sqrt(N) * caar / sd(CAR)
--   t_bmp = sqrt(N) * mean(SCAR) / sd(SCAR)  (Boehmer-Musumeci-Poulsen 1991; SCAR standardised by
--     the CAR's standard error with the market model's prediction-error term, int_event_car)
--   t_kolari_pynnonen = t_bmp * sqrt((1 - r) / (1 + (N - 1) r)), r = mean pairwise Pearson
--     correlation of the pairs' market-model residuals over the estimation window (aligned on
--     relative day; the pairs of one event share their calendar dates)
--   sign_test_z = (N_positive - N / 2) / (sqrt(N) / 2), N_positive = pairs with CAR > 0
--   p-values, two-sided: the three t statistics from Student t with N - 1 degrees of freedom
--     (macro student_t_two_sided_p_value); the sign test from the exact binomial(N, 1/2)
--     distribution of N_positive (macro binomial_two_sided_p_value), not from sign_test_z.
--   is_small_sample: N < var('event_study_min_pairs') (default 5): too few pairs for any of these
--     tests to be read as significant; the p-values are still published, exact for their model.
-- A t statistic needs N >= 2 and a positive dispersion, else null.
with cars as (
    select * from {{ ref('int_event_car') }}
),

windows as (
    select * from {{ ref('int_event_windows') }}
    where window_part = 'estimation'
),

all_stats as (
    select * from {{ ref('int_estimation_stats') }}
),

stats as (
    select * from all_stats
    where is_included
),

priced_cars as (
    select cars.*, all_stats.has_prices
    from cars
    inner join all_stats
        on all_stats.event_id = cars.event_id
        and all_stats.ticker = cars.ticker
),

pair_groups as (
    select event_id, ticker, group_name as summary_group, window_label, window_start, window_end,
           car, car_market_adjusted, bhar, scar, is_included, has_confounding_event, has_prices
    from priced_cars
    union all
    select event_id, ticker, 'all' as summary_group, window_label, window_start, window_end,
           car, car_market_adjusted, bhar, scar, is_included, has_confounding_event, has_prices
    from priced_cars
),

estimation_residuals as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.stock_return - (stats.alpha + stats.beta * windows.benchmark_return) as residual
    from windows
    inner join stats
        on stats.event_id = windows.event_id
        and stats.ticker = windows.ticker
    where windows.stock_return is not null
        and windows.benchmark_return is not null
),

pair_correlations as (
    select
        a.event_id,
        a.ticker as ticker_a,
        b.ticker as ticker_b,
        case when count(*) >= 3
            then nullif(corr(a.residual, b.residual), 'NaN'::double)
        end      as residual_correlation
    from estimation_residuals as a
    inner join estimation_residuals as b
        on b.event_id = a.event_id
        and b.relative_day = a.relative_day
        and b.ticker > a.ticker
    group by a.event_id, a.ticker, b.ticker
),

group_correlations as (
    select
        a.event_id,
        a.summary_group,
        a.window_label,
        avg(pair_correlations.residual_correlation) as mean_residual_correlation
    from pair_groups as a
    inner join pair_groups as b
        on b.event_id = a.event_id
        and b.summary_group = a.summary_group
        and b.window_label = a.window_label
        and b.ticker > a.ticker
    inner join pair_correlations
        on pair_correlations.event_id = a.event_id
        and pair_correlations.ticker_a = a.ticker
        and pair_correlations.ticker_b = b.ticker
    where a.is_included and b.is_included
    group by a.event_id, a.summary_group, a.window_label
),

aggregated as (
    select
        event_id,
        summary_group,
        window_label,
        min(window_start)                                          as window_start,
        min(window_end)                                            as window_end,
        count(*)                                                   as pairs_in_scope,
        count(*) filter (where has_prices)                         as pairs_with_prices,
        count(*) filter (where is_included)                        as pairs_included,
        count(*) filter (where is_included and has_confounding_event) as pairs_confounded,
        count(*) filter (where is_included and car > 0)            as pairs_positive,
        avg(car) filter (where is_included)                        as caar,
        stddev_samp(car) filter (where is_included)                as car_sd,
        avg(car_market_adjusted) filter (where is_included)        as caar_market_adjusted,
        avg(bhar) filter (where is_included)                       as mean_bhar,
        avg(scar) filter (where is_included)                       as mean_scar,
        stddev_samp(scar) filter (where is_included)               as scar_sd
    from pair_groups
    group by event_id, summary_group, window_label
),

tested as (
    select
        aggregated.*,
        group_correlations.mean_residual_correlation,
        case when pairs_included >= 2 and car_sd > 0
            then sqrt(pairs_included) * caar / car_sd end          as t_cross_sectional,
        case when pairs_included >= 2 and scar_sd > 0
            then sqrt(pairs_included) * mean_scar / scar_sd end    as t_bmp,
        case when pairs_included >= 1
            then (pairs_positive - 0.5 * pairs_included) / (0.5 * sqrt(pairs_included))
        end                                                        as sign_test_z
    from aggregated
    left join group_correlations
        on group_correlations.event_id = aggregated.event_id
        and group_correlations.summary_group = aggregated.summary_group
        and group_correlations.window_label = aggregated.window_label
),

adjusted as (
    select
        *,
        case when 1 + (pairs_included - 1) * mean_residual_correlation > 0
                and mean_residual_correlation < 1
            then t_bmp * sqrt((1 - mean_residual_correlation)
                / (1 + (pairs_included - 1) * mean_residual_correlation))
        end as t_kolari_pynnonen
    from tested
),

final as (
    select
        event_id,
        summary_group,
        window_label,
        window_start,
        window_end,
        pairs_in_scope,
        pairs_with_prices,
        pairs_included,
        pairs_confounded,
        pairs_positive,
        caar,
        car_sd,
        caar_market_adjusted,
        mean_bhar,
        mean_scar,
        scar_sd,
        mean_residual_correlation,
        pairs_included < {{ var('event_study_min_pairs') }}          as is_small_sample,
        case when t_cross_sectional is not null then pairs_included - 1 end
                                                                    as degrees_of_freedom,
        t_cross_sectional,
        {{ student_t_two_sided_p_value('t_cross_sectional', 'pairs_included - 1') }}
                                                                    as p_cross_sectional,
        t_bmp,
        {{ student_t_two_sided_p_value('t_bmp', 'pairs_included - 1') }}
                                                                    as p_bmp,
        t_kolari_pynnonen,
        {{ student_t_two_sided_p_value('t_kolari_pynnonen', 'pairs_included - 1') }}
                                                                    as p_kolari_pynnonen,
        sign_test_z,
        {{ binomial_two_sided_p_value('pairs_positive', 'pairs_included') }}
                                                                    as p_sign_test
    from adjusted
)

select * from final
