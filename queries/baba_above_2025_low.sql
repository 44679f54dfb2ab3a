-- How far is BABA above its 2025 low?
-- The latest adjusted close against the lowest adjusted close since 2025-01-01 (close-based, the
-- convention of fct_ticker_performance.gain_from_ytd_low), with the session of that low.
-- Another ticker: adrpulse sql --file baba_above_2025_low --set ticker=JD
with params as (
    select coalesce(getvariable('ticker'), 'BABA') as ticker
),

prices_2025 as (
    select perf.ticker, perf.session_date, perf.close_price, perf.adj_close_price
    from marts.fct_ticker_performance as perf
    inner join params on perf.ticker = params.ticker
    where perf.session_date >= date '2025-01-01'
      and perf.adj_close_price is not null
)

select
    ticker,
    arg_min(session_date, adj_close_price) as low_session,
    min(adj_close_price) as low_adj_close,
    max(session_date) as latest_session,
    arg_max(close_price, session_date) as latest_close,
    arg_max(adj_close_price, session_date) as latest_adj_close,
    arg_max(adj_close_price, session_date) / min(adj_close_price) - 1 as gain_from_2025_low,
    round(100 * (arg_max(adj_close_price, session_date) / min(adj_close_price) - 1), 2)
        as gain_from_2025_low_pct
from prices_2025
group by ticker
