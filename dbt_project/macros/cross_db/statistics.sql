{#- Statistics and query hints that DuckDB and Spark SQL spell differently (the rest of the
    dispatch macros are in portable.sql; the same convention: `default__` is the DuckDB SQL the
    models always had, `spark__` the Spark SQL 4.0 equivalent). -#}

{#- `as materialized (`: DuckDB evaluates the CTE once even when several CTEs read it (what a
    window's values compared by value later rely on); Spark has no such hint, and evaluates a
    deterministic CTE the same way each time it is read. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#- `as not materialized (`: DuckDB inlines the CTE into each query that reads it, so that each
    read gets its own filters pushed into the scan, where a CTE read several times is otherwise
    materialized whole first (a copy of a 25M-row view, fct_performance_summary). Spark inlines
    CTEs anyway. -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}
    not materialized
{%- endmacro %}

{% macro spark__inlined_cte() -%}
{%- endmacro %}

{#- The bias-adjusted sample skewness G1 = g1 sqrt(n (n - 1)) / (n - 2), null below 3 values or
    without dispersion. DuckDB's skewness is G1; Spark's is the population g1 = m3 / m2^1.5. -#}
{% macro sample_skewness(expression) -%}
    {{ return(adapter.dispatch('sample_skewness')(expression)) }}
{%- endmacro %}

{% macro default__sample_skewness(expression) -%}
    skewness({{ expression }})
{%- endmacro %}

{% macro spark__sample_skewness(expression) -%}
    case when count({{ expression }}) >= 3 then
        skewness({{ expression }}) * sqrt(count({{ expression }}) * (count({{ expression }}) - 1))
            / (count({{ expression }}) - 2)
    end
{%- endmacro %}

{#- The bias-adjusted sample excess kurtosis G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2) (n - 3)),
    null below 4 values or without dispersion. DuckDB's kurtosis is G2; Spark's is the population
    excess kurtosis g2 = m4 / m2^2 - 3. -#}
{% macro sample_excess_kurtosis(expression) -%}
    {{ return(adapter.dispatch('sample_excess_kurtosis')(expression)) }}
{%- endmacro %}

{% macro default__sample_excess_kurtosis(expression) -%}
    kurtosis({{ expression }})
{%- endmacro %}

{% macro spark__sample_excess_kurtosis(expression) -%}
    case when count({{ expression }}) >= 4 then
        ((count({{ expression }}) + 1) * kurtosis({{ expression }}) + 6)
            * (count({{ expression }}) - 1)
            / ((count({{ expression }}) - 2) * (count({{ expression }}) - 3))
    end
{%- endmacro %}

{#- The same two estimators from a sample's count n and its central moments M2, M3, M4 (sums of
    (x - mean)^k), for figures put together from parts (fct_performance_summary's since_inception,
    from int_ticker_yearly_return_stats): G1 = sqrt(n (n - 1)) / (n - 2) (M3 / n) / (M2 / n)^1.5,
    G2 = (n - 1) / ((n - 2) (n - 3)) ((n + 1) (n M4 / M2^2 - 3) + 6); null below 3 (4) values or
    without dispersion, as above. -#}
{% macro skewness_from_moments(n, m2, m3) -%}
    case when {{ n }} >= 3 and {{ m2 }} > 0 then
        sqrt(cast({{ n }} as double) * ({{ n }} - 1)) / ({{ n }} - 2)
            * ({{ m3 }} / {{ n }}) / power({{ m2 }} / {{ n }}, 1.5)
    end
{%- endmacro %}

{% macro excess_kurtosis_from_moments(n, m2, m4) -%}
    case when {{ n }} >= 4 and {{ m2 }} > 0 then
        cast({{ n }} - 1 as double) / (({{ n }} - 2) * ({{ n }} - 3))
            * (({{ n }} + 1) * ({{ n }} * {{ m4 }} / ({{ m2 }} * {{ m2 }}) - 3) + 6)
    end
{%- endmacro %}

{#- The k-th smallest non-null value of `expression` in the group (k = `k_sql`, 1-based, an
    expression of the group's aggregates; past the count, the largest), for k up to `k_max`; a
    larger k gives the group's largest value, which callers must accept as an upper bound.
    DuckDB keeps the k_max smallest values per group (min(x, n), a heap) instead of sorting the
    group; Spark sorts the group's values. -#}
{% macro nth_smallest(expression, k_sql, k_max) -%}
    {{ return(adapter.dispatch('nth_smallest')(expression, k_sql, k_max)) }}
{%- endmacro %}

{% macro default__nth_smallest(expression, k_sql, k_max) -%}
    case when count({{ expression }}) = 0 then null
        when {{ k_sql }} <= {{ k_max }}
        then list_extract(min({{ expression }}, {{ k_max }}),
                          cast(least({{ k_sql }}, count({{ expression }})) as bigint))
        else max({{ expression }})
    end
{%- endmacro %}

{% macro spark__nth_smallest(expression, k_sql, k_max) -%}
    case when count({{ expression }}) = 0 then null
        when {{ k_sql }} <= {{ k_max }}
        then element_at(array_sort(collect_list(cast({{ expression }} as double))),
                        cast(least({{ k_sql }}, count({{ expression }})) as int))
        else max({{ expression }})
    end
{%- endmacro %}
