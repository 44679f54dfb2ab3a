-- Which line reacted first to Xi's symposium (xi_symposium): the ADR in New York or its Hong Kong
-- line?
-- Per dual-listed pair in the event's scope (fct_dual_listing_event_reactions): each line's day 0
-- on its own exchange (the symposium, 10:00 Beijing on 2025-02-17, was day 0 that Hong Kong session
-- while New York was closed for Presidents' Day), its day-0 return and market-adjusted abnormal
-- return (ADR against SPY, home line against the Hong Kong benchmark), and the line whose day-0
-- session closed first. Largest home-line abnormal return first.
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
    reactions.home_abnormal_return,
    reactions.adr_abnormal_return,
    reactions.home_day_zero_return,
    reactions.adr_day_zero_return,
    reactions.home_benchmark_ticker
from marts.fct_dual_listing_event_reactions as reactions
inner join params
    on reactions.event_id = params.event_id
order by reactions.home_abnormal_return desc nulls last, reactions.adr_ticker
