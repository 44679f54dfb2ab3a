{{ config(tags=['spark']) }}
-- One row per XNYS session of the xnys_sessions seed (generated from exchange_calendars by
-- scripts/make_sessions_seed.py); models read the calendar through int_trading_calendar.
with source as (
    select * from {{ ref('xnys_sessions') }}
),

renamed as (
    select
        session_date
    from source
)

select * from renamed
