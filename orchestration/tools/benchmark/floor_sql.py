"""The floor: the marts (see core_spec) as plain DuckDB SQL in one script.

Reads the raw bars from the bench warehouse (attached read-only) and writes its tables into a
separate database file, as dbt writes tables into the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.tools.benchmark.core_spec import (
    BASKET_BASE_DATE,
    BENCHMARK_TICKER,
    ESTIMATION_WINDOW,
    EVENT_WINDOW,
    MIN_ESTIMATION_OBS,
    ROLLING_WINDOW,
    TRADING_DAYS_PER_YEAR,
    VOLATILITY_WINDOW,
)

# A lag past any ticker's first bar: a period anchor before the history gives no close.
NO_ANCHOR = 1_000_000

FLOOR_TABLES = (
    "floor_returns",
    "floor_rolling_beta",
    "floor_event_fits",
    "floor_event_ar",
    "floor_event_car",
    "floor_basket_index",
    "floor_ticker_performance",
)


def floor_script(universe_csv: Path, events_parquet: Path) -> str:
    est_lo, est_hi = ESTIMATION_WINDOW
    ev_lo, ev_hi = EVENT_WINDOW
    lags = {"1m": "1 month", "3m": "3 month", "1y": "12 month"}
    anchor_joins = "\n".join(
        f"asof left join sessions as a_{name} "
        f"on a_{name}.session_date <= cast(s.session_date - interval {span} as date)"
        for name, span in lags.items()
    )
    anchor_columns = "".join(
        f"coalesce(s.session_index - a_{name}.session_index, {NO_ANCHOR}) as back_{name},\n       "
        for name in lags
    )
    period_returns = "".join(
        f"adj_close / lag(adj_close, back_{name}) over w - 1 as return_{name},\n       "
        for name in lags
    )
    return f"""
create or replace temp table floor_sessions as
with sessions as (
    select session_date, row_number() over (order by session_date) as session_index
    from (select distinct session_date from wh.raw.daily_bars)
)
select s.session_date, s.session_index,
       {anchor_columns}coalesce(s.session_index - a_ye.session_index, {NO_ANCHOR}) as back_ye,
       s.session_index - min(s.session_index) over (partition by year(s.session_date))
           as since_year_start
from sessions s
{anchor_joins}
asof left join sessions as a_ye on a_ye.session_date <= make_date(year(s.session_date) - 1, 12, 31);

create or replace table floor_returns as
with returns as (
    select ticker, session_date, adj_close, close, high, low,
           adj_close / lag(adj_close) over (partition by ticker order by session_date) - 1
               as daily_return
    from wh.raw.daily_bars
),
sessions as (
    select session_date, session_index from floor_sessions
),
benchmark as (
    select session_date, daily_return as benchmark_return
    from returns where ticker = '{BENCHMARK_TICKER}'
),
market_mean as (
    select session_date, avg(daily_return) as market_mean_return from returns group by 1
)
select r.ticker, r.session_date, s.session_index, r.adj_close, r.close, r.high, r.low,
       r.daily_return, b.benchmark_return, m.market_mean_return
from returns r
join sessions s using (session_date)
left join benchmark b using (session_date)
left join market_mean m using (session_date);

create or replace table floor_rolling_beta as
select ticker, session_date,
       case when regr_count(daily_return, benchmark_return) over w = {ROLLING_WINDOW}
            then regr_slope(daily_return, benchmark_return) over w end as beta
from floor_returns
window w as (partition by ticker order by session_index
             rows between {ROLLING_WINDOW - 1} preceding and current row);

create or replace temp table event_rows as
with events as (
    select e.event_id, e.ticker, s.session_index as day_zero_index
    from read_parquet('{events_parquet.as_posix()}') e
    join (select distinct session_date, session_index from floor_returns) s
      on s.session_date = e.day_zero_date
)
select e.event_id, e.ticker, d.relative_day, r.daily_return, r.benchmark_return
from events e
cross join (select unnest(range({est_lo}, {ev_hi + 1})) as relative_day) d
join floor_returns r
  on r.ticker = e.ticker and r.session_index = e.day_zero_index + d.relative_day;

create or replace table floor_event_fits as
select event_id, ticker,
       regr_count(daily_return, benchmark_return) as estimation_obs,
       regr_intercept(daily_return, benchmark_return) as alpha,
       regr_slope(daily_return, benchmark_return) as beta
from event_rows
where relative_day between {est_lo} and {est_hi}
group by event_id, ticker
having regr_count(daily_return, benchmark_return) >= {MIN_ESTIMATION_OBS};

create or replace table floor_event_ar as
select r.event_id, r.ticker, r.relative_day,
       r.daily_return - (f.alpha + f.beta * r.benchmark_return) as abnormal_return
from event_rows r
join floor_event_fits f using (event_id, ticker)
where r.relative_day between {ev_lo} and {ev_hi};

create or replace table floor_event_car as
select event_id, ticker, sum(abnormal_return) as car, count(abnormal_return) as ar_count
from floor_event_ar group by event_id, ticker;

create or replace table floor_basket_index as
with universe as (
    select ticker, group_name from read_csv('{universe_csv.as_posix()}', header = true)
),
basket_days as (
    select u.group_name as basket, r.session_date, r.session_index,
           avg(r.daily_return) as basket_return
    from floor_returns r join universe u using (ticker)
    group by all
),
base as (
    select max(session_date) as base_date from floor_returns
    where session_date <= date '{BASKET_BASE_DATE.isoformat()}'
)
select basket, session_date, basket_return,
       100 * product(1 + case when session_date > base_date then basket_return else 0 end)
           over (partition by basket order by session_index
                 rows between unbounded preceding and current row) as index_daily_rebalanced
from basket_days cross join base
where session_date >= base_date;

create or replace table floor_ticker_performance as
with priced as (
    select r.ticker, r.session_date, r.session_index, r.adj_close, r.daily_return,
           r.high * r.adj_close / r.close as adj_high,
           r.low * r.adj_close / r.close as adj_low,
           s.* exclude (session_date, session_index)
    from floor_returns r join floor_sessions s using (session_index)
)
select ticker, session_date,
       adj_close / lag(adj_close, 5) over w - 1 as return_1w,
       {period_returns}adj_close / lag(adj_close, back_ye) over w - 1 as return_ytd,
       adj_close / max(adj_close) over (w rows between unbounded preceding and current row) - 1
           as drawdown,
       adj_close / min(adj_close) over (w rows between since_year_start preceding and current row)
           - 1 as gain_from_ytd_low,
       adj_high / min(adj_low) over (w rows between since_year_start preceding and current row)
           - 1 as gain_from_ytd_low_intraday,
       case when count(daily_return) over vol = {VOLATILITY_WINDOW}
            then stddev_samp(daily_return) over vol * sqrt({TRADING_DAYS_PER_YEAR})
       end as volatility_annualized
from priced
window w as (partition by ticker order by session_index),
       vol as (w rows between {VOLATILITY_WINDOW - 1} preceding and current row);
"""


def run_floor(
    warehouse: Path,
    out_db: Path,
    universe_csv: Path,
    events_parquet: Path,
    memory_limit: str | None = None,
) -> int:
    """Run the floor script; return the number of raw bars it read. memory_limit (e.g. "3GB")
    caps DuckDB as the dbt profile caps the build; None leaves DuckDB's default (80% of RAM)."""
    out_db.unlink(missing_ok=True)
    con = duckdb.connect(str(out_db))
    try:
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"attach '{warehouse.as_posix()}' as wh (read_only)")
        con.execute(floor_script(universe_csv, events_parquet)).fetchall()
        return int(con.execute("select count(*) from floor_returns").fetchall()[0][0])
    finally:
        con.close()
