{{ config(
    materialized='incremental',
    incremental_strategy='replace_ticker_tail',
    unique_key=['ticker', 'session_date'],
    on_schema_change='fail',
    pre_hook="{{ delete_rows_before_first_bar() }}"
) }}
-- One row per ticker and XNYS session between the ticker's first and last bar, including sessions
-- with no bar: a missing bar stays a row with null prices, and both its return and the next
-- session's return are null (never forward-filled into a zero return).
-- Incremental runs (macros/incremental_prices.sql) recompute, for each ticker with bars from a
-- fetch newer than the table's largest fetch_id, every session after its last unchanged bar before
-- the earliest changed one: that bar is the only history a return needs, and starting right after
-- it also recreates the no-bar sessions of a gap that the new bars close.
with bars as (
    select * from {{ ref('stg_prices__daily_bars') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

{% if is_incremental() %}
changed as (
    {{ changed_price_tickers(ref('stg_prices__daily_bars'), this) }}
),

-- prior_bar_date: the last bar before the first change (null: the ticker is rebuilt from its
-- first bar). Rows from it on are read; rows after it are written.
ticker_spans as (
    select
        bars.ticker,
        coalesce(
            max(bars.session_date) filter (where bars.session_date < changed.changed_from),
            min(bars.session_date)
        )                                                              as first_bar_date,
        max(bars.session_date)                                         as last_bar_date,
        max(bars.session_date) filter (where bars.session_date < changed.changed_from)
                                                                       as prior_bar_date
    from bars
    inner join changed
        on changed.ticker = bars.ticker
    group by bars.ticker
),
{% else %}
ticker_spans as (
    select
        ticker,
        min(session_date)    as first_bar_date,
        max(session_date)    as last_bar_date,
        cast(null as date)   as prior_bar_date
    from bars
    group by ticker
),
{% endif %}

ticker_sessions as (
    select
        spans.ticker,
        spans.prior_bar_date,
        calendar.session_date,
        calendar.session_index
    from ticker_spans as spans
    inner join calendar
        on calendar.session_date between spans.first_bar_date and spans.last_bar_date
),

with_bars as (
    select
        ticker_sessions.ticker,
        ticker_sessions.session_date,
        ticker_sessions.session_index,
        ticker_sessions.prior_bar_date,
        bars.ticker is not null                     as has_bar,
        bars.open_price,
        bars.high_price,
        bars.low_price,
        bars.close_price,
        bars.adj_close_price,
        bars.fetch_id,
        lag(bars.adj_close_price) over (
            partition by ticker_sessions.ticker order by ticker_sessions.session_index
        )                                           as previous_adj_close_price
    from ticker_sessions
    left join bars
        on bars.ticker = ticker_sessions.ticker
        and bars.session_date = ticker_sessions.session_date
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
        fetch_id
    from with_bars
    where prior_bar_date is null or session_date > prior_bar_date
)

select * from final
{% if not is_incremental() -%}
-- Stored in session order: incremental runs append new sessions at the end, and their reads
-- bounded by a date (context_lower_bound) then skip the older row groups by their zone maps.
order by session_date, ticker
{%- endif %}
