-- Which tickers had the biggest drawdowns, and where are they now?
-- drawdown = adjusted close / running maximum - 1 (fct_ticker_performance). Per ticker: the worst
-- drawdown over the whole history, its session, and the drawdown at the latest session.
-- The ten worst, deepest first.
select
    perf.ticker,
    universe.name,
    universe.group_name,
    min(perf.drawdown) as max_drawdown,
    arg_min(perf.session_date, perf.drawdown) as max_drawdown_session,
    arg_max(perf.drawdown, perf.session_date) as current_drawdown,
    max(perf.session_date) as latest_session
from marts.fct_ticker_performance as perf
left join reference.universe as universe on perf.ticker = universe.ticker
where perf.drawdown is not null
group by all
order by max_drawdown, perf.ticker
limit 10
