{{ config(tags=['spark']) }}
-- One row per session of each exchange the event study counts relative days on, numbered per
-- exchange so that "n sessions later" is index arithmetic on that exchange's own calendar:
--   XNYS: int_trading_calendar's sessions and indices, unchanged (the US listings' event study)
--   XHKG: the xhkg_sessions seed, numbered 1, 2, ... (the Hong Kong lines of dual-listed ADRs)
-- A relative day of a Hong Kong line is an XHKG session: Lunar New Year is skipped there, a US
-- holiday is not.
select
    'XNYS'          as exchange,
    session_date,
    session_index
from {{ ref('int_trading_calendar') }}
union all
select
    'XHKG'          as exchange,
    session_date,
    cast(row_number() over (order by session_date) as integer) as session_index
from {{ ref('stg_reference__xhkg_sessions') }}
