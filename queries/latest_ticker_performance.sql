-- How has every ticker done, as of its latest session?
-- Period returns on adjusted closes (1W = 5 sessions; 1M, 3M and YTD by calendar, see
-- fct_ticker_performance), drawdown from the running high, gain from the year-to-date low and
-- annualised volatility. Grouped as in the universe.
select
    universe.group_name,
    perf.ticker,
    universe.name,
    perf.session_date,
    perf.close_price,
    perf.return_1d,
    perf.return_1w,
    perf.return_1m,
    perf.return_3m,
    perf.return_ytd,
    perf.drawdown,
    perf.gain_from_ytd_low,
    perf.volatility_annualized
from marts.fct_ticker_performance as perf
left join reference.universe as universe on perf.ticker = universe.ticker
qualify row_number() over (partition by perf.ticker order by perf.session_date desc) = 1
order by universe.group_name, perf.ticker
