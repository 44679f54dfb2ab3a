{{ config(tags=['spark']) }}
-- One row per event, ticker and relative session day in the event window, under the factor model
-- var('expected_return_model') selects (int_factor_model_fit; empty with market_model):
--     expected excess return = alpha + sum_k beta_k * f_k
--     abnormal return        = r - rf - expected excess return
-- null when the pair's fit is not included or the session's date has no factors.
-- prediction_error_term = (x_t - mean x)' S^-1 (x_t - mean x), x_t the day's factor vector, mean x
-- and S (centered cross-product matrix) over the pair's estimation sessions, solved through the
-- fit's Cholesky factor (macro cholesky_squared_norm): the day's AR has variance
-- s^2 (1 + 1/M + prediction_error_term), the market model's s^2 (1 + 1/M + (r_m,t - mean r_m)^2
-- / Sxx) with the factors in place of r_m (fct_event_study_daily standardises by it). The day's
-- factors are published beside it (int_event_car sums them over a window for the CAR variance).
{%- set factors = factor_model_columns() %}
{%- set k = factors | length %}
with windows as (
    select event_id, ticker, relative_day, session_date, stock_return
    from {{ ref('int_event_windows') }}
    where window_part = 'event'
),

fit as (
    select * from {{ ref('int_factor_model_fit') }}
),

factors as (
    select * from {{ ref('stg_factors__daily') }}
),

joined as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.session_date,
        fit.factor_model,
        windows.stock_return,
        {#- constant_mean models the raw return: its rf is 0, so expected return = alpha #}
        {{ 'factors.rf' if factors else '0.0::double' }}        as risk_free_rate,
        {%- for f in ['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] %}
        {{ 'factors.' ~ f if f in factors else 'null::double' }} as {{ f }},
        {%- endfor %}
        {%- if factors %}
        coalesce(factors.rf is not null
            {%- for f in factors %} and factors.{{ f }} is not null{% endfor %}, false)
        {%- else %}
        true
        {%- endif %}                                            as has_factors,
        case when fit.is_included then
            fit.alpha{% for f in factors %} + fit.beta_{{ f }} * factors.{{ f }}{% endfor %}
        end                                                     as expected_excess_return,
        case when fit.is_included then
            windows.stock_return - {{ 'factors.rf' if factors else '0.0' }}
            - (fit.alpha{% for f in factors %} + fit.beta_{{ f }} * factors.{{ f }}{% endfor %})
        end                                                     as abnormal_return,
        fit.is_included
        {%- for f in factors %},
        fit.factor_mean_{{ f }}
        {%- endfor %}
        {%- for i in range(1, k + 1) %}{% for j in range(1, i + 1) %},
        fit.cholesky_{{ i }}_{{ j }}
        {%- endfor %}{% endfor %}
    from windows
    inner join fit
        on fit.event_id = windows.event_id
        and fit.ticker = windows.ticker
    {%- if factors %}
    left join factors
        on factors.factor_date = windows.session_date
    {%- endif %}
),

{%- set deviations = [] %}
{%- for f in factors %}{% do deviations.append(f ~ ' - factor_mean_' ~ f) %}{% endfor %}
solved as {{ cholesky_squared_norm('joined', deviations, 'prediction_error_term') }}

select
    event_id,
    ticker,
    relative_day,
    session_date,
    factor_model,
    stock_return,
    risk_free_rate,
    {%- for f in ['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] %}
    {{ f }},
    {%- endfor %}
    has_factors,
    expected_excess_return,
    abnormal_return,
    case when is_included then prediction_error_term end    as prediction_error_term
from solved
