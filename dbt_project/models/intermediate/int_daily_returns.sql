{{ config(tags=['spark']) }}
-- Incremental (replace_ticker_tail, with a pre-hook) on DuckDB, a plain table on Spark:
-- configured in dbt_project.yml, shared with fct_ticker_performance.
-- One row per ticker and XNYS session between the ticker's first and last bar, including sessions
-- with no bar: a missing bar stays a row with null prices, and both its return and the next
-- session's return are null (never forward-filled into a zero return). return_since_previous_close
-- spans such a gap instead: the move from the last close before the session to its close, on the
-- session the ticker trades again (the basket indices count a missing member's move there).
-- Incremental runs (macros/incremental_prices.sql) recompute, for each ticker with bars from a
-- fetch newer than the table's largest fetch_id, every session after its last unchanged bar before
-- the earliest changed one: that bar is the only history a return needs, and starting right after
-- it also recreates the no-bar sessions of a gap that the new bars close.
-- The running high (the highest adjusted close from the ticker's first bar on) is kept here, in
-- the sort the lags below already make, so that fct_ticker_performance's drawdown and the yearly
-- drawdown of int_ticker_yearly_return_stats read it instead of sorting every ticker's history
-- again. An incremental run carries it from the stored row of prior_bar_date, the last unchanged
-- bar (docs/BENCHMARKS.md).
-- Most tickers have a bar on every session of their span, so the rows are built from the bars
-- (indexed through the 7k-row calendar) and only tickers with fewer bars than sessions get their
-- missing sessions added; joining every (ticker, session) of every span back to the bars instead
-- costs a hash join as large as the table (docs/BENCHMARKS.md).
with calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

{% if is_incremental() %}
{%- set stg_bars = ref('stg_prices__daily_bars') -%}
{%- set changed_sql = changed_price_tickers(stg_bars, this) -%}
{%- set recent_from = recent_bars_from(changed_sql) %}
changed as (
    {{ changed_sql }}
),

-- prior_bar_date: the last bar before the first change (null: the ticker is rebuilt from its
-- first bar). Rows from it on are read; rows after it are written. It is looked for from
-- recent_from on (a literal a few weeks before the earliest change); only the tickers with no bar
-- there are looked up over their whole history.
recent_spans as (
    select
        bars.ticker,
        max(bars.session_date)                  as first_bar_date,
        max(bars.session_date)                  as prior_bar_date
    from {{ stg_bars }} as bars
    inner join changed
        on changed.ticker = bars.ticker
    where bars.session_date >= {{ recent_from }}
        and bars.session_date < changed.changed_from
    group by bars.ticker
),

far as (
    {{ far_changed_tickers(stg_bars, recent_from) }}
),

far_spans as (
    select
        bars.ticker,
        coalesce(
            max(bars.session_date) filter (where bars.session_date < far.changed_from),
            min(bars.session_date)
        )                                                              as first_bar_date,
        max(bars.session_date) filter (where bars.session_date < far.changed_from)
                                                                       as prior_bar_date
    from {{ stg_bars }} as bars
    inner join far
        on far.ticker = bars.ticker
    group by bars.ticker
),

ticker_spans as (
    select * from recent_spans
    union all
    select * from far_spans
),

-- The stored running high at each ticker's prior_bar_date: every later row is rewritten, and
-- its high is the greater of that and the high of the rows read from prior_bar_date on. An
-- equality join on a few thousand dates: DuckDB pushes their range into the scan of this table
-- (stored in session order), so its zone maps skip the older row groups.
prior_highs as (
    select stored.ticker, stored.running_high_adj_close as prior_running_high
    from {{ this }} as stored
    inner join ticker_spans
        on ticker_spans.ticker = stored.ticker
        and ticker_spans.prior_bar_date = stored.session_date
),

bars as (
    select
        bars.*,
        ticker_spans.prior_bar_date,
        prior_highs.prior_running_high
    from {{ stg_bars }} as bars
    inner join ticker_spans
        on ticker_spans.ticker = bars.ticker
        and bars.session_date >= ticker_spans.first_bar_date
    left join prior_highs
        on prior_highs.ticker = bars.ticker
    where bars.session_date >= (select min(first_bar_date) from ticker_spans)
),
{% else %}
bars as (
    select
        *,
        cast(null as date)      as prior_bar_date,
        cast(null as double)    as prior_running_high
    from {{ ref('stg_prices__daily_bars') }}
),
{% endif %}

-- Bars on XNYS sessions only (a bar dated on a holiday has no session and is not a return).
indexed_bars as (
    select
        bars.*,
        calendar.session_index
    from bars
    inner join calendar
        on calendar.session_date = bars.session_date
),

spans as (
    select
        ticker,
        any_value(prior_bar_date)   as prior_bar_date,
        any_value(prior_running_high) as prior_running_high,
        min(session_index)          as first_session_index,
        max(session_index)          as last_session_index,
        count(*)                    as bar_count
    from indexed_bars
    group by ticker
),

-- Sessions without a bar, for the tickers that have any. The anti join reads only those tickers'
-- bars: its hash table is built on that side, which was otherwise every bar (2.3 s of operator
-- time at 25M bars, where most histories have no gap).
gap_spans as (
    select * from spans
    where bar_count < last_session_index - first_session_index + 1
),

gap_bars as (
    select indexed_bars.ticker, indexed_bars.session_index
    from indexed_bars
    inner join gap_spans
        on gap_spans.ticker = indexed_bars.ticker
),

missing_sessions as (
    select
        gap_spans.ticker,
        gap_spans.prior_bar_date,
        gap_spans.prior_running_high,
        calendar.session_date,
        calendar.session_index
    from gap_spans
    inner join calendar
        on calendar.session_index
            between gap_spans.first_session_index and gap_spans.last_session_index
    {{ anti_join() }} gap_bars
        on gap_bars.ticker = gap_spans.ticker
        and gap_bars.session_index = calendar.session_index
),

ticker_sessions as (
    select
        ticker,
        session_date,
        session_index,
        prior_bar_date,
        prior_running_high,
        true                        as has_bar,
        open_price,
        high_price,
        low_price,
        close_price,
        adj_close_price,
        fetch_id
    from indexed_bars
    union all
    select
        ticker,
        session_date,
        session_index,
        prior_bar_date,
        prior_running_high,
        false                       as has_bar,
        cast(null as double)        as open_price,
        cast(null as double)        as high_price,
        cast(null as double)        as low_price,
        cast(null as double)        as close_price,
        cast(null as double)        as adj_close_price,
        cast(null as {{ text_type() }}) as fetch_id
    from missing_sessions
),

with_previous as (
    select
        *,
        lag(adj_close_price) over by_ticker         as previous_adj_close_price,
        -- The last close before this session, however many sessions back (one sort with the lag
        -- above). In an incremental run the first rewritten row's is prior_bar_date's bar, which
        -- is read, so it matches a full build.
        {{ ignore_nulls('lag', 'adj_close_price') }} over by_ticker
                                                    as previous_close_price,
        {{ ignore_nulls('lag', 'case when adj_close_price is not null then session_index end') }}
            over by_ticker                          as previous_close_session_index,
        -- the frame is spelled out: Spark cannot add one to a named window
        max(adj_close_price) over (
            partition by ticker order by session_index
            rows between unbounded preceding and current row
        )                                           as high_of_rows_read
    from ticker_sessions
    window by_ticker as (partition by ticker order by session_index)
),

-- greatest skips a null: prior_running_high is null where the ticker is built from its first bar.
with_high as (
    select
        *,
        greatest(high_of_rows_read, prior_running_high)    as running_high_adj_close
    from with_previous
),

final as (
    select
        ticker,
        session_date,
        session_index,
        has_bar,
        open_price,
        high_price,
        low_price,
        close_price,
        adj_close_price,
        previous_adj_close_price,
        case
            when previous_adj_close_price > 0 and adj_close_price is not null
                then adj_close_price / previous_adj_close_price - 1
        end                                         as daily_return,
        session_index - previous_close_session_index
                                                    as sessions_since_previous_close,
        case
            when previous_close_price > 0 and adj_close_price is not null
                then adj_close_price / previous_close_price - 1
        end                                         as return_since_previous_close,
        running_high_adj_close,
        -- The first bar of a drawdown: below the running high, with the previous bar at it. The
        -- drawdown's peak (the last session at the high) is the session before it, since wealth
        -- stays at the previous close over the sessions without a bar.
        coalesce(adj_close_price < running_high_adj_close
                 and previous_close_price = running_high_adj_close, false)
                                                    as starts_drawdown,
        fetch_id,
        {{ built_at() }}                            as built_at
    from with_high
    where prior_bar_date is null or session_date > prior_bar_date
)

select * from final
{% if not is_incremental() -%}
-- Stored in session order: incremental runs append new sessions at the end, and their reads
-- bounded by a date (context_lower_bound) then skip the older row groups by their zone maps.
-- Sorting on the integer index alone is about half the cost of sorting on (date, ticker).
order by session_index
{%- endif %}
