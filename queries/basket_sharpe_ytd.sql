-- What is the Sharpe ratio of each basket (China ADRs, US megacaps) this year, and what risk
-- does it come with?
-- marts.fct_performance_summary, period ytd: daily returns of the equal-weight, daily-rebalanced
-- basket from the last close of the prior year to the latest session. Sharpe = mean excess daily
-- return / sample sd * sqrt(252), with the risk-free rate of the setting ADRPULSE_RISK_FREE_RATE
-- (default 0); docs/performance.md gives every formula. Another period:
-- adrpulse sql --file basket_sharpe_ytd --set period=1y   (ytd, 1y, since_inception, since_event)
select
    subject                      as basket,
    period,
    anchor_date                  as from_session,
    as_of_date                   as to_session,
    return_count                 as sessions,
    total_return,
    cagr,
    volatility_annualized,
    risk_free_rate,
    sharpe_ratio,
    sortino_ratio,
    max_drawdown,
    information_ratio,
    comparison_basket
from marts.fct_performance_summary
where subject_kind = 'basket'
    and period = coalesce(getvariable('period'), 'ytd')
order by sharpe_ratio desc
