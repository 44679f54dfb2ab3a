{{ config(tags=['spark']) }}
-- One row per event-ticker pair: the factor model var('expected_return_model') selects (ff3:
-- Mkt-RF, SMB, HML; ff5: also RMW and CMA; setting ADRPULSE_EXPECTED_RETURN_MODEL) fitted by OLS
-- over the estimation window (macro factor_model_fit):
--     r - rf = alpha + sum_k beta_k * f_k + e
-- on the sessions of int_estimation_windows that are not excluded as near another catalogued
-- event, where the ticker's return and every factor of the session's date exist
-- (stg_factors__daily, the imported factor file). With market_model (the default) no factor model
-- is fitted and the model is empty. A pair with fewer than var('min_estimation_obs') such sessions
-- is kept, not included, with the reason. Hong Kong lines (dual listings' home lines) are not
-- fitted: the factor file holds US factors. factor_mean_<factor> and cholesky_<i>_<j> (the lower
-- Cholesky factor of the factors' centered cross-product matrix over the fit's sessions) carry
-- the estimation error of the fit into the abnormal returns' variance (int_factor_abnormal_returns,
-- int_event_car).
{%- set factors = factor_model_columns() %}
{%- set model = factor_model_name() %}
with fit_rows as (
    select
        windows.event_id,
        windows.ticker,
        {#- constant_mean: no factor and no risk-free rate, the raw return's mean #}
        windows.stock_return - {{ 'factors.rf' if factors else '0.0' }} as excess_return
        {%- for f in factors %},
        factors.{{ f }}
        {%- endfor %}
    from {{ ref('int_estimation_windows') }} as windows
    {%- if factors %}
    inner join {{ ref('stg_factors__daily') }} as factors
        on factors.factor_date = windows.session_date
    {%- endif %}
    where not windows.is_excluded
        {%- if factors %}
        and {{ exchange_of('windows.ticker') }} = 'XNYS'
        {%- endif %}
        and windows.stock_return is not null
        {%- for f in factors %}
        and factors.{{ f }} is not null
        {%- endfor %}
        and '{{ model }}' <> 'market_model'
),

pairs as (
    select distinct event_id, ticker
    from {{ ref('int_estimation_windows') }}
    where '{{ model }}' <> 'market_model'
),

fit as {{ factor_model_fit('fit_rows', ['event_id', 'ticker'], factors) }}

select
    pairs.event_id,
    pairs.ticker,
    '{{ model }}'                                   as factor_model,
    coalesce(fit.factor_model_obs, 0)               as factor_model_obs,
    fit.alpha,
    {#- every factor's column whatever the model, null for those it leaves out #}
    {%- for f in ['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] %}
    {{ 'fit.beta_' ~ f if f in factors else 'null::double' }} as beta_{{ f }},
    {%- endfor %}
    fit.residual_sd,
    {#- the estimation means of the factors and the Cholesky factor L of their centered
        cross-product matrix S, for the prediction-error term of the abnormal returns' variance
        (macro cholesky_squared_norm); factors numbered in the model's order, null beyond K #}
    {%- for f in ['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] %}
    {{ 'fit.factor_mean_' ~ f if f in factors else 'null::double' }} as factor_mean_{{ f }},
    {%- endfor %}
    {%- for i in range(1, 6) %}{% for j in range(1, i + 1) %}
    {{ 'fit.cholesky_' ~ i ~ '_' ~ j if i <= factors | length else 'null::double' }} as cholesky_{{ i }}_{{ j }},
    {%- endfor %}{% endfor %}
    coalesce(coalesce(fit.factor_model_obs, 0) >= {{ var('min_estimation_obs') }}
        and fit.residual_sd > 0, false)             as is_included,
    case
        {%- if factors %}
        -- The imported factors are US factors (the Fama-French file); a Hong Kong line is not
        -- priced by them, so it has no factor fit and, under ff3/ff5, no abnormal return.
        when {{ exchange_of('pairs.ticker') }} <> 'XNYS'
            then 'a Hong Kong line: the imported factors price US stocks only (use '
                 || 'expected_return_model market_model for the home lines)'
        when coalesce(fit.factor_model_obs, 0) < {{ var('min_estimation_obs') }}
            then coalesce(fit.factor_model_obs, 0) || ' estimation sessions with the return and '
                 || 'every factor, minimum {{ var("min_estimation_obs") }} (import factors '
                 || 'covering the estimation window)'
        {%- else %}
        when coalesce(fit.factor_model_obs, 0) < {{ var('min_estimation_obs') }}
            then coalesce(fit.factor_model_obs, 0) || ' estimation sessions with a return, '
                 || 'minimum {{ var("min_estimation_obs") }}'
        {%- endif %}
        when fit.residual_sd is null or fit.residual_sd = 0
            then 'factor model could not be fitted (collinear factors or zero residual variance)'
    end                                             as exclusion_reason
from pairs
left join fit
    on fit.event_id = pairs.event_id
    and fit.ticker = pairs.ticker
