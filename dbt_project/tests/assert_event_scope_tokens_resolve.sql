-- Every token of a catalogued event's scope names a universe group or ticker; an unknown token
-- (a typo, or a ticker missing from the universe) would silently drop tickers from the event.
{{ config(severity='warn') }}

with catalog as (
    select * from {{ ref('stg_reference__event_catalog') }}
),

universe as (
    select * from {{ ref('stg_reference__universe') }}
),

tokens as (
    select event_id, unnest(scope_tokens) as scope_token from catalog
)

select tokens.event_id, tokens.scope_token
from tokens
where not exists (
    select 1 from universe
    where universe.group_name = tokens.scope_token
        or universe.ticker = upper(tokens.scope_token)
)
