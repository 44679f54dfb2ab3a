{#- The market model, fitted in one place for every model that needs it (int_estimation_stats for
    the event study, int_latest_session_abnormal_returns for the alerts), so that a change of
    convention reaches both.

    market_model_fit(rows, keys, coefficients=none) is a subquery with one row per `keys` group
    of `rows` (a relation or CTE with the key columns, stock_return and benchmark_return; the
    caller filters the rows to the estimation window):
      estimation_obs             M, the rows where both returns exist (regr_count)
      alpha, beta                OLS intercept and slope (regr_intercept, regr_slope); null below
                                 2 observations or for a constant benchmark (DuckDB gives NaN)
      ols_alpha, ols_beta        the OLS pair itself, also when `coefficients` replaces it
      benchmark_estimation_mean  mean r_m over the M rows (regr_avgx)
      benchmark_estimation_sxx   sum of (r_m - mean r_m)^2 over the M rows (regr_sxx)
      sum_squared_residuals      sum of (r - alpha - beta r_m)^2 over the M rows
      residual_sd                sqrt(SSR / (M - 2)), null for M <= 2
    `coefficients`, when given, is a relation with the keys, alpha and beta (a thin-trading
    estimate, macro thin_trading_betas): the residuals are taken around that line instead, still
    with M - 2 degrees of freedom. -#}
{% macro market_model_fit(rows, keys, coefficients=none) -%}
    {%- set key_list = keys | join(', ') -%}
    (
        with _moments as (
            select
                {{ key_list }},
                regr_count(stock_return, benchmark_return)            as estimation_obs,
                case when regr_count(stock_return, benchmark_return) >= 2
                    then nullif(regr_intercept(stock_return, benchmark_return), {{ nan_double() }})
                end                                                   as ols_alpha,
                case when regr_count(stock_return, benchmark_return) >= 2
                    then nullif(regr_slope(stock_return, benchmark_return), {{ nan_double() }})
                end                                                   as ols_beta,
                regr_avgx(stock_return, benchmark_return)             as benchmark_estimation_mean,
                regr_sxx(stock_return, benchmark_return)              as benchmark_estimation_sxx
            from {{ rows }}
            group by {{ key_list }}
        ),

        _fit as (
            select
                _moments.*,
            {%- if coefficients %}
                case when _moments.ols_beta is not null then _coefficients.alpha end as alpha,
                case when _moments.ols_beta is not null then _coefficients.beta end  as beta
            from _moments
            left join {{ coefficients }} as _coefficients
                using ({{ key_list }})
            {%- else %}
                ols_alpha as alpha,
                ols_beta  as beta
            from _moments
            {%- endif %}
        ),

        _residuals as (
            select
                {% for key in keys %}_fit.{{ key }}, {% endfor %}
                sum(power(_rows.stock_return
                          - (_fit.alpha + _fit.beta * _rows.benchmark_return), 2))
                                                                      as sum_squared_residuals
            from _fit
            inner join {{ rows }} as _rows
                on {% for key in keys %}_rows.{{ key }} = _fit.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
            where _fit.beta is not null
                and _rows.stock_return is not null
                and _rows.benchmark_return is not null
            group by {% for key in keys %}_fit.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        )

        select
            _fit.*,
            _residuals.sum_squared_residuals,
            case when _fit.estimation_obs > 2
                then sqrt(_residuals.sum_squared_residuals / (_fit.estimation_obs - 2))
            end                                                       as residual_sd
        from _fit
        left join _residuals
            using ({{ key_list }})
    )
{%- endmacro %}

{#- The column of `rows` holding the benchmark's return k sessions from the row's session:
    benchmark_return (k = 0), benchmark_return_m1 (k = -1, the session before), benchmark_return_p2
    (k = +2), ... -#}
{% macro benchmark_offset_column(k) -%}
    {%- if k == 0 -%}benchmark_return
    {%- elif k < 0 -%}benchmark_return_m{{ -k }}
    {%- else -%}benchmark_return_p{{ k }}{%- endif -%}
{%- endmacro %}

{#- Betas for thinly or non-synchronously traded stocks, one row per `keys` group of `rows` (the
    key columns, stock_return, and the benchmark's return at offsets -K .. +K named by
    benchmark_offset_column, K = max(1, lags)).

    Scholes and Williams (1977), over the rows where r_t, r_m,t-1, r_m,t and r_m,t+1 all exist
    (scholes_williams_obs):
      beta_scholes_williams  = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m), b_k the OLS slope of r_t on
                               r_m,t+k alone, rho_m = corr(r_m,t, r_m,t-1) (benchmark_autocorrelation)
      alpha_scholes_williams = mean r - beta_scholes_williams * mean r_m
    Dimson (1979) with `lags` lags and leads, over the rows where r_t and every r_m,t+k exist
    (dimson_obs): the multiple OLS regression r_t = a + sum_{k=-lags..lags} b_k r_m,t+k + e;
      beta_dimson  = sum of the b_k
      alpha_dimson = mean r - beta_dimson * mean r_m,t (the intercept of the market model that
                     the aggregated beta implies, as for Scholes-Williams)
    The b_k solve the normal equations in deviations from the means, S b = c with S_ij =
    covar_pop(r_m,t+i, r_m,t+j) and c_i = covar_pop(r_m,t+i, r_t), by Gaussian elimination
    unrolled here into one CTE per pivot (S is symmetric positive definite for non-degenerate
    returns, so no pivoting is needed). Null when a pivot is zero. -#}
{% macro thin_trading_betas(rows, keys, lags) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set offsets = range(-lags, lags + 1) | list -%}
    {%- set n = offsets | length -%}
    (
        with _sw_rows as (
            select * from {{ rows }}
            where stock_return is not null
                and {{ benchmark_offset_column(-1) }} is not null
                and benchmark_return is not null
                and {{ benchmark_offset_column(1) }} is not null
        ),

        _scholes_williams as (
            select
                {{ key_list }},
                count(*)                                                   as scholes_williams_obs,
                corr(benchmark_return, {{ benchmark_offset_column(-1) }}) as benchmark_autocorrelation,
                (regr_slope(stock_return, {{ benchmark_offset_column(-1) }})
                 + regr_slope(stock_return, benchmark_return)
                 + regr_slope(stock_return, {{ benchmark_offset_column(1) }}))
                / nullif(1 + 2 * corr(benchmark_return, {{ benchmark_offset_column(-1) }}), 0)
                                                                           as sw_beta,
                avg(stock_return)                                          as sw_mean_r,
                avg(benchmark_return)                                      as sw_mean_rm
            from _sw_rows
            group by {{ key_list }}
        ),

        _dimson_rows as (
            select * from {{ rows }}
            where stock_return is not null
            {%- for k in offsets %}
                and {{ benchmark_offset_column(k) }} is not null
            {%- endfor %}
        ),

        _dimson_step_0 as (
            select
                {{ key_list }},
                count(*)                 as dimson_obs,
                avg(stock_return)        as dimson_mean_r,
                avg(benchmark_return)    as dimson_mean_rm
            {%- for i in range(n) %}
                , covar_pop({{ benchmark_offset_column(offsets[i]) }}, stock_return) as c_{{ i }}
                {%- for j in range(n) %}
                , covar_pop({{ benchmark_offset_column(offsets[i]) }}, {{ benchmark_offset_column(offsets[j]) }}) as s_{{ i }}_{{ j }}
                {%- endfor %}
            {%- endfor %}
            from _dimson_rows
            group by {{ key_list }}
        ),

        {#- forward elimination: step p removes column p below the diagonal -#}
        {%- for p in range(n - 1) %}
        _dimson_step_{{ p + 1 }} as (
            select
                {{ key_list }}, dimson_obs, dimson_mean_r, dimson_mean_rm
            {%- for i in range(n) %}
                {%- if i <= p %}
                , c_{{ i }}
                {%- for j in range(n) %}, s_{{ i }}_{{ j }}{% endfor %}
                {%- else %}
                , c_{{ i }} - s_{{ i }}_{{ p }} / nullif(s_{{ p }}_{{ p }}, 0) * c_{{ p }} as c_{{ i }}
                {%- for j in range(n) %}
                , s_{{ i }}_{{ j }} - s_{{ i }}_{{ p }} / nullif(s_{{ p }}_{{ p }}, 0) * s_{{ p }}_{{ j }} as s_{{ i }}_{{ j }}
                {%- endfor %}
                {%- endif %}
            {%- endfor %}
            from _dimson_step_{{ p }}
        ),
        {%- endfor %}

        {#- back substitution, last coefficient first -#}
        _dimson_b_{{ n }} as (
            select * from _dimson_step_{{ n - 1 }}
        ),
        {%- for i in range(n - 1, -1, -1) %}
        _dimson_b_{{ i }} as (
            select
                *,
                (c_{{ i }}{% for j in range(i + 1, n) %} - s_{{ i }}_{{ j }} * b_{{ j }}{% endfor %})
                / nullif(s_{{ i }}_{{ i }}, 0) as b_{{ i }}
            from _dimson_b_{{ i + 1 }}
        ),
        {%- endfor %}

        _dimson as (
            select
                {{ key_list }},
                dimson_obs,
                {% for i in range(n) %}b_{{ i }}{{ ' + ' if not loop.last }}{% endfor %} as dimson_beta,
                dimson_mean_r,
                dimson_mean_rm
            from _dimson_b_0
        ),

        _keys as (
            select distinct {{ key_list }} from {{ rows }}
        )

        select
            {% for key in keys %}_keys.{{ key }}, {% endfor %}
            coalesce(_scholes_williams.scholes_williams_obs, 0)     as scholes_williams_obs,
            nullif(_scholes_williams.benchmark_autocorrelation, {{ nan_double() }})
                                                                    as benchmark_autocorrelation,
            nullif(_scholes_williams.sw_beta, {{ nan_double() }})        as beta_scholes_williams,
            nullif(_scholes_williams.sw_mean_r
                - _scholes_williams.sw_beta * _scholes_williams.sw_mean_rm, {{ nan_double() }})
                                                                    as alpha_scholes_williams,
            coalesce(_dimson.dimson_obs, 0)                         as dimson_obs,
            nullif(_dimson.dimson_beta, {{ nan_double() }})              as beta_dimson,
            nullif(_dimson.dimson_mean_r - _dimson.dimson_beta * _dimson.dimson_mean_rm,
                {{ nan_double() }})                                      as alpha_dimson
        from _keys
        left join _scholes_williams
            using ({{ key_list }})
        left join _dimson
            using ({{ key_list }})
    )
{%- endmacro %}

{#- The beta the market model uses, var('market_model_beta') (setting ADRPULSE_MARKET_MODEL_BETA):
    ols, scholes_williams or dimson; anything else stops the build with the accepted values. -#}
{% macro market_model_beta_method() -%}
    {%- set method = var('market_model_beta') | string | lower -%}
    {%- if method not in ('ols', 'scholes_williams', 'dimson') -%}
        {{ exceptions.raise_compiler_error(
            "market_model_beta (ADRPULSE_MARKET_MODEL_BETA) is '" ~ method
            ~ "': use ols, scholes_williams or dimson") }}
    {%- endif -%}
    {{- method -}}
{%- endmacro %}
