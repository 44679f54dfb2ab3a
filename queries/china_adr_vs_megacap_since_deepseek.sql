-- Did China ADRs beat US megacaps since the DeepSeek shock (2025-01-27)?
-- Equal-weight baskets (fct_sector_relative_performance, pair china_adr_vs_us_megacap), measured
-- from the close of the last session before the event's day 0 (so the shock day itself counts)
-- to the latest session. spread = R_A - R_B (arithmetic); relative_strength = (1+R_A)/(1+R_B).
-- Buy-and-hold and daily-rebalanced baskets are both shown. Only sessions where both baskets are
-- published count (enough members with a bar: var basket_min_coverage), so a session with a
-- basket short of prices is skipped at either end.
-- Another event: adrpulse sql --file china_adr_vs_megacap_since_deepseek --set event_id=xi_symposium
with params as (
    select coalesce(getvariable('event_id'), 'deepseek_shock') as event_id
),

day_zero as (
    select min(car.day_zero_date) as day_zero_date
    from marts.fct_event_car as car
    inner join params on car.event_id = params.event_id
),

pair as (
    select *
    from marts.fct_sector_relative_performance
    where basket_pair = 'china_adr_vs_us_megacap'
        and index_buy_hold_a is not null
        and index_buy_hold_b is not null
),

start_row as (
    select pair.*
    from pair, day_zero
    where pair.session_date < day_zero.day_zero_date
    order by pair.session_date desc
    limit 1
),

end_row as (
    select * from pair order by session_date desc limit 1
)

select
    (select event_id from params) as event_id,
    (select day_zero_date from day_zero) as day_zero_date,
    s.session_date as from_session,
    e.session_date as to_session,
    e.index_buy_hold_a / s.index_buy_hold_a - 1 as china_adr_return,
    e.index_buy_hold_b / s.index_buy_hold_b - 1 as us_megacap_return,
    (e.index_buy_hold_a / s.index_buy_hold_a) - (e.index_buy_hold_b / s.index_buy_hold_b)
        as spread,
    (e.index_buy_hold_a / s.index_buy_hold_a) / (e.index_buy_hold_b / s.index_buy_hold_b)
        as relative_strength,
    e.index_daily_rebalanced_a / s.index_daily_rebalanced_a - 1
        as china_adr_return_daily_rebalanced,
    e.index_daily_rebalanced_b / s.index_daily_rebalanced_b - 1
        as us_megacap_return_daily_rebalanced,
    e.index_buy_hold_a / s.index_buy_hold_a > e.index_buy_hold_b / s.index_buy_hold_b
        as china_adr_beat_us_megacap
from start_row as s, end_row as e
