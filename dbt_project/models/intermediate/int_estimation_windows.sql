{{ config(tags=['spark']) }}
-- One row per event-ticker pair and relative day of the estimation window: int_event_windows'
-- estimation rows, each flagged when it lies near another catalogued event of the same ticker.
-- near_event_ids: the other catalogued events (event_origin 'catalog', not this event) of the
--   ticker whose day 0 is within [var estimation_exclusion_start, var estimation_exclusion_end]
--   sessions of this session (default [-5, +5]: the widest default summary window, the span over
--   which this project itself measures an event's effect), sessions of the ticker's own exchange
--   (a Hong Kong line's other events are its own home-line pairs, counted on XHKG).
-- is_excluded: near another event and var('estimation_exclude_other_events') is on (the setting
--   ADRPULSE_ESTIMATION_EXCLUDE_EVENTS, default on). Every estimation-window statistic (the market
--   model of int_estimation_stats, the residuals of fct_event_study_summary, the ranks of
--   int_event_abnormal_ranks and int_event_grank) reads the rows that are not excluded, so one
--   rule applies everywhere. News-derived events are not catalogued and exclude nothing.
-- A table, not incremental: a new catalogued event changes other pairs' rows, which the
-- incremental int_event_windows does not rewrite.
{%- set exclusion_start = var('estimation_exclusion_start') | int %}
{%- set exclusion_end = var('estimation_exclusion_end') | int %}
{%- set excluding = var('estimation_exclude_other_events') | string | lower in ('true', '1') %}
with estimation_rows as (
    select *
    from {{ ref('int_event_windows') }}
    where window_part = 'estimation'
),

calendar as (
    select exchange, session_date, session_index from {{ ref('int_exchange_calendars') }}
),

-- Every session within the exclusion window of each catalogued event's day 0.
other_event_sessions as (
    select
        events.ticker,
        events.event_id     as other_event_id,
        calendar.session_date
    from {{ ref('int_events') }} as events
    inner join calendar
        on calendar.exchange = {{ exchange_of('events.ticker') }}
        and calendar.session_index between events.day_zero_session_index + {{ exclusion_start }}
            and events.day_zero_session_index + {{ exclusion_end }}
    where events.event_origin = 'catalog'
),

nearby as (
    select
        estimation_rows.event_id,
        estimation_rows.ticker,
        estimation_rows.relative_day,
        {{ sorted_distinct_list_agg('other_event_sessions.other_event_id') }} as near_event_ids
    from estimation_rows
    inner join other_event_sessions
        on other_event_sessions.ticker = estimation_rows.ticker
        and other_event_sessions.session_date = estimation_rows.session_date
        and other_event_sessions.other_event_id <> estimation_rows.event_id
    group by estimation_rows.event_id, estimation_rows.ticker, estimation_rows.relative_day
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
