-- Which events moved the China ADRs significantly by the rank tests?
-- Per event (fct_event_study_summary, group china_adr, window [-1,+1]): the three rank tests, the
-- Wilcoxon signed-rank test of the pairs' CARs (W+ and its exact p-value up to 50 pairs), the
-- Corrado rank test of their abnormal returns ranked within each pair's estimation and event
-- windows, and the generalized rank test GRANK (Kolari-Pynnonen 2011: each pair's standardised
-- CAR ranked among its standardised estimation-window abnormal returns), beside the exact
-- binomial sign test and Cowan's generalized sign test.
-- significant_5pct: all three rank tests at p < 0.05, and null for a group of fewer than 5 pairs
-- (is_small_sample), where no test is read as significant. Significant events first, then by the
-- largest of the three p-values.
-- Another group or window:
--   adrpulse sql --file china_adr_rank_tests --set summary_group=us_megacap --set window_label='[0,+1]'
with params as (
    select
        coalesce(getvariable('summary_group'), 'china_adr') as summary_group,
        coalesce(getvariable('window_label'), '[-1,+1]') as window_label
),

day_zero as (
    select event_id, min(day_zero_date) as day_zero_date
    from marts.fct_event_car
    group by event_id
)

select
    summary.event_id,
    day_zero.day_zero_date,
    summary.summary_group,
    summary.window_label,
    summary.pairs_included,
    summary.is_small_sample,
    summary.caar,
    summary.wilcoxon_w_plus,
    summary.wilcoxon_pairs,
    summary.p_wilcoxon,
    summary.corrado_rank_z,
    summary.p_corrado_rank,
    summary.grank_t,
    summary.p_grank,
    case when not summary.is_small_sample
        then summary.p_wilcoxon < 0.05 and summary.p_corrado_rank < 0.05
            and summary.p_grank < 0.05
    end as significant_5pct,
    summary.pairs_positive,
    summary.p_sign_test,
    summary.generalized_sign_z,
    summary.p_generalized_sign
from marts.fct_event_study_summary as summary
inner join params
    on summary.summary_group = params.summary_group
    and summary.window_label = params.window_label
left join day_zero on day_zero.event_id = summary.event_id
where summary.pairs_included > 0
order by coalesce(significant_5pct, false) desc,
    greatest(summary.p_wilcoxon, summary.p_corrado_rank, summary.p_grank), summary.event_id
