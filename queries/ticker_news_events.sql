-- Which news events involve a ticker, and how did it move? (default: BABA)
-- Every event of the ticker, news-detected (event_origin = 'news') and catalogued, with day 0,
-- the catalogue title when there is one, and the market-model CAR over [0,+1] with its t and p.
-- Another ticker: adrpulse sql --file ticker_news_events --set ticker=NVDA
with params as (
    select coalesce(getvariable('ticker'), 'BABA') as ticker
)

select
    car.ticker,
    car.event_id,
    car.event_origin,
    car.day_zero_date,
    catalog.title,
    car.car,
    car.t_statistic,
    car.p_value,
    car.has_confounding_event,
    car.exclusion_reason
from marts.fct_event_car as car
inner join params on car.ticker = params.ticker
left join reference.event_catalog as catalog on car.event_id = catalog.event_id
where car.window_label = '[0,+1]'
order by car.day_zero_date, car.event_origin desc, car.event_id
