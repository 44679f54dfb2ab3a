{{ config(tags=['spark']) }}
-- Published: one row per event, ticker and summary window. Computed in int_event_car (which
-- fct_event_study_summary aggregates too); the contract in _marts__models.yml fixes the columns
-- and their types. exchange: the calendar the ticker's sessions are counted on.
{% call select_in_contract_order() %}
select
    *,
    {{ exchange_of('ticker') }} as exchange
from {{ ref('int_event_car') }}
{% endcall %}
