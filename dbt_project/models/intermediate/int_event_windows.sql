{%- set first_day = var('estimation_window_start') -%}
{%- set last_day = [var('estimation_window_end'), var('event_window_end')] | max -%}
{#- On Spark a plain table, rebuilt whole (as int_daily_returns, dbt_project.yml): dbt-spark's
    incremental strategies need Delta or Iceberg, and the spark target writes plain Parquet. -#}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    tags=['spark'],
    incremental_strategy='delete+insert',
    unique_key=['event_id', 'ticker'],
    post_hook="{{ delete_pairs_without_event() }}"
) }}
-- depends_on: {{ ref('stg_prices__daily_bars') }}
-- One row per event-ticker pair and relative session day, over the estimation window
-- [var estimation_window_start, var estimation_window_end] and the event window
-- [var event_window_start, var event_window_end]. Relative days count the sessions of the pair's
-- exchange (int_events.exchange, int_exchange_calendars): XNYS for the US listings, whose returns
-- come from int_daily_returns and whose benchmark is var benchmark_ticker (SPY); XHKG for the Hong
-- Kong lines of dual-listed ADRs, whose returns come from int_home_line_daily_returns and whose
-- benchmark is var hk_benchmark_ticker (ADRPULSE_HK_BENCHMARK, 2800.HK). Sessions after the last
-- loaded session of that exchange (the future, for recent events) have no row yet. The ticker's
-- and the benchmark's returns are joined as they are: a missing return stays null, and has_bar /
-- benchmark_has_bar say which bar is missing (int_event_car names them in its exclusion reasons).
-- Incremental runs rewrite whole pairs (delete+insert on event_id, ticker), only those whose rows
-- can differ: a pair that is new or whose day 0 moved; a pair whose window reaches a session of
-- its ticker or of the benchmark at or after that ticker's earliest bar from a fetch newer than
-- the table's largest fetch_id (a return depends on its own bar and the previous one, so the whole
-- tail from the earliest changed bar can differ; a restated history, whose first bar is new,
-- affects every pair of the ticker); and a pair whose window reaches past the last session the
-- table holds (new sessions add its rows). Pairs whose windows end before all of that are not read.
-- The Hong Kong pairs (a few per catalogued event, their bars outside stg_prices__daily_bars)
-- are rewritten by every run.
with events as (
    select * from {{ ref('int_events') }}
),

calendar as (
    select exchange, session_date, session_index from {{ ref('int_exchange_calendars') }}
),

last_loaded as (
    select 'XNYS' as exchange, max(session_date) as last_session_date
    from {{ ref('int_daily_returns') }}
    union all
    select 'XHKG' as exchange, max(session_date) as last_session_date
    from {{ ref('int_home_line_daily_returns') }}
),

relative_days as (
    select {{ unnest_integer_range(first_day, last_day) }} as relative_day
),

{% if is_incremental() %}
changed as (
    {{ changed_price_tickers(ref('stg_prices__daily_bars'), this) }}
),

-- From which session each changed ticker's returns can differ: the whole history when its first
-- bar is among the changed ones (a restatement, or a new ticker).
changed_from as (
    select
        changed.ticker,
        case when changed.changed_from <= min(bars.session_date)
            then cast('0001-01-01' as date)
            else changed.changed_from
        end as affected_from
    from changed
    inner join {{ ref('stg_prices__daily_bars') }} as bars
        on bars.ticker = changed.ticker
    group by changed.ticker, changed.changed_from
),

benchmark_changed_from as (
    select min(affected_from) as affected_from
    from changed_from
    where ticker = '{{ var("benchmark_ticker") }}'
),

stored_last as (
    select max(session_date) as last_session_date from {{ this }}
),

-- Each pair's stored row at the first relative day: its session tells whether day 0 moved.
stored_pairs as (
    select event_id, ticker, session_date as first_session_date
    from {{ this }}
    where relative_day = {{ first_day }}
),

event_spans as (
    select
        events.event_id,
        events.ticker,
        events.exchange,
        first_day.session_date as first_session_date,
        -- null: the window ends beyond the calendar.
        last_day.session_date  as last_session_date
    from events
    left join calendar as first_day
        on first_day.exchange = events.exchange
        and first_day.session_index = events.day_zero_session_index + {{ first_day }}
    left join calendar as last_day
        on last_day.exchange = events.exchange
        and last_day.session_index = events.day_zero_session_index + {{ last_day }}
),

affected_pairs as (
    select event_spans.event_id, event_spans.ticker
    from event_spans
    left join stored_pairs
        on stored_pairs.event_id = event_spans.event_id
        and stored_pairs.ticker = event_spans.ticker
    left join changed_from
        on changed_from.ticker = event_spans.ticker
    cross join benchmark_changed_from
    cross join stored_last
    where event_spans.exchange <> 'XNYS'
        or stored_pairs.first_session_date is null
        or event_spans.first_session_date is null
        or stored_pairs.first_session_date <> event_spans.first_session_date
        or event_spans.last_session_date is null
        or event_spans.last_session_date > stored_last.last_session_date
        or event_spans.last_session_date >= changed_from.affected_from
        or event_spans.last_session_date >= benchmark_changed_from.affected_from
),

pairs as (
    select events.event_id, events.ticker, events.exchange, events.day_zero_session_index
    from events
    inner join affected_pairs
        on affected_pairs.event_id = events.event_id
        and affected_pairs.ticker = events.ticker
),
{% else %}
pairs as (
    select event_id, ticker, exchange, day_zero_session_index from events
),
{% endif %}

windows as (
    select
        pairs.event_id,
        pairs.ticker,
        pairs.exchange,
        relative_days.relative_day,
        calendar.session_date,
        case
            when relative_days.relative_day
                between {{ var('event_window_start') }} and {{ var('event_window_end') }}
                then 'event'
            when relative_days.relative_day
                between {{ var('estimation_window_start') }} and {{ var('estimation_window_end') }}
                then 'estimation'
        end as window_part
    from pairs
    cross join relative_days
    inner join calendar
        on calendar.exchange = pairs.exchange
        and calendar.session_index = pairs.day_zero_session_index + relative_days.relative_day
    inner join last_loaded
        on last_loaded.exchange = pairs.exchange
    where calendar.session_date <= last_loaded.last_session_date
),

-- Only the tickers and sessions of the pairs rewritten are read.
returns as (
    select 'XNYS' as exchange, ticker, session_date, has_bar, daily_return, fetch_id
    from {{ ref('int_daily_returns') }}
    where ticker in (select ticker from pairs where exchange = 'XNYS')
        and session_date >= (select min(session_date) from windows where exchange = 'XNYS')
    union all
    select 'XHKG' as exchange, ticker, session_date, has_bar, daily_return, fetch_id
    from {{ ref('int_home_line_daily_returns') }}
    where ticker in (select ticker from pairs where exchange = 'XHKG')
),

benchmarks as (
    select 'XNYS' as exchange, '{{ var("benchmark_ticker") }}' as benchmark_ticker
    union all
    select 'XHKG' as exchange, '{{ var("hk_benchmark_ticker") }}' as benchmark_ticker
),

benchmark_returns as (
    select 'XNYS' as exchange, session_date, has_bar, daily_return, fetch_id
    from {{ ref('int_daily_returns') }}
    where ticker = '{{ var("benchmark_ticker") }}'
    union all
    select 'XHKG' as exchange, session_date, has_bar, daily_return, fetch_id
    from {{ ref('int_home_line_daily_returns') }}
    where ticker = '{{ var("hk_benchmark_ticker") }}'
),

final as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.session_date,
        windows.window_part,
        -- no row: the session lies outside the ticker's stored bars
        coalesce(returns.has_bar, false)      as has_bar,
        returns.daily_return                  as stock_return,
        benchmarks.benchmark_ticker,
        coalesce(benchmark_returns.has_bar, false) as benchmark_has_bar,
        benchmark_returns.daily_return        as benchmark_return,
        -- The Hong Kong pairs' rows carry none: they are rewritten by every run, and the table's
        -- largest fetch_id must stay the newest US fetch seen (stg_prices__daily_bars').
        case when windows.exchange = 'XNYS'
            then greatest(returns.fetch_id, benchmark_returns.fetch_id)
        end                                   as fetch_id
    from windows
    inner join benchmarks
        on benchmarks.exchange = windows.exchange
    left join returns
        on returns.exchange = windows.exchange
        and returns.ticker = windows.ticker
        and returns.session_date = windows.session_date
    left join benchmark_returns
        on benchmark_returns.exchange = windows.exchange
        and benchmark_returns.session_date = windows.session_date
    where windows.window_part is not null
)

select * from final
