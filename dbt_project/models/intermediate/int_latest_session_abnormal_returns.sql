{{ config(tags=['spark']) }}
-- One row per ticker with a bar on the latest stored session L (the last session the benchmark
-- has a bar on): its market-model abnormal return on L and the standardised one, the model fitted
-- over the same estimation window as the event study, sessions
-- [L + var estimation_window_start, L + var estimation_window_end] (default -250 to -11), on the
-- sessions where both returns exist, by the event study's own macro market_model_fit: OLS, or the
-- thin-trading beta var('market_model_beta') selects (macro thin_trading_betas, the benchmark's
-- lagged and led returns by session). SAR = AR / residual_sd, residual_sd = sqrt(SSR / (M - 2)).
-- A ticker with fewer than var('min_estimation_obs') estimation returns, or a degenerate fit, has
-- null AR and SAR and says why in exclusion_reason (an alert needs a SAR). The benchmark itself is
-- left out: its abnormal return against itself is zero by construction.
{%- set beta_method = market_model_beta_method() %}
{%- set lags = [var('dimson_lags') | int, 1] | max %}
-- The benchmark's rows are read first, then each ticker's returns only on the estimation window's
-- sessions and on L: both reads of int_daily_returns join a few hundred sessions on equality, so
-- that DuckDB pushes their range into the scan and the zone maps of the table (stored in session
-- order) skip the older row groups; reading all history through one shared CTE cost most of the
-- model at 5,000 tickers x 20 years (docs/BENCHMARKS.md).
with benchmark as (
    select session_date, session_index, daily_return as benchmark_return
    from {{ ref('int_daily_returns') }}
    where ticker = '{{ var("benchmark_ticker") }}'
),

latest as (
    select max(session_date) as session_date, max(session_index) as session_index
    from benchmark
    where benchmark_return is not null
),

estimation_sessions as (
    select benchmark.session_index, benchmark.benchmark_return
    from benchmark
    cross join latest
    where benchmark.session_index
        between latest.session_index + {{ var('estimation_window_start') }}
        and latest.session_index + {{ var('estimation_window_end') }}
),

tickers as (
    select ticker, group_name from {{ ref('int_ticker_groups') }}
    where ticker <> '{{ var("benchmark_ticker") }}'
),

estimation as (
    select
        returns.ticker,
        returns.daily_return as stock_return,
        estimation_sessions.benchmark_return
        {%- for k in range(-lags, lags + 1) if k != 0 %},
        offset_{{ loop.index }}.benchmark_return as {{ benchmark_offset_column(k) }}
        {%- endfor %}
    from {{ ref('int_daily_returns') }} as returns
    inner join estimation_sessions
        on estimation_sessions.session_index = returns.session_index
    {%- for k in range(-lags, lags + 1) if k != 0 %}
    left join benchmark as offset_{{ loop.index }}
        on offset_{{ loop.index }}.session_index = returns.session_index + ({{ k }})
    {%- endfor %}
    where returns.ticker <> '{{ var("benchmark_ticker") }}'
),

{%- if beta_method != 'ols' %}
thin_trading as {{ thin_trading_betas('estimation', ['ticker'], var('dimson_lags') | int) }},

selected_betas as (
    select ticker, alpha_{{ beta_method }} as alpha, beta_{{ beta_method }} as beta
    from thin_trading
),
{%- endif %}

fits as {{ market_model_fit('estimation', ['ticker'],
                            coefficients=('selected_betas' if beta_method != 'ols' else none)) }},

day_zero as (
    select
        tickers.ticker,
        tickers.group_name,
        latest.session_date,
        returns.daily_return                                               as stock_return,
        benchmark.benchmark_return,
        coalesce(fits.estimation_obs, 0)                                   as estimation_obs,
        fits.alpha,
        fits.beta,
        fits.residual_sd
    from tickers
    cross join latest
    inner join {{ ref('int_daily_returns') }} as returns
        on returns.ticker = tickers.ticker
        and returns.session_index = latest.session_index
    inner join benchmark
        on benchmark.session_index = latest.session_index
    left join fits
        on fits.ticker = tickers.ticker
),

reasoned as (
    select
        *,
        case
            when stock_return is null
                then 'no return on the latest session (a bar is missing)'
            when estimation_obs < {{ var('min_estimation_obs') }}
                then estimation_obs || ' estimation returns, minimum '
                    || {{ var('min_estimation_obs') }}
            when beta is null
                then 'market model could not be fitted (constant benchmark return)'
            when residual_sd is null or residual_sd = 0
                then 'zero residual variance'
        end                                                                as exclusion_reason
    from day_zero
),

final as (
    select
        ticker,
        group_name,
        session_date,
        stock_return,
        benchmark_return,
        estimation_obs,
        alpha,
        beta,
        residual_sd,
        case when exclusion_reason is null
            then stock_return - (alpha + beta * benchmark_return)
        end                                                                as abnormal_return,
        case when exclusion_reason is null
            then (stock_return - (alpha + beta * benchmark_return)) / residual_sd
        end                                                                as standardized_abnormal_return,
        exclusion_reason
    from reasoned
)

select * from final
