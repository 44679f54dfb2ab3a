{{ config(tags=['spark']) }}
-- One row per event-ticker pair: the market model fitted over the estimation window, by OLS or
-- with the thin-trading beta var('market_model_beta') selects (beta_method; int_estimation_betas
-- reports the three side by side).
-- r_m is the benchmark of the pair's exchange: var benchmark_ticker (SPY) for the US listings,
-- var hk_benchmark_ticker (ADRPULSE_HK_BENCHMARK, 2800.HK) for the Hong Kong lines (XHKG), whose
-- stored bars int_home_line_daily_returns holds.
-- r_i = alpha + beta * r_m + e on the sessions where both returns exist and that are not
-- excluded as near another catalogued event of the ticker (int_estimation_windows.is_excluded;
-- estimation_sessions_excluded counts them); residual_sd is
-- sqrt(SSR / (M - 2)) with M = estimation_obs. benchmark_estimation_mean and _sxx are the mean of r_m
-- and sum of (r_m - mean)^2 over those M sessions, for the CAR variance of int_event_car. A pair with fewer than var('min_estimation_obs')
-- observations (or a degenerate fit) is kept, flagged not included, with the reason, which says
-- exactly what is missing (the first that applies):
--   'ticker is the benchmark'
--   'no prices for this ticker' / 'no prices for the benchmark SPY': nothing stored at all
--   'event after the last stored session': the estimation window is not stored yet
--   'no prices for this ticker in the estimation window (its bars run from D1 to D2)', and the
--     same for the benchmark: the window lies outside the stored bars, or inside a gap
--   'N of M estimation returns, minimum M0': M = sessions of the window, N = those with both
--     returns (a return needs the session's bar and the one before, for the ticker and the
--     benchmark) that are not excluded; ' (K sessions near other events excluded)' follows M
--     when K > 0
--   'market model could not be fitted (constant benchmark return)', 'zero residual variance'
{%- set window_length = var('estimation_window_end') - var('estimation_window_start') + 1 %}
{%- set beta_method = market_model_beta_method() %}
with events as (
    select event_id, ticker, {{ exchange_of('ticker') }} as exchange from {{ ref('int_events') }}
),

estimation_rows as (
    select event_id, ticker, relative_day, session_date, has_bar, stock_return,
           benchmark_has_bar, benchmark_return, is_excluded
    from {{ ref('int_estimation_windows') }}
),

-- The rows the model is fitted on.
fit_rows as (
    select * from estimation_rows
    where not is_excluded
),

home_line_tickers as (
    select
        ticker,
        true                                  as has_prices,
        min(session_date)                     as first_bar_date,
        max(session_date)                     as last_bar_date
    from {{ ref('int_home_line_daily_returns') }}
    group by ticker
),

tickers as (
    select ticker, has_prices, first_bar_date, last_bar_date
    from {{ ref('int_ticker_groups') }}
    union all
    select * from home_line_tickers
),

-- One row per exchange, also when its benchmark has no prices at all.
benchmark as (
    select
        'XNYS'                                as exchange,
        '{{ var("benchmark_ticker") }}'       as benchmark_ticker,
        coalesce(bool_or(has_prices), false)  as has_prices,
        min(first_bar_date)                   as first_bar_date,
        max(last_bar_date)                    as last_bar_date
    from tickers
    where ticker = '{{ var("benchmark_ticker") }}'
    union all
    select
        'XHKG'                                as exchange,
        '{{ var("hk_benchmark_ticker") }}'    as benchmark_ticker,
        coalesce(bool_or(has_prices), false)  as has_prices,
        min(first_bar_date)                   as first_bar_date,
        max(last_bar_date)                    as last_bar_date
    from home_line_tickers
    where ticker = '{{ var("hk_benchmark_ticker") }}'
),

-- What the stored rows of each pair's estimation window hold. Rows exist for every session up to
-- the last stored one, whatever the ticker's bars, so a window whose last relative day has no row
-- ends after the last stored session.
coverage as (
    select
        event_id,
        ticker,
        max(relative_day)                     as last_stored_relative_day,
        count(*) filter (where has_bar)       as ticker_bars,
        count(*) filter (where benchmark_has_bar) as benchmark_bars,
        count(*)                              as estimation_sessions,
        count(*) filter (where is_excluded)   as estimation_sessions_excluded,
        min(session_date)                     as estimation_start_date,
        max(session_date)                     as estimation_end_date
    from estimation_rows
    group by event_id, ticker
),

-- The market model (macro market_model_fit, shared with the alerts): OLS, or the intercept and
-- slope of the thin-trading beta var('market_model_beta') selects (int_estimation_betas), with
-- the residuals taken around that line.
{%- if beta_method != 'ols' %}
selected_betas as (
    select event_id, ticker, alpha_{{ beta_method }} as alpha, beta_{{ beta_method }} as beta
    from {{ ref('int_estimation_betas') }}
),
{%- endif %}

fits as {{ market_model_fit('fit_rows', ['event_id', 'ticker'],
                            coefficients=('selected_betas' if beta_method != 'ols' else none)) }},

combined as (
    select
        events.event_id,
        events.ticker,
        benchmark.benchmark_ticker,
        coalesce(tickers.has_prices, false)                   as has_prices,
        tickers.first_bar_date,
        tickers.last_bar_date,
        '{{ beta_method }}'                                   as beta_method,
        benchmark.has_prices                                  as benchmark_has_prices,
        benchmark.first_bar_date                              as benchmark_first_bar_date,
        benchmark.last_bar_date                               as benchmark_last_bar_date,
        coverage.last_stored_relative_day,
        coalesce(coverage.ticker_bars, 0)                     as ticker_bars,
        coalesce(coverage.benchmark_bars, 0)                  as benchmark_bars,
        coverage.estimation_start_date,
        coverage.estimation_end_date,
        coalesce(coverage.estimation_sessions, 0)             as estimation_sessions,
        coalesce(coverage.estimation_sessions_excluded, 0)    as estimation_sessions_excluded,
        coalesce(fits.estimation_obs, 0)                      as estimation_obs,
        fits.alpha,
        fits.beta,
        fits.benchmark_estimation_mean,
        fits.benchmark_estimation_sxx,
        fits.sum_squared_residuals,
        fits.residual_sd
    from events
    left join fits
        on fits.event_id = events.event_id
        and fits.ticker = events.ticker
    left join tickers
        on tickers.ticker = events.ticker
    left join coverage
        on coverage.event_id = events.event_id
        and coverage.ticker = events.ticker
    inner join benchmark
        on benchmark.exchange = events.exchange
),

final as (
    select
        event_id,
        ticker,
        benchmark_ticker,
        has_prices,
        estimation_start_date,
        estimation_end_date,
        estimation_sessions,
        estimation_sessions_excluded,
        estimation_obs,
        beta_method,
        alpha,
        beta,
        benchmark_estimation_mean,
        benchmark_estimation_sxx,
        sum_squared_residuals,
        residual_sd,
        case
            when ticker = benchmark_ticker
                then 'ticker is the benchmark'
            when not has_prices
                then 'no prices for this ticker'
            when not benchmark_has_prices
                then 'no prices for the benchmark ' || benchmark_ticker
            when coalesce(last_stored_relative_day < {{ var('estimation_window_end') }}, true)
                then 'event after the last stored session'
            when ticker_bars = 0
                then 'no prices for this ticker in the estimation window (its bars run from '
                    || cast(first_bar_date as {{ text_type() }}) || ' to '
                    || cast(last_bar_date as {{ text_type() }}) || ')'
            when benchmark_bars = 0
                then 'no prices for the benchmark ' || benchmark_ticker
                    || ' in the estimation window (its bars run from '
                    || cast(benchmark_first_bar_date as {{ text_type() }}) || ' to '
                    || cast(benchmark_last_bar_date as {{ text_type() }}) || ')'
            when estimation_obs < {{ var('min_estimation_obs') }}
                then estimation_obs || ' of {{ window_length }} estimation returns'
                    || case when estimation_sessions_excluded > 0
                        then ' (' || estimation_sessions_excluded
                            || ' sessions near other events excluded)'
                        else '' end
                    || ', minimum ' || {{ var('min_estimation_obs') }}
            when beta is null
                then 'market model could not be fitted (constant benchmark return)'
            when residual_sd is null or residual_sd = 0
                then 'zero residual variance'
        end                                                   as exclusion_reason
    from combined
)

select
    *,
    exclusion_reason is null as is_included
from final
