{#- Small-sample p-values as SQL expressions: Student t with any degrees of freedom (whole or
    fractional, as Welch's), the exact binomial sign test and the Wilcoxon signed-rank test.
    DuckDB has none of these distributions, and a Python UDF would not exist in the dbt runs the
    pipeline makes, so each is evaluated with DuckDB's list lambdas. tests/test_exact_p_values.py
    renders these macros and checks them against scipy to a relative 1e-9 (t over t in [0, 60]
    and df 1..500 whole, and fractional df from 1 to 20000).
    On Spark (the spark target) the Student t p-value is the same continued fraction through
    Spark's aggregate() and lgamma as a Lanczos series (spark__ macros at the end of this file;
    adapter.dispatch picks them in dbt, plain Jinja gets DuckDB's), as are the binomial and
    Wilcoxon p-values (exact coefficients and counts by aggregate() over arrays).

    Pass simple columns: each expression repeats its arguments. Null (or NaN, or df < 1) in,
    null out. -#}

{#- Two-sided p-value of a Student t statistic, P(|T_df| >= |t|), for any real df >= 1: the
    regularized incomplete beta I_x(df/2, 1/2) at x = df / (df + t^2) (Abramowitz and Stegun
    26.7.1 with 26.5.27), from the macro regularized_incomplete_beta. 1 - x is passed as
    t^2 / (df + t^2), not computed as 1 - x, which would round to 0 for tiny t. The one macro
    for every t test of the project: the event-study tests (whole df) and the sentiment Welch
    test (fractional df). -#}
{% macro student_t_two_sided_p_value(t, df) -%}
    {%- set t = '(' ~ t ~ ')' -%}
    {%- set df = '(cast(' ~ df ~ ' as double))' -%}
    (case
        when {{ t }} is null or isnan({{ t }}) or {{ df }} is null or {{ df }} < 1 then null
        when {{ _is_infinite(t) }} then 0.0
        when {{ t }} = 0 then 1.0
        else {{ regularized_incomplete_beta(
            '(' ~ df ~ ' / 2.0)', '0.5',
            '(' ~ df ~ ' / (' ~ df ~ ' + ' ~ t ~ ' * ' ~ t ~ '))',
            '(' ~ t ~ ' * ' ~ t ~ ' / (' ~ df ~ ' + ' ~ t ~ ' * ' ~ t ~ '))') }}
    end)
{%- endmacro %}

{#- The regularized incomplete beta function I_x(a, b), 0 < x < 1, with `one_minus_x` = 1 - x
    computed by the caller without cancellation.

    I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 1 / (1 + d_1 / (1 + d_2 / (1 + ...))) with
      d_2m+1 = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)),  d_2m = m (b - m) x / ((a + 2m - 1)(a + 2m))
    (Abramowitz and Stegun 26.5.8), evaluated from the tail up to a fixed depth of 120 terms
    (macro incomplete_beta_depth): t = 1, then t = 1 + d_k / t for k = 120 down to 1, and the
    fraction is 1 / t. SQL cannot stop a fold early, so the depth is fixed; from the tail up, the
    fold carries one double where the forward modified Lentz method (Press et al., Numerical
    Recipes, betacf) carries three, and it is 5x faster in DuckDB (40,000 p-values: 1.4 s against
    7.5 s for Lentz over 200 terms). The fraction converges in O(sqrt(max(a, b))) terms: over
    400,000 random (t, df) with df up to 20000, the 120-term value equals the 600-term one
    exactly and 80 terms are within 1e-12. It converges fast for x < (a + 1) / (a + b + 2);
    above, the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) is used. The prefactor comes from lgamma,
    so a and b may be large without overflow. -#}
{% macro regularized_incomplete_beta(a, b, x, one_minus_x) -%}
    (case when {{ x }} < ({{ a }} + 1.0) / ({{ a }} + {{ b }} + 2.0)
        then {{ _incomplete_beta_prefactor(a, b, x, one_minus_x) }}
            * {{ _incomplete_beta_fraction(a, b, x) }} / {{ a }}
        else 1.0 - {{ _incomplete_beta_prefactor(a, b, x, one_minus_x) }}
            * {{ _incomplete_beta_fraction(b, a, one_minus_x) }} / {{ b }}
    end)
{%- endmacro %}

{#- x^a (1 - x)^b / B(a, b) -#}
{% macro _incomplete_beta_prefactor(a, b, x, one_minus_x) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('incomplete_beta_prefactor')(a, b, x, one_minus_x)) }}
    {%- else -%}
        {{ default__incomplete_beta_prefactor(a, b, x, one_minus_x) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__incomplete_beta_prefactor(a, b, x, one_minus_x) -%}
    exp(lgamma({{ a }} + {{ b }}) - lgamma({{ a }}) - lgamma({{ b }})
        + {{ a }} * ln({{ x }}) + {{ b }} * ln({{ one_minus_x }}))
{%- endmacro %}

{#- The continued fraction 1 / (1 + d_1 / (1 + d_2 / ...)) to depth incomplete_beta_depth(),
    from the tail up. d_k = x q_k, where q_k depends on a and b only: the list of q_k is built
    first, and the fold multiplies by x, so x's expression is evaluated once per step. -#}
{% macro incomplete_beta_depth() -%}120{%- endmacro %}

{% macro _incomplete_beta_fraction(a, b, x) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('incomplete_beta_fraction')(a, b, x)) }}
    {%- else -%}
        {{ default__incomplete_beta_fraction(a, b, x) }}
    {%- endif -%}
{%- endmacro %}

{#- d_k of the continued fraction for step k (an SQL integer k), with `div` the engine's integer
    division (DuckDB //, Spark div); with x = 1.0 it is q_k = d_k / x, which is how both versions
    call it. They differ only in how they fold the steps. -#}
{% macro _incomplete_beta_term(a, b, x, div) -%}
    {%- set m_even = '(k ' ~ div ~ ' 2)' -%}
    {%- set m_odd = '((k - 1) ' ~ div ~ ' 2)' -%}
        (case when k % 2 = 0
            then {{ m_even }} * ({{ b }} - {{ m_even }}) * {{ x }}
                / (({{ a }} + 2 * {{ m_even }} - 1) * ({{ a }} + 2 * {{ m_even }}))
            else -({{ a }} + {{ m_odd }}) * ({{ a }} + {{ b }} + {{ m_odd }}) * {{ x }}
                / (({{ a }} + 2 * {{ m_odd }}) * ({{ a }} + 2 * {{ m_odd }} + 1))
        end)
{%- endmacro %}

{% macro default__incomplete_beta_fraction(a, b, x) -%}
    {%- set q = _incomplete_beta_term(a, b, '1.0', '//') -%}
    (1.0 / list_reduce(list_transform(range({{ incomplete_beta_depth() }}, 0, -1), lambda k: {{ q }}),
        lambda tail, q_k: 1.0 + {{ x }} * q_k / tail, 1.0::double))
{%- endmacro %}

{#- Two-sided exact binomial p-value of k successes in n trials with success probability 1/2:
    min(1, 2 * P(X <= min(k, n - k))), the sum of the probabilities of every outcome no more
    likely than k (scipy.stats.binomtest's default for p = 1/2, where the distribution is
    symmetric). Up to n = 50 the binomial coefficients are integers below 2^53, recovered exactly
    by rounding exp(lgamma(...)), and scaled by 2^-n: the p-value is exact to the last bit. Above
    that each term C(n, i) / 2^n comes from lgamma (relative error about 1e-13). -#}
{% macro binomial_two_sided_p_value(k, n) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('binomial_two_sided_p_value')(k, n)) }}
    {%- else -%}
        {{ default__binomial_two_sided_p_value(k, n) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__binomial_two_sided_p_value(k, n) -%}
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
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('wilcoxon_two_sided_p_value')(w_plus, n, tie_sum)) }}
    {%- else -%}
        {{ default__wilcoxon_two_sided_p_value(w_plus, n, tie_sum) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__wilcoxon_two_sided_p_value(w_plus, n, tie_sum) -%}
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

{#- Spark SQL 4.0 versions of the Student t p-value's parts (the dbt spark target). -#}

{#- isinf(x): Spark has none; an infinite double equals the Infinity literal. -#}
{% macro _is_infinite(x) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('is_infinite')(x)) }}
    {%- else -%}
        {{ default__is_infinite(x) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__is_infinite(x) -%}
    isinf({{ x }})
{%- endmacro %}

{% macro spark__is_infinite(x) -%}
    (abs({{ x }}) = cast('Infinity' as double))
{%- endmacro %}

{#- ln Gamma(x) for x >= 1/2, which Spark lacks: the Lanczos series with g = 7 and 9 terms
    (Press et al., Numerical Recipes, gammln's form; the coefficients of Godfrey's g = 7, n = 9
    set), ln Gamma(x) = ln sqrt(2 pi) + (x - 1/2) ln(x + 6.5) - (x + 6.5) + ln A(x), A(x) =
    c_0 + sum_{i=1..8} c_i / (x + i - 1). Absolute error below 3e-13 up to x = 250 and 2e-11 at
    x = 10^4 against the C library's lgamma, which DuckDB calls: a relative 1e-10 at most on the
    p-values (the arguments here are df / 2, 1/2 and their sum). Literals are doubles (suffix D):
    Spark reads a plain decimal literal as DECIMAL. -#}
{% macro spark_log_gamma(x) -%}
    {%- set x = '(' ~ x ~ ')' -%}
    {%- set c = ['676.5203681218851D', '-1259.1392167224028D', '771.32342877765313D',
                 '-176.61502916214059D', '12.507343278686905D', '-0.13857109526572012D',
                 '9.9843695780195716E-6D', '1.5056327351493116E-7D'] -%}
    (0.9189385332046727D + ({{ x }} - 0.5D) * ln({{ x }} + 6.5D) - ({{ x }} + 6.5D)
        + ln(0.99999999999980993D
            {%- for ci in c %} + {{ ci }} / ({{ x }} + {{ loop.index0 }}.0D){% endfor %}))
{%- endmacro %}

{% macro spark__incomplete_beta_prefactor(a, b, x, one_minus_x) -%}
    exp({{ spark_log_gamma(a ~ ' + ' ~ b) }} - {{ spark_log_gamma(a) }} - {{ spark_log_gamma(b) }}
        + {{ a }} * ln({{ x }}) + {{ b }} * ln({{ one_minus_x }}))
{%- endmacro %}

{#- DuckDB's fold is Spark's aggregate() over the same k in the same order with the same
    operations, so the same doubles. -#}
{% macro spark__incomplete_beta_fraction(a, b, x) -%}
    {%- set q = _incomplete_beta_term(a, b, '1.0', 'div') -%}
    (1.0D / aggregate(sequence({{ incomplete_beta_depth() }}, 1, -1), cast(1.0 as double),
        (tail, k) -> cast(1.0D + {{ x }} * {{ q }} / tail as double)))
{%- endmacro %}

{#- Spark SQL 4.0 versions of the sign test's and the Wilcoxon test's exact p-values. -#}

{#- Up to n = 50 the binomial coefficients by the recurrence C(n, i) = C(n, i - 1) (n - i + 1) / i
    in doubles: every product stays an integer below 2^53, so each coefficient is exact and the
    p-value is the exact one correctly rounded (DuckDB's rounded exp(lgamma(...)) is one off for a
    few coefficients, e.g. C(49, 20), so the two can differ by about 1e-14 relative). Above, the
    terms from the Lanczos lgamma (spark_log_gamma). -#}
{% macro spark__binomial_two_sided_p_value(k, n) -%}
    {%- set k = '(' ~ k ~ ')' -%}
    {%- set n = '(' ~ n ~ ')' -%}
    {%- set m = 'least(' ~ k ~ ', ' ~ n ~ ' - ' ~ k ~ ')' -%}
    (case
        when {{ k }} is null or {{ n }} is null or {{ n }} < 1 or {{ k }} < 0 or {{ k }} > {{ n }}
            then null
        when 2 * {{ k }} = {{ n }} then 1.0D
        when {{ n }} <= 50 then least(1.0D, 2.0D * pow(2.0D, -{{ n }}) * (case
            when {{ m }} = 0 then 1.0D
            else aggregate(sequence(1, {{ m }}),
                named_struct('c', 1.0D, 's', 1.0D),
                (acc, i) -> named_struct(
                    'c', acc.c * ({{ n }} - i + 1) / i,
                    's', acc.s + acc.c * ({{ n }} - i + 1) / i),
                acc -> acc.s)
            end))
        else least(1.0D, 2.0D * aggregate(sequence(0, {{ m }}), 0.0D,
            (acc, i) -> acc + exp({{ spark_log_gamma(n ~ ' + 1.0D') }} - {{ spark_log_gamma('i + 1.0D') }}
                                  - {{ spark_log_gamma(n ~ ' - i + 1.0D') }} - {{ n }} * ln(2.0D))))
    end)
{%- endmacro %}

{#- The exact null distribution's counts by aggregate() over arrays (0-based, an index past the
    end is null with ANSI mode off), DuckDB's list_slice (1-based, both ends included) as slice
    (start, length); integer sums, so the same p-values. -#}
{% macro spark__wilcoxon_two_sided_p_value(w_plus, n, tie_sum) -%}
    {%- set w = '(' ~ w_plus ~ ')' -%}
    {%- set n = '(' ~ n ~ ')' -%}
    {%- set ts = '(' ~ tie_sum ~ ')' -%}
    {%- set counts = 'aggregate(sequence(1, cast(' ~ n ~ ' as int)), array(cast(1 as bigint)),
            (acc, e) -> transform(sequence(0, size(acc) + e - 1),
                i -> coalesce(acc[i], cast(0 as bigint))
                    + case when i >= e then acc[i - e] else cast(0 as bigint) end))' -%}
    {%- set upper_start = 'cast(floor(' ~ w ~ ') as int) + 1' -%}
    (case
        when {{ w }} is null or {{ n }} is null or {{ n }} < 1 then null
        when {{ n }} <= 50 then least(1.0D, 2.0D * least(
            aggregate(slice({{ counts }}, {{ upper_start }},
                            cast({{ n }} * ({{ n }} + 1) div 2 + 1 as int) - ({{ upper_start }}) + 1),
                      cast(0 as bigint), (total, x) -> total + x),
            aggregate(slice({{ counts }}, 1, cast(ceil({{ w }}) as int) + 1),
                      cast(0 as bigint), (total, x) -> total + x))
            / pow(2.0D, {{ n }}))
        else {{ two_sided_normal_p_value(
            '((' ~ w ~ ' - ' ~ n ~ ' * (' ~ n ~ ' + 1) / 4.0) / sqrt((' ~ n ~ ' * (' ~ n ~ ' + 1.0) * (2 * '
            ~ n ~ ' + 1) - ' ~ ts ~ ' / 2.0) / 24.0))') }}
    end)
{%- endmacro %}
