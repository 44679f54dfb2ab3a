{#- Standard normal CDF Phi(x) as a SQL expression. DuckDB has no erf or normal CDF.

    Algorithm: Hart (1968) rational approximation in the form published by G. West, "Better
    approximations to cumulative normal functions" (2005), from W. J. Cody's work: double-precision
    accuracy (absolute error below 1e-14 across the real line; far inside the 1e-7 we need for
    p-values). For |x| < 7.07 a ratio of two polynomials in |x| times exp(-x^2/2); beyond that a
    continued fraction; beyond 37 the tail is 0 in double precision. The left tail is computed
    directly (no 1 - Phi cancellation), so small p-values keep their relative accuracy.
    Null in, null out. Pass a simple column: the expression repeats it. -#}
{% macro normal_cdf(x) -%}
    (case
        when {{ x }} is null then null
        when abs({{ x }}) > 37 then (case when {{ x }} > 0 then 1.0 else 0.0 end)
        else (
            case when {{ x }} > 0 then 1.0 - {{ _normal_left_tail(x) }} else {{ _normal_left_tail(x) }} end
        )
    end)
{%- endmacro %}

{#- Phi(-|x|) for |x| <= 37. -#}
{% macro _normal_left_tail(x) -%}
    {%- set a = 'abs(' ~ x ~ ')' -%}
    (case
        when {{ a }} < 7.07106781186547 then
            exp(-{{ a }} * {{ a }} / 2.0)
            * ((((((0.0352624965998911 * {{ a }} + 0.700383064443688) * {{ a }}
                + 6.37396220353165) * {{ a }} + 33.912866078383) * {{ a }}
                + 112.079291497871) * {{ a }} + 221.213596169931) * {{ a }}
                + 220.206867912376)
            / (((((((0.0883883476483184 * {{ a }} + 1.75566716318264) * {{ a }}
                + 16.064177579207) * {{ a }} + 86.7807322029461) * {{ a }}
                + 296.564248779674) * {{ a }} + 637.333633378831) * {{ a }}
                + 793.826512519948) * {{ a }} + 440.413735824752)
        else
            exp(-{{ a }} * {{ a }} / 2.0)
            / ({{ a }} + 1.0 / ({{ a }} + 2.0 / ({{ a }} + 3.0 / ({{ a }} + 4.0 / ({{ a }} + 0.65)))))
            / 2.506628274631
    end)
{%- endmacro %}

{#- Two-sided p-value of a statistic under the standard normal: 2 * Phi(-|z|). -#}
{% macro two_sided_normal_p_value(z) -%}
    (case when {{ z }} is null or isnan({{ z }}) then null
          else 2.0 * {{ _normal_left_tail(z) }} end)
{%- endmacro %}
