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

{#- Custom incremental strategy `replace_event_pairs`, for a model whose rows each event-ticker
    pair writes together and whose inputs_key fingerprints what they are computed from
    (int_event_abnormal_ranks): the batch holds every row of each pair whose inputs_key changed,
    and one row with a null inputs_key for each stored pair that has no rows any more. Delete
    every stored row of the pairs in the batch, then insert the batch's rows that have a key. -#}
{% macro get_incremental_replace_event_pairs_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as target
    using (select distinct event_id, ticker from {{ source }}) as batch
    where target.event_id = batch.event_id
        and target.ticker = batch.ticker;

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
    where inputs_key is not null
{%- endmacro %}
