{{ config(tags=['spark']) }}
-- One row per event, group and summary window with at least one included pair: the generalized
-- rank test GRANK of Kolari and Pynnonen (2011), which ranks the window's standardised CAR as one
-- observation among each pair's standardised estimation-window abnormal returns.
-- Groups as in fct_event_study_summary: each ticker's universe group, plus 'all' ('all_xhkg').
-- Definitions (n = included pairs of the group and window, i.e. with a CAR; s_i = residual_sd):
--   SAR_it = AR_it / s_i on each estimation day t with a residual of the model
--   SCAR*_i = SCAR_i / sd(SCAR): the pair's SCAR (int_event_car, with the prediction-error term)
--     re-standardised by the group's cross-sectional sample sd (N - 1), which absorbs
--     event-induced volatility
--   GSAR_it = SAR_it on the estimation days, SCAR*_i on the one event point
--   U_it = rank(GSAR_it) / (T_i + 1) - 1/2 within the pair, ties averaged, T_i = the pair's
--     GSARs (its residuals + 1)
--   U_t = mean U_it over the n_t pairs with a GSAR at point t; the T points are the estimation
--     days with any pair plus the event point 0
--   S_U^2 = (1/T) sum_t (n_t / n) U_t^2;  grank_z = U_0 / S_U
--   grank_t = grank_z * sqrt((T - 2) / (T - 1 - grank_z^2)), two-sided p from Student t(T - 2)
-- Null when n < 2 or sd(SCAR) = 0 (no re-standardisation), or S_U = 0.
-- The abnormal returns, s_i and SCAR are those of the expected-return model var
-- ('expected_return_model') selects (int_event_abnormal_ranks, macro expected_return_stats,
-- int_event_car): the market model by default, the factor model's with ff3 / ff5.
with cars as (
    select event_id, ticker, group_name, window_label, scar
    from {{ ref('int_event_car') }}
    where is_included
),

pair_groups as (
    select event_id, ticker, group_name as summary_group, window_label, scar from cars
    union all
    select event_id, ticker, {{ all_pairs_group('ticker') }} as summary_group, window_label, scar from cars
),

restandardized as (
    select
        *,
        count(*) over by_group          as pairs_included,
        stddev_samp(scar) over by_group as scar_sd
    from pair_groups
    window by_group as (partition by event_id, summary_group, window_label)
),

testable as (
    select * from restandardized
    where pairs_included >= 2 and scar_sd > 0
),

estimation_sars as (
    select
        ranks.event_id,
        ranks.ticker,
        ranks.relative_day,
        ranks.abnormal_return / stats.residual_sd as sar
    from {{ ref('int_event_abnormal_ranks') }} as ranks
    inner join {{ expected_return_stats() }} as stats
        on stats.event_id = ranks.event_id
        and stats.ticker = ranks.ticker
    where ranks.window_part = 'estimation'
        and stats.is_included
),

observations as (
    select
        testable.event_id,
        testable.summary_group,
        testable.window_label,
        testable.ticker,
        false                   as is_event_point,
        estimation_sars.relative_day,
        estimation_sars.sar     as gsar
    from testable
    inner join estimation_sars
        on estimation_sars.event_id = testable.event_id
        and estimation_sars.ticker = testable.ticker
    union all
    select
        event_id,
        summary_group,
        window_label,
        ticker,
        true                    as is_event_point,
        0                       as relative_day,
        scar / scar_sd          as gsar
    from testable
),

ranked as (
    select
        *,
        (rank() over by_gsar
            + (count(*) over (partition by event_id, summary_group, window_label, ticker, gsar)
               - 1) / {{ float_literal('2.0') }})
        / (count(*) over (partition by event_id, summary_group, window_label, ticker) + 1)
        - {{ float_literal('0.5') }}                                                   as standardized_rank
    from observations
    window by_gsar as (
        partition by event_id, summary_group, window_label, ticker order by gsar
    )
),

time_points as (
    select
        event_id,
        summary_group,
        window_label,
        is_event_point,
        relative_day,
        count(*)                  as point_pairs,
        avg(standardized_rank)    as mean_rank
    from ranked
    group by event_id, summary_group, window_label, is_event_point, relative_day
),

rank_moments as (
    select
        event_id,
        summary_group,
        window_label,
        count(*)                                                 as time_points,
        max(mean_rank) filter (where is_event_point)             as event_mean_rank,
        max(point_pairs) filter (where is_event_point)           as event_pairs,
        sum(point_pairs * mean_rank * mean_rank)                 as weighted_rank_squares
    from time_points
    group by event_id, summary_group, window_label
),

z_scores as (
    select
        *,
        case when weighted_rank_squares > 0
            then event_mean_rank / sqrt(weighted_rank_squares / (time_points * event_pairs))
        end as grank_z
    from rank_moments
),

groups as (
    select event_id, summary_group, window_label, min(pairs_included) as pairs_included
    from restandardized
    group by event_id, summary_group, window_label
),

tested as (
    select
        groups.event_id,
        groups.summary_group,
        groups.window_label,
        groups.pairs_included,
        z_scores.time_points                                      as grank_time_points,
        z_scores.grank_z,
        case when z_scores.time_points > 2
                and z_scores.time_points - 1 - z_scores.grank_z * z_scores.grank_z > 0
            then z_scores.grank_z * sqrt((z_scores.time_points - 2)
                / (z_scores.time_points - 1 - z_scores.grank_z * z_scores.grank_z))
        end                                                       as grank_t
    from groups
    left join z_scores
        on z_scores.event_id = groups.event_id
        and z_scores.summary_group = groups.summary_group
        and z_scores.window_label = groups.window_label
)

select
    event_id,
    summary_group,
    window_label,
    pairs_included,
    grank_time_points,
    grank_z,
    grank_t,
    case when grank_t is not null then grank_time_points - 2 end as grank_degrees_of_freedom,
    {{ student_t_two_sided_p_value('grank_t', 'grank_time_points - 2') }} as p_grank
from tested
