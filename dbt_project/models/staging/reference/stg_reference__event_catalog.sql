{{ config(tags=['spark']) }}
-- One row per curated event, from raw.event_catalog (the file ADRPULSE_EVENTS names, loaded by
-- assets/reference.py); the scope string is split into a list of tokens here.
with source as (
    select * from {{ source('raw', 'event_catalog') }}
),

renamed as (
    select
        trim(event_id)                                              as event_id,
        title                                                       as event_title,
        cast(announced_at as {{ timestamptz_type() }})              as announced_at,
        cast(announced_date as date)                                as announced_date,
        announced_timezone,
        {{ split_on_whitespace('trim(scope)') }}                     as scope_tokens,
        source                                                      as event_source_note,
        coalesce(approximate, false)                                as is_approximate
    from source
)

select * from renamed
