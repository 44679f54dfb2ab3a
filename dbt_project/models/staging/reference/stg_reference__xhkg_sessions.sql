{{ config(tags=['spark']) }}
-- One row per XHKG session of the xhkg_sessions seed (generated from exchange_calendars by
-- scripts/make_sessions_seed.py); the dual-listing models read the Hong Kong calendar here.
with source as (
    select * from {{ ref('xhkg_sessions') }}
),

renamed as (
    select
        session_date
    from source
)

select * from renamed
