-- One row per event, ticker and relative session day in the event window, under the factor model
-- var('expected_return_model') selects (int_factor_model_fit; empty with market_model):
--     expected excess return = alpha + sum_k beta_k * f_k
--     abnormal return        = r - rf - expected excess return
-- null when the pair's fit is not included or the session's date has no factors.
{%- set factors = factor_model_columns() %}
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
)

select
    windows.event_id,
    windows.ticker,
    windows.relative_day,
    windows.session_date,
    fit.factor_model,
    windows.stock_return,
    factors.rf                                              as risk_free_rate,
    case when fit.is_included then
        fit.alpha{% for f in factors %} + fit.beta_{{ f }} * factors.{{ f }}{% endfor %}
    end                                                     as expected_excess_return,
    case when fit.is_included then
        windows.stock_return - factors.rf
        - (fit.alpha{% for f in factors %} + fit.beta_{{ f }} * factors.{{ f }}{% endfor %})
    end                                                     as abnormal_return
from windows
inner join fit
    on fit.event_id = windows.event_id
    and fit.ticker = windows.ticker
left join factors
    on factors.factor_date = windows.session_date
