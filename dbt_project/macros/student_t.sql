{#- Two-sided p-value of a t statistic with `df` degrees of freedom (df may be fractional, as
    Welch's is): 2 * P(T_df > |t|). DuckDB has no t distribution.

    Algorithm: G. W. Hill, "Algorithm 395: Student's t-distribution", CACM 13 (1970), the
    asymptotic normalising transformation it uses for non-integer df:
        y = (df - 0.5) * ln(1 + t^2 / df)
        z = (((((-0.4 y - 3.3) y - 24) y - 85.5) / (0.8 y^2 + 100 + b) + y + 3) / b + 1) * sqrt(y)
    with b = 48 (df - 0.5)^2, then p = 2 * Phi(-z) (macro normal_cdf). Against the exact
    distribution (tests/test_dbt_project.py, a continued-fraction incomplete beta) the absolute
    error is below 5e-4 for df >= 2 and below 3e-5 for df >= 3; below df 2 (two sessions per side
    at most) it grows, to about 3e-3 at df 1.5. Null when t or df is null, or df < 1. -#}
{% macro two_sided_t_p_value(t, df) -%}
    (case
        when {{ t }} is null or {{ df }} is null or isnan({{ t }}) or {{ df }} < 1 then null
        when {{ t }} = 0 then 1.0
        else 2.0 * {{ _normal_left_tail(_hill_z(t, df)) }}
    end)
{%- endmacro %}

{% macro _hill_z(t, df) -%}
    {%- set y = '((' ~ df ~ ' - 0.5) * ln(1.0 + (' ~ t ~ ') * (' ~ t ~ ') / (' ~ df ~ ')))' -%}
    {%- set b = '(48.0 * (' ~ df ~ ' - 0.5) * (' ~ df ~ ' - 0.5))' -%}
    ((((((-0.4 * {{ y }} - 3.3) * {{ y }} - 24.0) * {{ y }} - 85.5)
        / (0.8 * {{ y }} * {{ y }} + 100.0 + {{ b }}) + {{ y }} + 3.0) / {{ b }} + 1.0)
        * sqrt({{ y }}))
{%- endmacro %}
