-- Published: one row per event, ticker and summary window. Computed in int_event_car (which
-- fct_event_study_summary aggregates too); the contract in _marts__models.yml fixes the columns
-- and their types.
select * from {{ ref('int_event_car') }}
