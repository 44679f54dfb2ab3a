{#- Post-hook of the incremental event-window model: delete the pairs that int_events no longer
    has (an event removed from the catalog, or a news event that lost its tag). delete+insert only
    rewrites the pairs of the new batch, so it cannot see them. -#}
{% macro delete_pairs_without_event() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as target
    where not exists (
        select 1
        from {{ ref('int_events') }} as events
        where events.event_id = target.event_id
            and events.ticker = target.ticker
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
