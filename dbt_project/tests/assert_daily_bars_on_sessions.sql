-- A bar dated on a day XNYS did not trade (a zone slip in the loader, e.g. a bar stamped in UTC
-- or Pacific time) never reaches the returns: flag it instead of dropping it silently.
-- An asset check on staging/stg_prices__daily_bars (meta.dagster.ref: it reads two models).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_prices__daily_bars'}}}) }}

-- not exists, not a left join and `is null`: DuckDB built that join's hash table on the bars, the
-- whole history (1.8 s at 25M bars, against 0.1 s probing the calendar's).
select bars.ticker, bars.session_date
from {{ ref('stg_prices__daily_bars') }} as bars
where not exists (
    select 1
    from {{ ref('int_trading_calendar') }} as calendar
    where calendar.session_date = bars.session_date
)
