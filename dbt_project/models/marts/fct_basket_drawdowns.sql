{{ config(tags=['spark']) }}
-- One row per basket of var performance_baskets and session from its inception on: the basket's
-- wealth index and drawdown over its whole history (what the report's drawdown chart draws;
-- a ticker's drawdown on its closes is fct_ticker_performance.drawdown).
--   wealth_index = prod(1 + R) over the sessions after the inception (1 at the inception); a
--     session without a basket return (below var basket_min_coverage) leaves it unchanged.
--   high_water_mark = max(1, wealth_index so far); drawdown = wealth_index / high_water_mark - 1.
-- fct_performance_summary's since_inception max_drawdown is the minimum of this drawdown.
with baskets as (
    select basket, session_date, session_index, daily_return, inception_date
    from {{ ref('int_basket_daily_returns') }}
),

wealth as (
    select
        *,
        {{ product_over('1 + coalesce(daily_return, 0)', 'running') }}     as wealth_index
    from baskets
    where session_date > inception_date
    window running as (
        partition by basket order by session_index
        rows between unbounded preceding and current row
    )
),

final as (
    select
        basket,
        session_date,
        daily_return,
        wealth_index,
        greatest(1, max(wealth_index) over running)                          as high_water_mark,
        wealth_index / greatest(1, max(wealth_index) over running) - 1       as drawdown,
        {{ built_at() }}                                                     as built_at
    from wealth
    window running as (
        partition by basket order by session_index
        rows between unbounded preceding and current row
    )
)

select * from final
