{#- Small-sample p-values as SQL expressions: Student t with integer degrees of freedom and the
    exact binomial sign test. DuckDB has neither distribution, and a Python UDF would not exist
    in the dbt runs the pipeline makes, so both are closed forms evaluated with DuckDB's list
    lambdas. tests/test_exact_p_values.py renders these macros and checks them against scipy to a
    relative 1e-9 over t in [0, 60] and df 1..500.

    Pass simple columns: each expression repeats its arguments. Null (or NaN, or df < 1) in,
    null out. -#}

{#- Two-sided p-value of a Student t statistic, P(|T_df| >= |t|), df a positive integer.

    With x = df / (df + t^2) (cos^2 of theta = atan(|t| / sqrt(df))), the two-sided p-value is the
    regularized incomplete beta I_x(df/2, 1/2), which for integer df is a finite sum
    (Abramowitz and Stegun 26.7.3 and 26.7.4):
      even df = 2n:   p = 1 - sin(theta) * sum_{k=0}^{n-1} c_k x^k,        c_k = (2k-1)!! / (2k)!!
      odd df = 2m+1:  p = 1 - (2/pi) * (theta + sin(theta) cos(theta) * sum_{k=0}^{m-1} d_k x^k),
                                                                           d_k = (2k)!! / (2k+1)!!
    The infinite sums equal 1 / sin(theta) and (pi/2 - theta) / (sin(theta) cos(theta)), so the
    p-value is also the tail of the same series, with no subtraction:
      even: p = sin(theta) * sum_{k>=n} c_k x^k;  odd: p = (2/pi) sin(theta) cos(theta) sum_{k>=m} d_k x^k
    The head form is used while it leaves p >= 1e-3 (its absolute error, a few 1e-16, is then a
    relative error below 1e-12); a smaller p comes from the tail, summed by Horner's rule until
    x^K < exp(-40), with its leading coefficient from lgamma. Both sums run over positive terms. -#}
{% macro student_t_two_sided_p_value(t, df) -%}
    {%- set t = '(' ~ t ~ ')' -%}
    {%- set df = '(' ~ df ~ ')' -%}
    (case
        when {{ t }} is null or isnan({{ t }}) or {{ df }} is null or {{ df }} < 1 then null
        when isinf({{ t }}) then 0.0
        when {{ _student_t_head_p(t, df) }} >= 1e-3 then {{ _student_t_head_p(t, df) }}
        else {{ _student_t_tail_p(t, df) }}
    end)
{%- endmacro %}

{#- cos^2(theta) = df / (df + t^2) -#}
{% macro _student_t_x(t, df) -%}
    (cast({{ df }} as double) / ({{ df }} + {{ t }} * {{ t }}))
{%- endmacro %}

{#- sin(theta) = |t| / sqrt(df + t^2), cos(theta) = sqrt(df / (df + t^2)) -#}
{% macro _student_t_sin(t, df) -%}
    (abs({{ t }}) / sqrt({{ df }} + {{ t }} * {{ t }}))
{%- endmacro %}
{% macro _student_t_cos(t, df) -%}
    sqrt({{ _student_t_x(t, df) }})
{%- endmacro %}

{#- 1 - P(|T| < |t|) from the finite head sums (Horner's rule, innermost term first). -#}
{% macro _student_t_head_p(t, df) -%}
    {%- set x = _student_t_x(t, df) -%}
    (case when {{ df }} % 2 = 0 then
        1.0 - {{ _student_t_sin(t, df) }} * list_reduce(
            list_transform(range({{ df }} // 2 - 1, 0, -1),
                lambda k: cast(2 * k - 1 as double) / (2 * k) * {{ x }}),
            lambda acc, e: 1.0 + e * acc, 1.0::double)
    else
        1.0 - (2.0 / pi()) * (
            atan(abs({{ t }}) / sqrt({{ df }}))
            + {{ _student_t_sin(t, df) }} * {{ _student_t_cos(t, df) }}
                * (case when {{ df }} = 1 then 0.0 else list_reduce(
                    list_transform(range(({{ df }} - 1) // 2 - 1, 0, -1),
                        lambda k: cast(2 * k as double) / (2 * k + 1) * {{ x }}),
                    lambda acc, e: 1.0 + e * acc, 1.0::double) end))
    end)
{%- endmacro %}

{#- The same p-value as the tail of the series, for small p. -#}
{% macro _student_t_tail_p(t, df) -%}
    {%- set x = _student_t_x(t, df) -%}
    {%- set terms = 'cast(ceil(40.0 / -ln(' ~ x ~ ')) as bigint)' -%}
    (case when {{ df }} % 2 = 0 then
        /* n = df / 2; leading term c_n x^n, c_n = Gamma(n + 1/2) / (Gamma(1/2) Gamma(n + 1)) */
        {{ _student_t_sin(t, df) }}
        * exp(lgamma({{ df }} // 2 + 0.5) - lgamma({{ df }} // 2 + 1.0) - lgamma(0.5)
              + ({{ df }} // 2) * ln({{ x }}))
        * list_reduce(
            list_transform(range({{ df }} // 2 + {{ terms }}, {{ df }} // 2, -1),
                lambda k: cast(2 * k - 1 as double) / (2 * k) * {{ x }}),
            lambda acc, e: 1.0 + e * acc, 1.0::double)
    else
        /* m = (df - 1) / 2; leading term d_m x^m, d_m = Gamma(m + 1) Gamma(3/2) / Gamma(m + 3/2) */
        (2.0 / pi()) * {{ _student_t_sin(t, df) }} * {{ _student_t_cos(t, df) }}
        * exp(lgamma(({{ df }} - 1) // 2 + 1.0) + lgamma(1.5) - lgamma(({{ df }} - 1) // 2 + 1.5)
              + (({{ df }} - 1) // 2) * ln({{ x }}))
        * list_reduce(
            list_transform(range(({{ df }} - 1) // 2 + {{ terms }}, ({{ df }} - 1) // 2, -1),
                lambda k: cast(2 * k as double) / (2 * k + 1) * {{ x }}),
            lambda acc, e: 1.0 + e * acc, 1.0::double)
    end)
{%- endmacro %}

{#- Two-sided exact binomial p-value of k successes in n trials with success probability 1/2:
    min(1, 2 * P(X <= min(k, n - k))), the sum of the probabilities of every outcome no more
    likely than k (scipy.stats.binomtest's default for p = 1/2, where the distribution is
    symmetric). Up to n = 50 the binomial coefficients are integers below 2^53, recovered exactly
    by rounding exp(lgamma(...)), and scaled by 2^-n: the p-value is exact to the last bit. Above
    that each term C(n, i) / 2^n comes from lgamma (relative error about 1e-13). -#}
{% macro binomial_two_sided_p_value(k, n) -%}
    {%- set k = '(' ~ k ~ ')' -%}
    {%- set n = '(' ~ n ~ ')' -%}
    (case
        when {{ k }} is null or {{ n }} is null or {{ n }} < 1 or {{ k }} < 0 or {{ k }} > {{ n }}
            then null
        when 2 * {{ k }} = {{ n }} then 1.0
        when {{ n }} <= 50 then least(1.0, 2.0 * pow(2.0, -{{ n }}) * list_sum(list_transform(
            range(0, least({{ k }}, {{ n }} - {{ k }}) + 1),
            lambda i: round(exp(lgamma({{ n }} + 1.0) - lgamma(i + 1.0)
                                - lgamma({{ n }} - i + 1.0))))))
        else least(1.0, 2.0 * list_sum(list_transform(
            range(0, least({{ k }}, {{ n }} - {{ k }}) + 1),
            lambda i: exp(lgamma({{ n }} + 1.0) - lgamma(i + 1.0) - lgamma({{ n }} - i + 1.0)
                          - {{ n }} * ln(2.0)))))
    end)
{%- endmacro %}

{#- Two-sided p-value of the Wilcoxon signed-rank statistic W+ (sum of the ranks of |x| over the
    positive x; zeros dropped, ties given average ranks) for n non-zero values, tie_sum = sum of
    (t^3 - t) over groups of tied |x|.
    n <= 50: the exact null distribution, the number of subsets of {1..n} with each rank sum
    (the coefficients of prod_k (1 + z^k), built by list_reduce; at most 1276 integers, exact in
    bigint), p = min(1, 2 * min(P(W >= floor W+), P(W <= ceil W+))) (scipy.stats.wilcoxon's exact
    method, which rounds a tied, non-integral W+ the conservative way).
    n > 50: the normal approximation z = (W+ - n(n+1)/4) / sqrt((n(n+1)(2n+1) - tie_sum/2) / 24)
    without continuity correction (scipy's asymptotic method). -#}
{% macro wilcoxon_two_sided_p_value(w_plus, n, tie_sum) -%}
    {%- set w = '(' ~ w_plus ~ ')' -%}
    {%- set n = '(' ~ n ~ ')' -%}
    {%- set ts = '(' ~ tie_sum ~ ')' -%}
    {%- set counts = 'list_reduce(list_transform(range(1, ' ~ n ~ ' + 1), lambda k: [k]),
            lambda acc, e: list_transform(range(0, len(acc) + e[1]),
                lambda i: coalesce(acc[i + 1], 0)
                    + case when i >= e[1] then acc[i - e[1] + 1] else 0 end),
            [1]::bigint[])' -%}
    (case
        when {{ w }} is null or {{ n }} is null or {{ n }} < 1 then null
        when {{ n }} <= 50 then least(1.0, 2.0 * least(
            list_sum(list_slice({{ counts }}, cast(floor({{ w }}) as bigint) + 1,
                                {{ n }} * ({{ n }} + 1) // 2 + 1)),
            list_sum(list_slice({{ counts }}, 1, cast(ceil({{ w }}) as bigint) + 1)))
            / pow(2.0, {{ n }}))
        else {{ two_sided_normal_p_value(
            '((' ~ w ~ ' - ' ~ n ~ ' * (' ~ n ~ ' + 1) / 4.0) / sqrt((' ~ n ~ ' * (' ~ n ~ ' + 1.0) * (2 * '
            ~ n ~ ' + 1) - ' ~ ts ~ ' / 2.0) / 24.0))') }}
    end)
{%- endmacro %}
