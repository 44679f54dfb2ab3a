{%- set vol_n = var('volatility_window') -%}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_ticker_tail',
    unique_key=['ticker', 'session_date'],
    on_schema_change='fail',
    pre_hook="{{ delete_rows_before_first_bar() }}"
) }}
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
-- later) and take the running high before changed_from from this table's previous row.
-- The daily run changes every ticker, so a per-ticker join alone would still scan all history:
-- both reads are also bounded by one literal date (context_lower_bound, computed before the
-- query) that DuckDB's zone maps use to skip the older row groups.
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
            where all_returns.session_date <= cast(changed.changed_from - interval 12 month as date)
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

-- The previous row is on or after context_from (or, without one, within the year before
-- changed_from), so it lies above the same lower bound.
previous_highs as (
    select
        previous.ticker,
        arg_max(previous.running_high_adj_close, previous.session_date) as previous_running_high
    from {{ this }} as previous
    inner join changed
        on changed.ticker = previous.ticker
    where previous.session_date >= {{ lower_bound }}
        and previous.session_date < changed.changed_from
    group by previous.ticker
),
{% else %}
with returns as (
    select * from {{ ref('int_daily_returns') }}
),
{% endif %}

adjusted as (
    select
        *,
        high_price * adj_close_price / nullif(close_price, 0) as adj_high_price,
        low_price * adj_close_price / nullif(close_price, 0)  as adj_low_price
    from returns
),

windowed as (
    select
        ticker,
        session_date,
        session_index,
        has_bar,
        close_price,
        adj_close_price,
        daily_return,
        fetch_id,
        lag(adj_close_price, 5) over by_session                          as adj_close_5_sessions_ago,
        max(adj_close_price) over to_date                                as running_high,
        min(adj_close_price) over year_to_date                           as ytd_low,
        min(adj_low_price) over year_to_date                             as ytd_low_intraday,
        adj_high_price,
        count(daily_return) over last_n                                  as returns_in_window,
        stddev_samp(daily_return) over last_n                            as return_sd_window
    from adjusted
    window
        by_session as (partition by ticker order by session_index),
        to_date as (partition by ticker order by session_index
                    rows between unbounded preceding and current row),
        year_to_date as (partition by ticker, year(session_date) order by session_index
                         rows between unbounded preceding and current row),
        last_n as (partition by ticker order by session_index
                   rows between {{ vol_n - 1 }} preceding and current row)
),

priced as (
    select ticker, session_date, adj_close_price
    from returns
    where adj_close_price is not null
),

with_targets as (
    select
        *,
        cast(session_date - interval 1 month as date)   as date_1m_ago,
        cast(session_date - interval 3 month as date)   as date_3m_ago,
        cast(session_date - interval 12 month as date)  as date_1y_ago,
        make_date(year(session_date) - 1, 12, 31)       as prior_year_end
    from windowed
    where has_bar and adj_close_price is not null
),

{% if is_incremental() %}
-- Only rows from changed_from on are written; the running high joins the one before it.
rewritten as (
    select
        with_targets.* replace (
            greatest(with_targets.running_high, previous_highs.previous_running_high) as running_high
        )
    from with_targets
    inner join changed
        on changed.ticker = with_targets.ticker
    left join previous_highs
        on previous_highs.ticker = with_targets.ticker
    where with_targets.session_date >= changed.changed_from
),
{% else %}
rewritten as (
    select * from with_targets
),
{% endif %}

anchored as (
    select
        t.*,
        m1.adj_close_price as adj_close_1m_ago,
        m3.adj_close_price as adj_close_3m_ago,
        y1.adj_close_price as adj_close_1y_ago,
        ye.adj_close_price as adj_close_prior_year_end
    from rewritten as t
    asof left join priced as m1 on m1.ticker = t.ticker and m1.session_date <= t.date_1m_ago
    asof left join priced as m3 on m3.ticker = t.ticker and m3.session_date <= t.date_3m_ago
    asof left join priced as y1 on y1.ticker = t.ticker and y1.session_date <= t.date_1y_ago
    asof left join priced as ye on ye.ticker = t.ticker and ye.session_date <= t.prior_year_end
),

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
        fetch_id
    from anchored
)

select * from final
{% if not is_incremental() -%}
-- Stored in session order: incremental runs append new sessions at the end, and their reads
-- bounded by a date (context_lower_bound) then skip the older row groups by their zone maps.
order by session_date, ticker
{%- endif %}
