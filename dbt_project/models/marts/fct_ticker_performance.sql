{{ config(tags=['spark']) }}
{%- set vol_n = var('volatility_window') -%}
{#- A distance in sessions beyond any ticker's history: the frame it ends is empty. -#}
{%- set no_anchor = 1000000 -%}
-- Incremental (replace_ticker_tail, with a pre-hook) on DuckDB, a plain table on Spark: configured
-- in dbt_project.yml, shared with int_daily_returns.
-- depends_on: {{ ref('stg_prices__daily_bars') }}
-- One row per ticker and session with a bar. All close-based figures use the adjusted close
-- (total return, robust to splits); the raw close is kept for quoting.
-- Conventions (ffn's):
--   return_1d = P_t / P_(previous session) - 1 (null after a missing session)
--   return_1w = P_t / P_(5 sessions earlier) - 1 (null if that session has no bar)
--   return_1m / return_3m / return_1y = P_t / (last close on or before the same calendar date
--     1 / 3 / 12 months earlier; month ends clamp, 03-31 -> 02-28) - 1
--   return_ytd = P_t / (last close on or before Dec 31 of the prior year) - 1
--   drawdown = P_t / max(P_s, s <= t) - 1 over the ticker's loaded history
--   gain_from_ytd_low = P_t / min(P_s, Jan 1 <= s <= t) - 1 (close to close)
--   gain_from_ytd_low_intraday = adjusted high_t / min(adjusted low_s, Jan 1 <= s <= t) - 1,
--     with high and low scaled by the day's adj_close / close (the "X% off the low" of headlines)
--   volatility_annualized = sample sd of the last {{ vol_n }} daily returns * sqrt({{ var('trading_days_per_year') }});
--     null unless all {{ vol_n }} sessions have a return.
-- Incremental runs (macros/incremental_prices.sql) recompute, for each ticker with bars from a
-- fetch newer than the table's largest fetch_id, every row from the earliest changed bar on
-- (changed_from): the running high carries a change forward indefinitely. They read
-- int_daily_returns from the last priced session on or before changed_from - 12 months (the 1Y
-- anchor, the earliest any figure looks back: YTD, 3M, 1M, 1W and the volatility window all start
-- later). The running high is int_daily_returns' own (kept there, in the sort its lags make, and
-- carried across its incremental runs), not a window here.
-- The daily run changes every ticker, so a per-ticker join alone would still scan all history:
-- the read is also bounded by one literal date (context_lower_bound, computed before the
-- query) that DuckDB's zone maps use to skip the older row groups of int_daily_returns.
-- Every figure is one window pass over (ticker, session_index): the rows of int_daily_returns are
-- dense (one per session from the first bar on), so "the last close on or before a date" is the
-- last non-null close in a frame ending that many rows back, with the distance in sessions taken
-- from the calendar (session_anchors). Four ASOF joins on the whole table did the same at about
-- five times the cost (docs/BENCHMARKS.md). Spark takes no column as a frame offset: there the
-- macros last_value_rows_back and min_since_group_start (macros/cross_db/portable.sql) read the
-- same rows another way.
-- The window carries fetch_key, a 64-bit hash of fetch_id, and the id is looked up again from
-- stg_prices__fetches after it: a 35-character string in the window's payload cost about a
-- quarter of the model at 25M rows. assert_price_fetch_keys_are_distinct keeps the lookup exact.
{% if is_incremental() %}
{%- set changed_sql = changed_price_tickers(ref('stg_prices__daily_bars'), this) -%}
{%- set lower_bound = context_lower_bound(changed_sql, ref('int_daily_returns')) -%}
with changed as (
    {{ changed_sql }}
),

all_returns as (
    select all_returns.*
    from {{ ref('int_daily_returns') }} as all_returns
    where all_returns.session_date >= {{ lower_bound }}
        and all_returns.ticker in (select ticker from changed)
),

context_starts as (
    select
        changed.ticker,
        changed.changed_from,
        max(all_returns.session_date) filter (
            where all_returns.session_date <= {{ one_year_before('changed.changed_from') }}
                and all_returns.adj_close_price is not null
        ) as context_from
    from changed
    inner join all_returns
        on all_returns.ticker = changed.ticker
    group by changed.ticker, changed.changed_from
),

returns as (
    select all_returns.*
    from all_returns
    inner join context_starts
        on context_starts.ticker = all_returns.ticker
    where context_starts.context_from is null
        or all_returns.session_date >= context_starts.context_from
),
{% else %}
with returns as (
    select * from {{ ref('int_daily_returns') }}
),
{% endif %}

-- For each session, how many sessions back each anchor lies: the last session on or before the
-- same date 1, 3 and 12 months earlier (month ends clamp) and on or before Dec 31 of the prior
-- year, and the first session of its calendar year. 7k rows; a missing anchor (before the
-- calendar) becomes a distance past any ticker's first row, i.e. no close.
session_anchors as (
    select
        calendar.session_index,
        coalesce(calendar.session_index - month_1.session_index, {{ no_anchor }})
                                                                    as sessions_to_1m_anchor,
        coalesce(calendar.session_index - month_3.session_index, {{ no_anchor }})
                                                                    as sessions_to_3m_anchor,
        coalesce(calendar.session_index - year_1.session_index, {{ no_anchor }})
                                                                    as sessions_to_1y_anchor,
        coalesce(calendar.session_index - prior_year_end.session_index, {{ no_anchor }})
                                                                    as sessions_to_prior_year_end,
        calendar.session_index - min(calendar.session_index) over (
            partition by calendar.calendar_year
        )                                                           as sessions_since_year_start
    {%- set calendar_from = ref('int_trading_calendar') ~ ' as calendar' %}
    from {{ calendar_from }}
    {%- for alias, anchor in [
        ('month_1', months_before('calendar.session_date', 1)),
        ('month_3', months_before('calendar.session_date', 3)),
        ('year_1', one_year_before('calendar.session_date')),
        ('prior_year_end', 'make_date(calendar.calendar_year - 1, 12, 31)'),
    ] %}
    {{ asof_join('left', calendar_from, anchor, ref('int_trading_calendar'), 'session_date', '<=',
                 right_alias=alias) }}
    {%- endfor %}
),

fetch_names as (
    select fetch_id, {{ hash_key('fetch_id') }} as fetch_key
    from {{ ref('stg_prices__fetches') }}
),

adjusted as (
    select
        returns.ticker,
        returns.session_date,
        returns.session_index,
        returns.has_bar,
        returns.close_price,
        returns.adj_close_price,
        returns.daily_return,
        returns.running_high_adj_close,
        {{ hash_key('returns.fetch_id') }}                          as fetch_key,
        session_anchors.sessions_to_1m_anchor,
        session_anchors.sessions_to_3m_anchor,
        session_anchors.sessions_to_1y_anchor,
        session_anchors.sessions_to_prior_year_end,
        session_anchors.sessions_since_year_start,
        returns.high_price * returns.adj_close_price / nullif(returns.close_price, 0)
                                                                    as adj_high_price,
        returns.low_price * returns.adj_close_price / nullif(returns.close_price, 0)
                                                                    as adj_low_price
    from returns
    inner join session_anchors
        on session_anchors.session_index = returns.session_index
),

windowed as (
    select
        ticker,
        session_date,
        has_bar,
        close_price,
        adj_close_price,
        daily_return,
        fetch_key,
        adj_high_price,
        running_high_adj_close                                            as running_high,
        lag(adj_close_price, 5) over by_session                          as adj_close_5_sessions_ago,
        -- the frames are spelled out: Spark cannot add a frame to a named window
        {{ min_since_group_start('adj_close_price', 'ticker', 'session_index',
                                 'year(session_date)', 'sessions_since_year_start') }}
                                                                          as ytd_low,
        {{ min_since_group_start('adj_low_price', 'ticker', 'session_index',
                                 'year(session_date)', 'sessions_since_year_start') }}
                                                                          as ytd_low_intraday,
        count(daily_return) over (
            partition by ticker order by session_index
            rows between {{ vol_n - 1 }} preceding and current row
        )                                                                 as returns_in_window,
        stddev_samp(daily_return) over (
            partition by ticker order by session_index
            rows between {{ vol_n - 1 }} preceding and current row
        )                                                                 as return_sd_window,
        {%- for distance, name in [
            ('sessions_to_1m_anchor', 'adj_close_1m_ago'),
            ('sessions_to_3m_anchor', 'adj_close_3m_ago'),
            ('sessions_to_1y_anchor', 'adj_close_1y_ago'),
            ('sessions_to_prior_year_end', 'adj_close_prior_year_end'),
        ] %}
        {{ last_value_rows_back('adj_close_price', 'ticker', 'session_index', distance, 'adjusted') }}
                                                                          as {{ name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from adjusted
    window by_session as (partition by ticker order by session_index)
),

priced as (
    select * from windowed
    where has_bar and adj_close_price is not null
),

{% if is_incremental() %}
-- Only rows from changed_from on are written.
anchored as (
    select priced.*
    from priced
    inner join changed
        on changed.ticker = priced.ticker
    where priced.session_date >= changed.changed_from
),
{% else %}
anchored as (
    select * from priced
),
{% endif %}

final as (
    select
        ticker,
        session_date,
        close_price,
        adj_close_price,
        daily_return                                              as return_1d,
        adj_close_price / adj_close_5_sessions_ago - 1           as return_1w,
        adj_close_price / adj_close_1m_ago - 1                   as return_1m,
        adj_close_price / adj_close_3m_ago - 1                   as return_3m,
        adj_close_price / adj_close_prior_year_end - 1           as return_ytd,
        adj_close_price / adj_close_1y_ago - 1                   as return_1y,
        running_high                                              as running_high_adj_close,
        adj_close_price / running_high - 1                       as drawdown,
        ytd_low                                                   as ytd_low_adj_close,
        adj_close_price / ytd_low - 1                            as gain_from_ytd_low,
        adj_high_price / ytd_low_intraday - 1                    as gain_from_ytd_low_intraday,
        case when returns_in_window = {{ vol_n }}
            then return_sd_window * sqrt({{ var('trading_days_per_year') }})
        end                                                       as volatility_annualized,
        fetch_names.fetch_id,
        {{ built_at() }}                                          as built_at
    from anchored
    left join fetch_names
        on fetch_names.fetch_key = anchored.fetch_key
)

-- Not sorted: no model reads it back by date (fct_performance_summary takes a ticker's
-- since_inception drawdown from int_ticker_yearly_return_stats); sorting 25M rows would cost more
-- than it ever saves.
select * from final
