"""What the floor SQL and the pandas baseline both compute: the core of the marts, one convention.

- daily return r = adj_close / previous bar's adj_close - 1, per ticker in session order;
- the market: the benchmark's return joined to every row, and the equal-weight mean return of
  all tickers per session;
- rolling beta over the last ROLLING_WINDOW rows = cov(r, r_m) / var(r_m), only with a full window
  of (r, r_m) pairs;
- event windows: OLS market model over relative days ESTIMATION_WINDOW (at least MIN_ESTIMATION_OBS
  pairs), abnormal returns AR = r - (alpha + beta r_m) over EVENT_WINDOW (11 sessions), CAR = sum;
- basket indices: per universe group, the equal-weight mean daily return compounded from the base
  session (the last session on or before BASKET_BASE_DATE), 100 at the base.
"""

from __future__ import annotations

from datetime import date

BENCHMARK_TICKER = "SPY"
ROLLING_WINDOW = 60
ESTIMATION_WINDOW = (-250, -11)
EVENT_WINDOW = (-5, 5)
MIN_ESTIMATION_OBS = 100
BASKET_BASE_DATE = date(2024, 12, 31)  # the dbt project's basket_base_date
