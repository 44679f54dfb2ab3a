{{ config(tags=['spark']) }}
-- reference.universe: the loaded file as readers query it (published with the marts), one row per
-- row of raw.universe, columns as in the file. Models read stg_reference__* instead.
select * from {{ source('raw', 'universe') }}
