{{ config(tags=['spark']) }}
-- One row per event-ticker pair: the market model's beta estimated three ways over the same
-- estimation sessions (int_estimation_windows, the sessions near other catalogued events left out
-- when that is on), side by side:
--   beta_ols               OLS of r_t on r_m,t (macro market_model_fit)
--   beta_scholes_williams  Scholes and Williams (1977), one lag and one lead
--   beta_dimson            Dimson (1979), var('dimson_lags') lags and leads (setting
--                          ADRPULSE_DIMSON_LAGS, default 1)
-- with the intercept each implies (macro thin_trading_betas gives the formulas and samples).
-- beta_method names the one var('market_model_beta') selects (setting ADRPULSE_MARKET_MODEL_BETA:
-- ols, scholes_williams or dimson); int_estimation_stats fits the market model with it.
-- The benchmark's lagged and led returns are its returns k sessions from the row's session, read
-- from int_daily_returns whatever the ticker's own window holds (a lead of the last estimation
-- day is the benchmark's return on the first day after it). A Hong Kong line's (exchange XHKG)
-- are the Hong Kong benchmark's (var hk_benchmark_ticker), k XHKG sessions away, from
-- int_home_line_daily_returns.
{%- set lags = var('dimson_lags') | int %}
{%- if lags < 1 %}
    {{ exceptions.raise_compiler_error("dimson_lags (ADRPULSE_DIMSON_LAGS) must be at least 1, not " ~ lags) }}
{%- endif %}
{%- set beta_method = market_model_beta_method() %}
with windows as (
    select event_id, ticker, session_date, stock_return, benchmark_return
    from {{ ref('int_estimation_windows') }}
    where not is_excluded
),

calendar as (
    select exchange, session_date, session_index from {{ ref('int_exchange_calendars') }}
),

benchmark as (
    select 'XNYS' as exchange, session_index, daily_return
    from {{ ref('int_daily_returns') }}
    where ticker = '{{ var("benchmark_ticker") }}'
    union all
    select 'XHKG' as exchange, session_index, daily_return
    from {{ ref('int_home_line_daily_returns') }}
    where ticker = '{{ var("hk_benchmark_ticker") }}'
),

estimation_rows as (
    select
        windows.event_id,
        windows.ticker,
        windows.stock_return,
        windows.benchmark_return
        {%- for k in range(-lags, lags + 1) if k != 0 %},
        offset_{{ loop.index }}.daily_return as {{ benchmark_offset_column(k) }}
        {%- endfor %}
    from windows
    inner join calendar
        on calendar.exchange = {{ exchange_of('windows.ticker') }}
        and calendar.session_date = windows.session_date
    {%- for k in range(-lags, lags + 1) if k != 0 %}
    left join benchmark as offset_{{ loop.index }}
        on offset_{{ loop.index }}.exchange = calendar.exchange
        and offset_{{ loop.index }}.session_index = calendar.session_index + ({{ k }})
    {%- endfor %}
),

ols as {{ market_model_fit('estimation_rows', ['event_id', 'ticker']) }},

thin_trading as {{ thin_trading_betas('estimation_rows', ['event_id', 'ticker'], lags) }}

select
    ols.event_id,
    ols.ticker,
    ols.estimation_obs,
    ols.ols_alpha                       as alpha_ols,
    ols.ols_beta                        as beta_ols,
    thin_trading.scholes_williams_obs,
    thin_trading.benchmark_autocorrelation,
    thin_trading.alpha_scholes_williams,
    thin_trading.beta_scholes_williams,
    {{ lags }}                          as dimson_lags,
    thin_trading.dimson_obs,
    thin_trading.alpha_dimson,
    thin_trading.beta_dimson,
    '{{ beta_method }}'                 as beta_method
from ols
inner join thin_trading
    on thin_trading.event_id = ols.event_id
    and thin_trading.ticker = ols.ticker
