{#- The daily risk-free rate of the performance statistics: the annual var risk_free_rate (the
    setting ADRPULSE_RISK_FREE_RATE) compounded down to one of var trading_days_per_year sessions,
    (1 + rf)^(1/A) - 1, as quantstats and empyrical convert an annual rate. -#}
{% macro rf_daily() -%}
    (power(1 + {{ var('risk_free_rate') }}::double, 1.0 / {{ var('trading_days_per_year') }}) - 1)
{%- endmacro %}
