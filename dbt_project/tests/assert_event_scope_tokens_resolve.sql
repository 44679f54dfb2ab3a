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
)

select tokens.event_id, tokens.scope_token
from tokens
-- two equality lookups: one on `group = token or ticker = token` is a nested loop over every
-- token and ticker
where not exists (
    select 1 from universe
    where universe.group_name = tokens.scope_token
)
    and not exists (
        select 1 from universe
        where universe.ticker = upper(tokens.scope_token)
    )
