{{ config(tags=['spark'], materialized='view') }}
-- One row per event-ticker pair and relative day of the estimation window: int_event_windows'
-- estimation rows, each flagged when it lies near another catalogued event of the same ticker.
-- near_event_ids: the other catalogued events (event_origin 'catalog', not this event) of the
--   ticker whose day 0 is within [var estimation_exclusion_start, var estimation_exclusion_end]
--   sessions of this session (default [-5, +5]: the widest default summary window, the span over
--   which this project itself measures an event's effect), sessions of the ticker's own exchange
--   (a Hong Kong line's other events are its own home-line pairs, counted on XHKG).
-- is_excluded: near another event and var('estimation_exclude_other_events') is on (the setting
--   ADRPULSE_ESTIMATION_EXCLUDE_EVENTS, default on). Every estimation-window statistic (the market
--   model of int_estimation_stats, the residuals and ranks of int_event_abnormal_ranks, which
--   fct_event_study_summary and int_event_grank read) reads the rows that are not excluded, so
--   one rule applies everywhere. News-derived events are not catalogued and exclude nothing.
-- A view: the exclusions are a few rows per pair at most, found from the events alone (their day-0
-- session indexes), and joined to int_event_windows' estimation rows as each reader scans them.
-- As a table this copied every estimation row (2.4M at 5,000 x 20) on every run, which took
-- 0.8 s to 1.9 s of the daily update's longest chain (docs/BENCHMARKS.md).
{%- set exclusion_start = var('estimation_exclusion_start') | int %}
{%- set exclusion_end = var('estimation_exclusion_end') | int %}
{%- set excluding = var('estimation_exclude_other_events') | string | lower in ('true', '1') %}
with estimation_rows as (
    select *
    from {{ ref('int_event_windows') }}
    where window_part = 'estimation'
),

events as (
    select event_id, ticker, event_origin, day_zero_session_index from {{ ref('int_events') }}
),

exclusion_offsets as (
    select {{ unnest_integer_range(exclusion_start, exclusion_end) }} as session_offset
),

-- Relative day r of an event is session d0 + r of its ticker's exchange (int_event_windows), so
-- the session d0' + k within the exclusion window of another catalogued event of the same ticker
-- is this event's relative day d0' + k - d0. Only the estimation window's days are kept.
nearby as (
    select
        events.event_id,
        events.ticker,
        other_events.day_zero_session_index + exclusion_offsets.session_offset
            - events.day_zero_session_index                          as relative_day,
        {{ sorted_distinct_list_agg('other_events.event_id') }}      as near_event_ids
    from events
    inner join events as other_events
        on other_events.ticker = events.ticker
        and other_events.event_id <> events.event_id
    cross join exclusion_offsets
    where other_events.event_origin = 'catalog'
        and other_events.day_zero_session_index + exclusion_offsets.session_offset
            - events.day_zero_session_index
            between {{ var('estimation_window_start') }} and {{ var('estimation_window_end') }}
    group by
        events.event_id,
        events.ticker,
        other_events.day_zero_session_index + exclusion_offsets.session_offset
            - events.day_zero_session_index
)

select
    estimation_rows.event_id,
    estimation_rows.ticker,
    estimation_rows.relative_day,
    estimation_rows.session_date,
    estimation_rows.window_part,
    estimation_rows.has_bar,
    estimation_rows.stock_return,
    estimation_rows.benchmark_ticker,
    estimation_rows.benchmark_has_bar,
    estimation_rows.benchmark_return,
    coalesce(nearby.near_event_ids, {{ empty_text_list() }}) as near_event_ids,
    {{ 'nearby.event_id is not null' if excluding else 'false' }} as is_excluded
from estimation_rows
left join nearby
    on nearby.event_id = estimation_rows.event_id
    and nearby.ticker = estimation_rows.ticker
    and nearby.relative_day = estimation_rows.relative_day
