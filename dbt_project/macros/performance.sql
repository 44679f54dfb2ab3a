{#- The daily risk-free rate of the performance statistics: the annual var risk_free_rate (the
    setting ADRPULSE_RISK_FREE_RATE) compounded down to one of var trading_days_per_year sessions,
    (1 + rf)^(1/A) - 1, as quantstats and empyrical convert an annual rate. -#}
{% macro rf_daily() -%}
    (power(1 + {{ var('risk_free_rate') }}::double, 1.0 / {{ var('trading_days_per_year') }}) - 1)
{%- endmacro %}

{#- The names of var performance_baskets as the list of an `in (...)`: quoted and comma-separated,
    or a null when there are none (so that `in` selects nothing). -#}
{% macro performance_basket_names() -%}
    {%- set baskets = var('performance_baskets') -%}
    {%- if baskets -%}
        {%- for basket in baskets %}'{{ basket }}'{{ ", " if not loop.last }}{% endfor -%}
    {%- else -%}
        cast(null as {{ text_type() }})
    {%- endif -%}
{%- endmacro %}

{#- One row per basket of var performance_baskets: the group's comparison basket for the
    information ratio, which is the other basket of the pair (for the basket itself and for every
    ticker of its group). fct_performance_summary and int_ticker_yearly_return_stats join on it. -#}
{% macro comparison_baskets() -%}
    {%- set baskets = var('performance_baskets') -%}
    {%- for basket in baskets %}
    select '{{ basket }}' as group_name, '{{ baskets[1 - loop.index0] }}' as comparison_basket
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The benchmark's (var benchmark_ticker) and the comparison basket's rows of `series` (rows
    shaped like int_performance_returns) on the session of `row_alias`, as `benchmark` and
    `comparison`: the returns beta, alpha and the information ratio pair a return with.
    fct_performance_summary and int_ticker_yearly_return_stats pair the same way. -#}
{% macro benchmark_and_comparison_joins(series, row_alias, comparison_basket) -%}
    left join {{ series }} as benchmark
        on benchmark.subject_kind = 'ticker'
        and benchmark.subject = '{{ var("benchmark_ticker") }}'
        and benchmark.session_index = {{ row_alias }}.session_index
    left join {{ series }} as comparison
        on comparison.subject_kind = 'basket'
        and comparison.subject = {{ comparison_basket }}
        and comparison.session_index = {{ row_alias }}.session_index
{%- endmacro %}
