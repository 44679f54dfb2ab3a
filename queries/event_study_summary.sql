-- How did each group react to one event? (default: the DeepSeek shock, deepseek_shock)
-- Every summary group and window of fct_event_study_summary: N included pairs, CAAR, the
-- cross-sectional, BMP and Kolari-Pynnonen t statistics with two-sided p-values from t(N - 1), and
-- the exact binomial sign test; is_small_sample marks rows with fewer than 5 pairs (read none of
-- their tests as significant). expected_return_model names the model of the abnormal returns
-- (setting ADRPULSE_EXPECTED_RETURN_MODEL: market_model by default, ff3 or ff5).
-- The catalogued events: adrpulse sql "select * from reference.event_catalog"
-- Another event: adrpulse sql --file event_study_summary --set event_id=xi_symposium
with params as (
    select coalesce(getvariable('event_id'), 'deepseek_shock') as event_id
)

select
    summary.event_id,
    summary.summary_group,
    summary.window_label,
    summary.expected_return_model,
    summary.pairs_included,
    summary.pairs_positive,
    summary.is_small_sample,
    summary.caar,
    summary.t_cross_sectional,
    summary.p_cross_sectional,
    summary.t_bmp,
    summary.p_bmp,
    summary.t_kolari_pynnonen,
    summary.p_kolari_pynnonen,
    summary.p_sign_test
from marts.fct_event_study_summary as summary
inner join params on summary.event_id = params.event_id
order by summary.summary_group, summary.window_start, summary.window_end
