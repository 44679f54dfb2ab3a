{{ config(tags=['spark']) }}
-- One analyst action per (ticker, graded_at, firm), typed and renamed. Yahoo's 0 price target
-- means "no target" and becomes null; empty grades become null.
with source as (
    select * from {{ source('raw', 'analyst_actions') }}
),

renamed as (
    select
        upper(trim(ticker))                              as ticker,
        graded_at,
        firm,
        nullif(trim(to_grade), '')                       as to_grade,
        nullif(trim(from_grade), '')                     as from_grade,
        lower(nullif(trim(action), ''))                  as action_code,
        nullif(trim(price_target_action), '')            as price_target_action,
        nullif(cast(current_price_target as double), 0)  as current_price_target,
        nullif(cast(prior_price_target as double), 0)    as prior_price_target,
        fetch_id
    from source
)

select * from renamed
