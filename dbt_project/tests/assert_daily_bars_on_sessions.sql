-- A bar dated on a day XNYS did not trade (a zone slip in the loader, e.g. a bar stamped in UTC
-- or Pacific time) never reaches the returns: flag it instead of dropping it silently.
-- An asset check on staging/stg_prices__daily_bars (meta.dagster.ref: it reads two models).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_prices__daily_bars'}}}) }}

select bars.ticker, bars.session_date
from {{ ref('stg_prices__daily_bars') }} as bars
left join {{ ref('int_trading_calendar') }} as calendar
    on calendar.session_date = bars.session_date
where calendar.session_date is null
