-- Which line reacted first to Xi's symposium (xi_symposium): the ADR in New York or its Hong Kong
-- line, and how abnormal was each line's reaction?
-- Per dual-listed pair in the event's scope (fct_dual_listing_event_reactions): each line's day 0
-- on its own exchange (the symposium, 10:00 Beijing on 2025-02-17, was day 0 that Hong Kong session
-- while New York was closed for Presidents' Day), its day-0 abnormal return by the market model of
-- the event study (ADR against SPY over New York sessions, home line against the Hong Kong
-- benchmark over Hong Kong sessions: the figure of fct_event_window_returns), each line's CAR over
-- [0,+1] (fct_event_car, its own sessions), the market-adjusted day-0 abnormal returns and raw
-- returns, and the line whose day-0 session closed first. Largest home-line abnormal return first.
-- Another event:
--   adrpulse sql --file xi_symposium_first_reaction --set event_id=baba_fq3_earnings
with params as (
    select coalesce(getvariable('event_id'), 'xi_symposium') as event_id
)

select
    reactions.event_id,
    reactions.adr_ticker,
    reactions.home_ticker,
    reactions.first_reacting_ticker,
    reactions.home_day_zero_date,
    reactions.adr_day_zero_date,
    reactions.hours_between_day_zero_closes,
    reactions.home_abnormal_return_market_model,
    reactions.adr_abnormal_return_market_model,
    home_car.car                                 as home_car_0_1,
    adr_car.car                                  as adr_car_0_1,
    reactions.home_abnormal_return               as home_abnormal_return_market_adjusted,
    reactions.adr_abnormal_return                as adr_abnormal_return_market_adjusted,
    reactions.home_day_zero_return,
    reactions.adr_day_zero_return,
    reactions.home_benchmark_ticker
from marts.fct_dual_listing_event_reactions as reactions
inner join params
    on reactions.event_id = params.event_id
left join marts.fct_event_car as home_car
    on home_car.event_id = reactions.event_id
    and home_car.ticker = reactions.home_ticker
    and home_car.window_label = '[0,+1]'
left join marts.fct_event_car as adr_car
    on adr_car.event_id = reactions.event_id
    and adr_car.ticker = reactions.adr_ticker
    and adr_car.window_label = '[0,+1]'
order by reactions.home_abnormal_return_market_model desc nulls last, reactions.adr_ticker
