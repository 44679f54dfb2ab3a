-- How wide is the China-vs-US forward P/E discount today, against its history?
-- The latest snapshotted session of fct_valuation_spread (china_adr against us_megacap by
-- default, dbt var valuation_basket_pair): each basket's median forward P/E, the discount
-- (1 - China / US: 0.6 means China ADRs trade at 40% of the US multiple), its percentile over
-- every stored session (1: the widest discount stored so far), and the history's range and
-- median. The history is what the pipeline has snapshotted: one row per daily run.
with history as (
    select * from marts.fct_valuation_spread
    where forward_pe_discount is not null
),

latest as (
    select * from history
    order by session_date desc
    limit 1
),

summary as (
    select
        min(session_date)           as history_from,
        count(*)                    as history_sessions,
        min(forward_pe_discount)    as narrowest_discount,
        max(forward_pe_discount)    as widest_discount,
        median(forward_pe_discount) as median_discount
    from history
)

select
    latest.session_date,
    latest.basket_a,
    latest.basket_b,
    latest.median_forward_pe_a,
    latest.median_forward_pe_b,
    latest.forward_pe_discount,
    latest.forward_pe_discount_percentile,
    latest.price_to_sales_discount,
    summary.history_from,
    summary.history_sessions,
    summary.narrowest_discount,
    summary.median_discount,
    summary.widest_discount
from latest
cross join summary
