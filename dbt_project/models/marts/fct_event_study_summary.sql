{{ config(tags=['spark']) }}
-- One row per event, group and summary window: the cross-section of the event's included pairs.
-- Groups: each ticker's universe group, plus 'all' (every US ticker of the event); the Hong Kong
-- lines' groups are suffixed _xhkg (china_adr_xhkg, all_xhkg: int_events, macro all_pairs_group).
-- Counts: pairs_in_scope = the event's tickers in the group (universe tickers without any stored
-- price included); pairs_with_prices = those with stored prices; pairs_included = N.
-- Conventions (N = included pairs; sd = sample standard deviation, N - 1):
--   caar = mean CAR (the selected model's, below); t_cross_sectional = sqrt(N) * caar / sd(CAR)
--   t_bmp = sqrt(N) * mean(SCAR) / sd(SCAR)  (Boehmer-Musumeci-Poulsen 1991; SCAR standardised by
--     the CAR's standard error with the market model's prediction-error term, int_event_car)
--   t_kolari_pynnonen = t_bmp * sqrt((1 - r) / (1 + (N - 1) r)), r = mean pairwise Pearson
--     correlation of the pairs' market-model residuals over the estimation window (aligned on
--     relative day; the pairs of one event share their calendar dates)
--   sign_test_z = (N_positive - N / 2) / (sqrt(N) / 2), N_positive = pairs with CAR > 0
--   p-values, two-sided: the three t statistics from Student t with N - 1 degrees of freedom
--     (macro student_t_two_sided_p_value); the sign test from the exact binomial(N, 1/2)
--     distribution of N_positive (macro binomial_two_sided_p_value), not from sign_test_z.
--   patell_z = sum(SCAR) / sqrt(sum((M - 2) / (M - 4))) (Patell 1976; each SCAR ~ t(M - 2), whose
--     variance is (M - 2) / (M - 4)); adjusted_patell_z = patell_z * sqrt((1 - r) / (1 + (N - 1) r))
--     (Kolari and Pynnonen 2010, the same r); both p-values from the standard normal
--   generalized_sign_z = (N_positive - N p) / sqrt(N p (1 - p)), p = expected_positive_share, the
--     mean over the pairs of each pair's share of positive estimation-window residuals (Cowan
--     1992); p-value from the standard normal
--   wilcoxon_w_plus = sum of the ranks of |CAR| over the pairs with CAR > 0 (Wilcoxon 1945
--     signed-rank; CAR = 0 dropped, ties given average ranks; wilcoxon_pairs = the pairs ranked);
--     p_wilcoxon exact for up to 50 pairs, normal with tie correction above (macro
--     wilcoxon_two_sided_p_value)
--   corrado_rank_z = sum_{t in window} U_t / (sqrt(L) * S_U), U_t = mean standardised rank of the
--     group's included pairs on day t (int_event_abnormal_ranks), S_U^2 = (1/T) sum over the T
--     days of the estimation and event windows of (N_t / N) U_t^2 (Corrado 1989 with Corrado and
--     Zivney's standardised ranks; Cowan 1992 for multi-day windows); p from the standard normal
--   grank_t, p_grank: the generalized rank test of Kolari and Pynnonen (2011), computed in
--     int_event_grank (its header gives the definitions); p from Student t(T - 2)
--   is_small_sample: N < var('event_study_min_pairs') (default 5): too few pairs for any of these
--     tests to be read as significant; the p-values are still published, exact for their model.
-- A t statistic needs N >= 2 and a positive dispersion, else null.
-- The expected-return model: var('expected_return_model') (setting ADRPULSE_EXPECTED_RETURN_MODEL,
-- named in expected_return_model) selects the CARs and SCARs (int_event_car), the residuals of r
-- and of Cowan's share, the ranks (int_event_abnormal_ranks, int_event_grank) and the pairs
-- (macro expected_return_stats). With ff3 / ff5 (K factors) the residuals are the factor fit's
-- and each SCAR is t(M - K - 1), so Patell's variance is (M - K - 1) / (M - K - 3) (M > K + 3).
{%- set model = factor_model_name() %}
{%- set factors = factor_model_columns() %}
{%- set selected = model != 'market_model' %}
{%- set k = expected_return_slopes() | int %}
with cars as (
    select * from {{ ref('int_event_car') }}
),

all_stats as (
    select * from {{ expected_return_stats() }}
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
           car, car_market_adjusted, bhar, scar, estimation_obs, is_included,
           has_confounding_event, has_prices
    from priced_cars
    union all
    select event_id, ticker, {{ all_pairs_group('ticker') }} as summary_group, window_label, window_start, window_end,
           car, car_market_adjusted, bhar, scar, estimation_obs, is_included,
           has_confounding_event, has_prices
    from priced_cars
),

-- The ranks, and the residuals of the expected-return model (its abnormal returns on the
-- estimation days the model was fitted on), of the included pairs come from
-- int_event_abnormal_ranks, which computes both with each pair's fit under whichever model
-- var('expected_return_model') selects. It is read where needed, not as one CTE: three readers
-- made DuckDB materialize its 2.3M rows (500 x 10). One pass over each pair's days gives its rank
-- sums and, for Cowan's generalized sign test, its share of positive estimation-window residuals.
pair_rank_sums as (
    select
        event_id                                            as pair_event_id,
        ticker                                              as pair_ticker,
        avg(case when abnormal_return > 0 then {{ float_literal('1.0') }} else {{ float_literal('0.0') }} end)
            filter (where window_part = 'estimation')       as positive_share,
        count(*)                                            as rank_days,
        sum(standardized_rank * standardized_rank)          as rank_squares
        {%- for w in var('summary_windows') %},
        sum(standardized_rank) filter (where relative_day between {{ w[0] }} and {{ w[1] }})
                                                            as window_rank_sum_{{ loop.index }},
        count(*) filter (where relative_day between {{ w[0] }} and {{ w[1] }})
                                                            as window_rank_days_{{ loop.index }}
        {%- endfor %}
    from {{ ref('int_event_abnormal_ranks') }}
    group by event_id, ticker
),

-- The events with two or more included pairs: only they have a pair to correlate, and an event of
-- one ticker (a news or analyst event, a single-ticker catalog scope) needs no self-join of its
-- residuals.
multi_pair_events as (
    select event_id
    from stats
    group by event_id
    having count(*) >= 2
),

multi_pair_residuals as (
    select
        abnormal_ranks.event_id,
        abnormal_ranks.ticker,
        abnormal_ranks.relative_day,
        abnormal_ranks.abnormal_return as residual
    from {{ ref('int_event_abnormal_ranks') }} as abnormal_ranks
    inner join multi_pair_events
        on multi_pair_events.event_id = abnormal_ranks.event_id
    where abnormal_ranks.window_part = 'estimation'
),

pair_correlations as (
    select
        a.event_id,
        a.ticker as ticker_a,
        b.ticker as ticker_b,
        case when count(*) >= 3
            then nullif(corr(a.residual, b.residual), {{ nan_double() }})
        end      as residual_correlation
    from multi_pair_residuals as a
    inner join multi_pair_residuals as b
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
        stddev_samp(scar) filter (where is_included)               as scar_sd,
        sum(scar) filter (where is_included)                       as sum_scar,
        -- variance of a t(M - K - 1) variable (K = 1 for the market model); Patell needs
        -- M > K + 3 for every pair
        sum((estimation_obs - {{ k + 1 }}.0) / (estimation_obs - {{ k + 3 }}.0)) filter (where is_included)
                                                                   as sum_scar_variance,
        bool_and(estimation_obs > {{ k + 3 }}) filter (where is_included) as all_patell_defined,
        avg(pair_rank_sums.positive_share) filter (where is_included)
                                                                   as expected_positive_share
    from pair_groups
    left join pair_rank_sums
        on pair_rank_sums.pair_event_id = pair_groups.event_id
        and pair_rank_sums.pair_ticker = pair_groups.ticker
    group by event_id, summary_group, window_label
),

-- Corrado rank test: the mean standardised rank of the group's included pairs on every day of
-- the estimation and event windows (N_t pairs on day t). The ranks do not depend on the summary
-- window, only which pairs are included does, so each pair's rank days are read once, with a flag
-- per window, instead of once per window: at 500 x 10 that is 4.5M joined rows grouped, not 18M.
ranked_pairs as (
    select
        event_id,
        ticker,
        summary_group
        {%- for w in var('summary_windows') %},
        bool_or(is_included and window_label = '{{ window_label(w[0], w[1]) }}') as is_included_{{ loop.index }}
        {%- endfor %}
    from pair_groups
    group by event_id, ticker, summary_group
    having bool_or(is_included)
),

-- A group of one ranked pair (every group of a one-ticker event: news and analyst events, most
-- of the events) needs no mean rank per day: N_t is 1 on each of the pair's days and the mean
-- rank is the pair's own, so its sums are the pair's (pair_rank_sums). Only the groups of two or
-- more pairs group the ranks by day. At 500 x 10, where nearly every event has one ticker, the
-- day grouping had 4.5M groups and took 2.0 s of the model's 3.5 s of CPU.
ranked_groups as (
    select
        event_id,
        summary_group,
        count(*) as ranked_pair_count
    from ranked_pairs
    group by event_id, summary_group
),

-- The groups of one ranked pair, with that pair's flags and sums.
one_pair_groups as (
    select ranked_pairs.*, pair_rank_sums.*
    from ranked_pairs
    inner join ranked_groups
        on ranked_groups.event_id = ranked_pairs.event_id
        and ranked_groups.summary_group = ranked_pairs.summary_group
    inner join pair_rank_sums
        on pair_rank_sums.pair_event_id = ranked_pairs.event_id
        and pair_rank_sums.pair_ticker = ranked_pairs.ticker
    where ranked_groups.ranked_pair_count = 1
),

-- An integer per event and group of two or more pairs: the day rows below group on it and the
-- relative day, two integers, where the event id and group name were strings (at 5,000 x 20 the
-- grouping of 5M joined rows took 1.5 s of the model's 3.5 s). Materialized: the ids must come
-- from one evaluation.
event_groups as {{ materialized_cte() }} (
    select
        event_id,
        summary_group,
        cast(row_number() over (order by event_id, summary_group) as integer) as event_group_id
    from ranked_groups
    where ranked_pair_count >= 2
),

rank_days_by_window as (
    select
        event_groups.event_group_id,
        abnormal_ranks.relative_day
        {%- for w in var('summary_windows') %},
        count(*) filter (where ranked_pairs.is_included_{{ loop.index }})                       as day_pairs_{{ loop.index }},
        avg(abnormal_ranks.standardized_rank) filter (where ranked_pairs.is_included_{{ loop.index }}) as mean_rank_{{ loop.index }}
        {%- endfor %}
    from ranked_pairs
    inner join event_groups
        on event_groups.event_id = ranked_pairs.event_id
        and event_groups.summary_group = ranked_pairs.summary_group
    inner join {{ ref('int_event_abnormal_ranks') }} as abnormal_ranks
        on abnormal_ranks.event_id = ranked_pairs.event_id
        and abnormal_ranks.ticker = ranked_pairs.ticker
    group by event_groups.event_group_id, abnormal_ranks.relative_day
),

-- Per event, group and window, over the days with at least one of the window's pairs: T (the
-- days), sum_t N_t mean_rank_t^2, and the sum and count of the days inside the window. One pass
-- with a column set per window, not one row per window and day.
rank_sums_by_window as (
    select
        event_group_id
        {%- for w in var('summary_windows') %},
        count(*) filter (where day_pairs_{{ loop.index }} > 0)                as rank_days_{{ loop.index }},
        sum(day_pairs_{{ loop.index }} * mean_rank_{{ loop.index }} * mean_rank_{{ loop.index }})
            filter (where day_pairs_{{ loop.index }} > 0)                     as weighted_rank_squares_{{ loop.index }},
        sum(mean_rank_{{ loop.index }}) filter (where day_pairs_{{ loop.index }} > 0
            and relative_day between {{ w[0] }} and {{ w[1] }})               as window_rank_sum_{{ loop.index }},
        count(*) filter (where day_pairs_{{ loop.index }} > 0
            and relative_day between {{ w[0] }} and {{ w[1] }})               as window_rank_days_{{ loop.index }}
        {%- endfor %}
    from rank_days_by_window
    group by event_group_id
),

rank_sums as (
    {%- for w in var('summary_windows') %}
    select
        event_groups.event_id                              as corrado_event_id,
        event_groups.summary_group                         as corrado_summary_group,
        '{{ window_label(w[0], w[1]) }}'                   as corrado_window_label,
        rank_sums_by_window.rank_days_{{ loop.index }}              as rank_days,
        rank_sums_by_window.weighted_rank_squares_{{ loop.index }}  as weighted_rank_squares,
        rank_sums_by_window.window_rank_sum_{{ loop.index }}        as window_rank_sum,
        rank_sums_by_window.window_rank_days_{{ loop.index }}       as window_rank_days
    from rank_sums_by_window
    inner join event_groups
        on event_groups.event_group_id = rank_sums_by_window.event_group_id
    where rank_sums_by_window.rank_days_{{ loop.index }} > 0
    union all
    select
        event_id,
        summary_group,
        '{{ window_label(w[0], w[1]) }}',
        rank_days,
        rank_squares,
        window_rank_sum_{{ loop.index }},
        window_rank_days_{{ loop.index }}
    from one_pair_groups
    where is_included_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- Wilcoxon signed-rank over the included pairs' CARs: zeros dropped, average ranks of |CAR|.
signed_ranks as (
    select
        event_id,
        summary_group,
        window_label,
        car,
        rank() over by_size
            + (count(*) over (partition by event_id, summary_group, window_label, abs(car)) - 1)
            / {{ float_literal('2.0') }}                                                  as abs_car_rank,
        count(*) over (partition by event_id, summary_group, window_label, abs(car))
                                                                   as tied_count
    from pair_groups
    where is_included and car <> 0
    window by_size as (partition by event_id, summary_group, window_label order by abs(car))
),

signed_rank_sums as (
    select
        event_id                                                   as rank_event_id,
        summary_group                                              as rank_summary_group,
        window_label                                               as rank_window_label,
        count(*)                                                   as wilcoxon_pairs,
        coalesce(sum(abs_car_rank) filter (where car > 0), 0)      as wilcoxon_w_plus,
        -- sum over tie groups of (t^3 - t): each member of a group of t adds (t^2 - 1)
        sum(tied_count * tied_count - 1)                           as wilcoxon_tie_sum
    from signed_ranks
    group by event_id, summary_group, window_label
),

tested as (
    select
        aggregated.*,
        group_correlations.mean_residual_correlation,
        signed_rank_sums.wilcoxon_pairs,
        signed_rank_sums.wilcoxon_w_plus,
        signed_rank_sums.wilcoxon_tie_sum,
        -- S_U^2 = (1/T) sum_t (N_t / N) mean_rank_t^2; z = sum over the window of mean_rank_t /
        -- (sqrt(L) S_U)
        case when pairs_included >= 1 and rank_sums.weighted_rank_squares > 0
                and rank_sums.window_rank_days = window_end - window_start + 1
            then rank_sums.window_rank_sum
                / (sqrt(rank_sums.window_rank_days)
                   * sqrt(rank_sums.weighted_rank_squares
                          / (rank_sums.rank_days * pairs_included)))
        end                                                        as corrado_rank_z,
        case when pairs_included >= 2 and car_sd > 0
            then sqrt(pairs_included) * caar / car_sd end          as t_cross_sectional,
        case when pairs_included >= 2 and scar_sd > 0
            then sqrt(pairs_included) * mean_scar / scar_sd end    as t_bmp,
        case when pairs_included >= 1
            then (pairs_positive - 0.5 * pairs_included) / (0.5 * sqrt(pairs_included))
        end                                                        as sign_test_z,
        case when pairs_included >= 1 and all_patell_defined
            then sum_scar / sqrt(sum_scar_variance) end            as patell_z,
        case when pairs_included >= 1 and expected_positive_share > 0
                and expected_positive_share < 1
            then (pairs_positive - pairs_included * expected_positive_share)
                / sqrt(pairs_included * expected_positive_share * (1 - expected_positive_share))
        end                                                        as generalized_sign_z
    from aggregated
    left join rank_sums
        on rank_sums.corrado_event_id = aggregated.event_id
        and rank_sums.corrado_summary_group = aggregated.summary_group
        and rank_sums.corrado_window_label = aggregated.window_label
    left join signed_rank_sums
        on signed_rank_sums.rank_event_id = aggregated.event_id
        and signed_rank_sums.rank_summary_group = aggregated.summary_group
        and signed_rank_sums.rank_window_label = aggregated.window_label
    left join group_correlations
        on group_correlations.event_id = aggregated.event_id
        and group_correlations.summary_group = aggregated.summary_group
        and group_correlations.window_label = aggregated.window_label
),

grank as (
    select
        event_id        as grank_event_id,
        summary_group   as grank_summary_group,
        window_label    as grank_window_label,
        grank_time_points,
        grank_t,
        p_grank
    from {{ ref('int_event_grank') }}
),

adjusted as (
    select
        *,
        case when 1 + (pairs_included - 1) * mean_residual_correlation > 0
                and mean_residual_correlation < 1
            then t_bmp * sqrt((1 - mean_residual_correlation)
                / (1 + (pairs_included - 1) * mean_residual_correlation))
        end as t_kolari_pynnonen,
        case when 1 + (pairs_included - 1) * mean_residual_correlation > 0
                and mean_residual_correlation < 1
            then patell_z * sqrt((1 - mean_residual_correlation)
                / (1 + (pairs_included - 1) * mean_residual_correlation))
        end as adjusted_patell_z
    from tested
    left join grank
        on grank.grank_event_id = tested.event_id
        and grank.grank_summary_group = tested.summary_group
        and grank.grank_window_label = tested.window_label
),

final as (
    select
        event_id,
        summary_group,
        window_label,
        window_start,
        window_end,
        '{{ model }}'                                               as expected_return_model,
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
                                                                    as p_sign_test,
        patell_z,
        {{ two_sided_normal_p_value('patell_z') }}                  as p_patell,
        adjusted_patell_z,
        {{ two_sided_normal_p_value('adjusted_patell_z') }}         as p_adjusted_patell,
        expected_positive_share,
        generalized_sign_z,
        {{ two_sided_normal_p_value('generalized_sign_z') }}        as p_generalized_sign,
        coalesce(wilcoxon_pairs, 0)                                 as wilcoxon_pairs,
        wilcoxon_w_plus,
        {{ wilcoxon_two_sided_p_value('wilcoxon_w_plus', 'wilcoxon_pairs', 'wilcoxon_tie_sum') }}
                                                                    as p_wilcoxon,
        corrado_rank_z,
        {{ two_sided_normal_p_value('corrado_rank_z') }}            as p_corrado_rank,
        grank_time_points,
        grank_t,
        p_grank
    from adjusted
)

select * from final
