{{ config(tags=['spark']) }}
-- One row per analyst action with its day 0 (the US rule of news: after the 16:00 New York close,
-- or on a day without a session, the next session), its category, its price-target change and
-- the close of day 0. The category decides the event the action joins (int_analyst_events):
-- a grade change (upgrade, downgrade) or an initiation first; else the target's move.
with actions as (
    select * from {{ ref('stg_analysts__actions') }}
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

bars as (
    select ticker, session_date, close_price from {{ ref('stg_prices__daily_bars') }}
),

based as (
    select
        actions.*,
        {{ day_zero_basis_date('actions.graded_at', 'null') }} as day_zero_basis_date
    from actions
),

with_day_zero as (
    select
        based.*,
        calendar.session_date as day_zero_date
    from based
    {{ asof_join('inner', 'based', 'based.day_zero_basis_date', 'calendar', 'session_date', '>=') }}
),

final as (
    select
        with_day_zero.ticker,
        coalesce(universe.group_name, 'unclassified')          as group_name,
        with_day_zero.graded_at,
        with_day_zero.firm,
        with_day_zero.action_code,
        case
            when with_day_zero.action_code = 'up' then 'upgrade'
            when with_day_zero.action_code = 'down' then 'downgrade'
            when with_day_zero.action_code = 'init' then 'initiation'
            when with_day_zero.current_price_target > with_day_zero.prior_price_target
                then 'target_raise'
            when with_day_zero.current_price_target < with_day_zero.prior_price_target
                then 'target_cut'
            else 'reiteration'
        end                                                     as action_category,
        with_day_zero.from_grade,
        with_day_zero.to_grade,
        with_day_zero.price_target_action,
        with_day_zero.prior_price_target,
        with_day_zero.current_price_target,
        with_day_zero.current_price_target - with_day_zero.prior_price_target
                                                                as price_target_change,
        with_day_zero.current_price_target / with_day_zero.prior_price_target - 1
                                                                as price_target_change_fraction,
        with_day_zero.day_zero_date,
        bars.close_price                                        as day_zero_close,
        with_day_zero.current_price_target / bars.close_price - 1
                                                                as target_upside_at_day_zero_close
    from with_day_zero
    left join universe
        on universe.ticker = with_day_zero.ticker
    left join bars
        on bars.ticker = with_day_zero.ticker
        and bars.session_date = with_day_zero.day_zero_date
)

select * from final
