-- Which news events involve a ticker, and how did it move? (default: BABA)
-- Every event of the ticker, news-detected (event_origin = 'news') and catalogued, with day 0,
-- its title (the catalogue's title; for a news event, the headlines that made it, from
-- marts.fct_news_items, joined with ' | '), how many headlines, and the CAR over [0,+1] with its
-- t and p (market model, or the factor model ADRPULSE_EXPECTED_RETURN_MODEL selects).
-- Another ticker: adrpulse sql --file ticker_news_events --set ticker=NVDA
with params as (
    select coalesce(getvariable('ticker'), 'BABA') as ticker
),

headlines as (
    select
        event_id,
        count(*) as headline_count,
        string_agg(news.title, ' | ' order by news.published_at, news.item_key) as headlines
    from marts.fct_news_items as news, unnest(news.news_event_ids) as t(event_id)
    group by event_id
)

select
    car.ticker,
    car.event_id,
    car.event_origin,
    car.day_zero_date,
    coalesce(catalog.title, headlines.headlines) as title,
    coalesce(headlines.headline_count, 0) as headline_count,
    car.car,
    car.t_statistic,
    car.p_value,
    car.has_confounding_event,
    car.exclusion_reason
from marts.fct_event_car as car
inner join params on car.ticker = params.ticker
left join reference.event_catalog as catalog on car.event_id = catalog.event_id
left join headlines on car.event_id = headlines.event_id
where car.window_label = '[0,+1]'
order by car.day_zero_date, car.event_origin desc, car.event_id
