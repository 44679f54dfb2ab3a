"""What the floor SQL and the pandas baseline both compute, with the dbt project's conventions.

- daily return r = adj_close / previous bar's adj_close - 1, per ticker in session order;
- the market: the benchmark's return joined to every row, and the equal-weight mean return of
  all tickers per session;
- rolling beta over the last ROLLING_WINDOW rows = cov(r, r_m) / var(r_m), only with a full window
  of (r, r_m) pairs;
- event windows: OLS market model over relative days ESTIMATION_WINDOW (at least MIN_ESTIMATION_OBS
  pairs), abnormal returns AR = r - (alpha + beta r_m) over EVENT_WINDOW (11 sessions), CAR = sum;
- basket indices: per universe group, the equal-weight mean daily return compounded from the base
  session (the last session on or before BASKET_BASE_DATE), 100 at the base;
- ticker performance (fct_ticker_performance's figures), per ticker in session order: return_1w
  against the close 5 bars back; return_1m / 3m / 1y against the last close on or before the same
  date 1 / 3 / 12 months earlier (month ends clamp), return_ytd against the last close on or before
  Dec 31 of the prior year; drawdown against the running high of adj_close; gain_from_ytd_low
  against the lowest adj_close since Jan 1, and its intraday form (adjusted high against the lowest
  adjusted low, high and low scaled by adj_close / close); volatility_annualized = sample sd of
  the last VOLATILITY_WINDOW returns * sqrt(TRADING_DAYS_PER_YEAR), only with all of them.
  The generator gives every ticker a bar on every session of its span, which is what lets the
  floor count the anchors in bars.
"""

from __future__ import annotations

from datetime import date

BENCHMARK_TICKER = "SPY"
ROLLING_WINDOW = 60
ESTIMATION_WINDOW = (-250, -11)
EVENT_WINDOW = (-5, 5)
MIN_ESTIMATION_OBS = 100
BASKET_BASE_DATE = date(2024, 12, 31)  # the dbt project's basket_base_date
VOLATILITY_WINDOW = 20  # the dbt project's volatility_window
TRADING_DAYS_PER_YEAR = 252  # the dbt project's trading_days_per_year
