-- A bar dated on a day XNYS did not trade (a zone slip in the loader, e.g. a bar stamped in UTC
-- or Pacific time) never reaches the returns: flag it instead of dropping it silently.
-- An asset check on staging/stg_prices__daily_bars (meta.dagster.ref: it reads two models).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_prices__daily_bars'}}}) }}

-- The dates first (a few thousand distinct dates, minus the calendar's), then the bars on them: a
-- left join with `is null` had DuckDB build its hash table on every bar (1.8 s at 25M bars), and
-- `not exists`, once dbt wraps the test in a count, copied every bar's columns (2.5 s); this takes
-- 0.1 s either way (docs/BENCHMARKS.md).
select bars.ticker, bars.session_date
from {{ ref('stg_prices__daily_bars') }} as bars
where bars.session_date in (
    select session_date from {{ ref('stg_prices__daily_bars') }}
    except
    select session_date from {{ ref('int_trading_calendar') }}
)
