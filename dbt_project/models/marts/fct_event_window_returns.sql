{{ config(tags=['spark']) }}
-- Published: one row per event, ticker and relative session day in the event window. Computed in
-- int_event_window_returns (int_event_car aggregates the same rows); the contract in
-- _marts__models.yml fixes the columns and their types. exchange: the calendar the ticker's
-- sessions are counted on.
{% call select_in_contract_order() %}
select
    *,
    {{ exchange_of('ticker') }} as exchange
from {{ ref('int_event_window_returns') }}
{% endcall %}
