{{ config(tags=['spark']) }}
-- One row per snapshotted session: the valuation of basket A (var valuation_basket_pair[0],
-- default china_adr) against basket B ([1], us_megacap). Per basket the median over its members
-- with a value (DuckDB's median: the mean of the two middle values for an even count), null
-- when fewer than var valuation_min_members have one. Discount = 1 - median A / median B (0.4:
-- A trades 40% cheaper). Its percentile: the share of stored sessions up to and including this
-- one whose discount is at or below this one's (1: the widest discount stored so far).
{%- set pair = var('valuation_basket_pair') %}
with snapshots as (
    select * from {{ ref('stg_analysts__valuation_snapshots') }}
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

bars as (
    select ticker, session_date, close_price from {{ ref('stg_prices__daily_bars') }}
),

members as (
    select
        snapshots.session_date,
        universe.group_name                                     as basket,
        snapshots.forward_pe,
        snapshots.price_to_sales,
        snapshots.target_mean_price / bars.close_price - 1      as upside_to_target
    from snapshots
    inner join universe
        on universe.ticker = snapshots.ticker
    left join bars
        on bars.ticker = snapshots.ticker
        and bars.session_date = snapshots.session_date
    where universe.group_name in ('{{ pair[0] }}', '{{ pair[1] }}')
),

{%- set min_members = var('valuation_min_members') %}
per_session as (
    select
        session_date,
        {%- for column in ['forward_pe', 'price_to_sales', 'upside_to_target'] %}
        {%- for suffix, basket in [('a', pair[0]), ('b', pair[1])] %}
        count({{ column }}) filter (where basket = '{{ basket }}')
                                                        as {{ column }}_members_{{ suffix }},
        case when count({{ column }}) filter (where basket = '{{ basket }}') >= {{ min_members }}
            then {{ median_agg(column) }} filter (where basket = '{{ basket }}')
        end                                             as median_{{ column }}_{{ suffix }}
        {%- if not loop.last or column != 'upside_to_target' %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    from members
    group by session_date
),

spread as (
    select
        *,
        1 - median_forward_pe_a / median_forward_pe_b                  as forward_pe_discount,
        1 - median_price_to_sales_a / median_price_to_sales_b          as price_to_sales_discount
    from per_session
),

ranked as (
    select
        current_row.session_date,
        case when current_row.forward_pe_discount is not null then
            count(*) filter (where history.forward_pe_discount <= current_row.forward_pe_discount)
            / count(history.forward_pe_discount)
        end                                                             as forward_pe_discount_percentile,
        case when current_row.price_to_sales_discount is not null then
            count(*) filter (
                where history.price_to_sales_discount <= current_row.price_to_sales_discount)
            / count(history.price_to_sales_discount)
        end                                                             as price_to_sales_discount_percentile,
        count(history.forward_pe_discount)                              as forward_pe_history_sessions
    from spread as current_row
    inner join spread as history
        on history.session_date <= current_row.session_date
    group by current_row.session_date, current_row.forward_pe_discount,
        current_row.price_to_sales_discount
),

final as (
    select
        spread.session_date,
        '{{ pair[0] }}'                                                 as basket_a,
        '{{ pair[1] }}'                                                 as basket_b,
        spread.forward_pe_members_a,
        spread.forward_pe_members_b,
        spread.median_forward_pe_a,
        spread.median_forward_pe_b,
        spread.forward_pe_discount,
        ranked.forward_pe_discount_percentile,
        ranked.forward_pe_history_sessions,
        spread.price_to_sales_members_a,
        spread.price_to_sales_members_b,
        spread.median_price_to_sales_a,
        spread.median_price_to_sales_b,
        spread.price_to_sales_discount,
        ranked.price_to_sales_discount_percentile,
        spread.median_upside_to_target_a,
        spread.median_upside_to_target_b
    from spread
    inner join ranked
        on ranked.session_date = spread.session_date
)

select * from final
