{{ config(tags=['spark']) }}
-- reference.event_catalog: the loaded file as readers query it (published with the marts), one row per
-- row of raw.event_catalog, columns as in the file. Models read stg_reference__* instead.
select * from {{ source('raw', 'event_catalog') }}
