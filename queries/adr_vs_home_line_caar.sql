-- Did the China ADRs and their Hong Kong lines react alike to the Xi symposium (xi_symposium)?
-- The event study's cross-section, side by side: the ADRs' CAAR (group china_adr, market model
-- against SPY, relative days on New York sessions) and the Hong Kong lines' (group
-- china_adr_xhkg, market model against the Hong Kong benchmark, relative days on Hong Kong
-- sessions), per summary window, with the pairs included, the BMP t and its p-value
-- (fct_event_study_summary; docs/event_study.md, "Home lines"). Each line's day 0 is its own:
-- for the symposium, Hong Kong's 2025-02-17 and New York's 2025-02-18.
-- Another event or group:
--   adrpulse sql --file adr_vs_home_line_caar --set event_id=us_investment_memo
--   adrpulse sql --file adr_vs_home_line_caar --set adr_group=china_otc
with params as (
    select
        coalesce(getvariable('event_id'), 'xi_symposium') as event_id,
        coalesce(getvariable('adr_group'), 'china_adr')   as adr_group
),

adrs as (
    select summary.*
    from marts.fct_event_study_summary as summary
    inner join params
        on summary.event_id = params.event_id
        and summary.summary_group = params.adr_group
),

home_lines as (
    select summary.*
    from marts.fct_event_study_summary as summary
    inner join params
        on summary.event_id = params.event_id
        and summary.summary_group = params.adr_group || '_xhkg'
)

select
    adrs.event_id,
    adrs.window_label,
    adrs.summary_group                  as adr_group,
    adrs.pairs_included                 as adr_pairs,
    adrs.caar                           as adr_caar,
    adrs.t_bmp                          as adr_t_bmp,
    adrs.p_bmp                          as adr_p_bmp,
    home_lines.summary_group            as home_group,
    home_lines.pairs_included           as home_pairs,
    home_lines.caar                     as home_caar,
    home_lines.t_bmp                    as home_t_bmp,
    home_lines.p_bmp                    as home_p_bmp,
    home_lines.caar - adrs.caar         as caar_difference
from adrs
left join home_lines
    on home_lines.window_label = adrs.window_label
order by adrs.window_start, adrs.window_end
