-- Every token of a catalogued event's scope names a group or ticker of int_ticker_groups (the
-- universe plus priced tickers outside it); an unknown token (a typo, or a ticker with neither a
-- universe row nor bars) would silently drop tickers from the event.
-- An asset check on staging/stg_reference__event_catalog (meta.dagster.ref: it reads two models).
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_reference__event_catalog'}}}) }}

with catalog as (
    select * from {{ ref('stg_reference__event_catalog') }}
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

tokens as (
    select event_id, {{ unnest_list('scope_tokens') }} as scope_token from catalog
),

named as (
    {{ tickers_named_by('tokens', 'scope_token', 'universe') }}
)

select tokens.event_id, tokens.scope_token
from tokens
where not exists (
    select 1 from named
    where named.event_id = tokens.event_id
        and named.scope_token = tokens.scope_token
)
