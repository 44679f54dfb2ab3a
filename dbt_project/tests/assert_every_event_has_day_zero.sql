-- Every catalogued event resolves to at least one ticker with a day 0 inside the calendar; an
-- event lost here would vanish from every mart without an error.
-- An asset check on intermediate/int_events (meta.dagster.ref: it reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'int_events'}}}) }}

with catalog as (
    select event_id from {{ ref('stg_reference__event_catalog') }}
),

events as (
    select distinct event_id from {{ ref('int_events') }}
)

select catalog.event_id
from catalog
left join events on events.event_id = catalog.event_id
where events.event_id is null
