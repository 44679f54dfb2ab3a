{#- The factor models of the event study (Fama and French 1993: three factors; 2015: five),
    selected by var('expected_return_model') (setting ADRPULSE_EXPECTED_RETURN_MODEL):
    market_model (no factor model is fitted), ff3 or ff5.

    factor_model_columns() is the list of factor columns of the selected model (ff3's for
    market_model, whose factor models are empty).

    factor_model_fit(rows, keys, factors) is a subquery with one row per `keys` group of `rows`
    (a relation with the keys, excess_return = r - rf, and the factor columns; the caller filters
    it to the estimation window and to rows where all of them exist): the OLS fit of
        excess_return = alpha + sum_k beta_k * f_k + e
      factor_model_obs        M, the rows
      alpha, beta_<factor>    the OLS coefficients, null for M <= K + 1 or collinear factors
      sum_squared_residuals   sum of e^2 over the M rows
      residual_sd             sqrt(SSR / (M - K - 1)), null for M <= K + 1
      factor_mean_<factor>    the factor's mean over the M rows (null for M <= K + 1)
      cholesky_<i>_<j>        entry (i, j), i >= j, of the lower Cholesky factor L of S (factors
                              numbered 1..K in the order of `factors`), for the prediction-error
                              term of the abnormal returns' variance (macro cholesky_squared_norm)
    The slopes solve the normal equations in deviations from the means, S b = s_y, with
    S_ij = sum (f_i - mean f_i)(f_j - mean f_j) and s_y,i = sum (f_i - mean f_i)(y - mean y), by a
    Cholesky factorisation S = L L' written out by Jinja (K <= 5, one CTE per step), then
    alpha = mean y - sum_k b_k mean f_k: the same numbers as any least-squares solver. -#}
{% macro factor_model_columns() -%}
    {%- set model = var('expected_return_model') | string | lower -%}
    {%- if model not in ('market_model', 'constant_mean', 'ff3', 'ff5') -%}
        {{ exceptions.raise_compiler_error(
            "expected_return_model (ADRPULSE_EXPECTED_RETURN_MODEL) is '" ~ model
            ~ "': use market_model, constant_mean, ff3 or ff5") }}
    {%- endif -%}
    {#- constant_mean is the same fit with no factor (K = 0) on the raw return: alpha is the
        estimation window's mean return (MacKinlay 1997's constant-mean-return model). -#}
    {%- if model == 'constant_mean' -%}{{ return([]) }}{%- endif -%}
    {{ return(['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] if model == 'ff5' else ['mkt_rf', 'smb', 'hml']) }}
{%- endmacro %}

{% macro factor_model_name() -%}
    {{- var('expected_return_model') | string | lower -}}
{%- endmacro %}

{% macro factor_model_fit(rows, keys, factors) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set k = factors | length -%}
    {#- (name, expression) of each step, every expression reading earlier names only -#}
    {%- set steps = [] -%}
    {%- for j in range(1, k + 1) -%}
        {%- set ns = namespace(acc='s_' ~ j ~ '_' ~ j) -%}
        {%- for m in range(1, j) %}{% set ns.acc = ns.acc ~ ' - l_' ~ j ~ '_' ~ m ~ ' * l_' ~ j ~ '_' ~ m %}{% endfor -%}
        {%- do steps.append(('l_' ~ j ~ '_' ~ j, 'case when ' ~ ns.acc ~ ' > 0 then sqrt(' ~ ns.acc ~ ') end')) -%}
        {%- for i in range(j + 1, k + 1) -%}
            {%- set ns2 = namespace(acc='s_' ~ i ~ '_' ~ j) -%}
            {%- for m in range(1, j) %}{% set ns2.acc = ns2.acc ~ ' - l_' ~ i ~ '_' ~ m ~ ' * l_' ~ j ~ '_' ~ m %}{% endfor -%}
            {%- do steps.append(('l_' ~ i ~ '_' ~ j, '(' ~ ns2.acc ~ ') / l_' ~ j ~ '_' ~ j)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for i in range(1, k + 1) -%}
        {%- set ns = namespace(acc='s_' ~ i ~ '_y') -%}
        {%- for m in range(1, i) %}{% set ns.acc = ns.acc ~ ' - l_' ~ i ~ '_' ~ m ~ ' * z_' ~ m %}{% endfor -%}
        {%- do steps.append(('z_' ~ i, '(' ~ ns.acc ~ ') / l_' ~ i ~ '_' ~ i)) -%}
    {%- endfor -%}
    {%- for i in range(k, 0, -1) -%}
        {%- set ns = namespace(acc='z_' ~ i) -%}
        {%- for m in range(i + 1, k + 1) %}{% set ns.acc = ns.acc ~ ' - l_' ~ m ~ '_' ~ i ~ ' * b_' ~ m %}{% endfor -%}
        {%- do steps.append(('b_' ~ i, '(' ~ ns.acc ~ ') / l_' ~ i ~ '_' ~ i)) -%}
    {%- endfor -%}
    (
        with _moments as (
            select
                {{ key_list }},
                avg(excess_return)                          as mean_y,
                {%- for i in range(1, k + 1) %}
                avg({{ factors[i - 1] }})                   as mean_{{ i }},
                covar_pop({{ factors[i - 1] }}, excess_return) * count(*) as s_{{ i }}_y,
                {%- for j in range(1, i + 1) %}
                covar_pop({{ factors[i - 1] }}, {{ factors[j - 1] }}) * count(*) as s_{{ i }}_{{ j }},
                {%- endfor %}
                {%- endfor %}
                count(*)                                    as factor_model_obs
            from {{ rows }}
            group by {{ key_list }}
        ),
        _step_0 as (select * from _moments),
        {%- for name, expression in steps %}
        _step_{{ loop.index }} as (select *, {{ expression }} as {{ name }} from _step_{{ loop.index0 }}),
        {%- endfor %}
        _fit as (
            select
                {{ key_list }},
                factor_model_obs,
                case when factor_model_obs > {{ k + 1 }} then
                    mean_y{% for f in factors %} - b_{{ loop.index }} * mean_{{ loop.index }}{% endfor %}
                end                                                   as alpha
                {%- for f in factors %},
                case when factor_model_obs > {{ k + 1 }} then b_{{ loop.index }} end as beta_{{ f }}
                {%- endfor %}
                {%- for f in factors %},
                case when factor_model_obs > {{ k + 1 }} then mean_{{ loop.index }} end
                                                                      as factor_mean_{{ f }}
                {%- endfor %}
                {%- for i in range(1, k + 1) %}{% for j in range(1, i + 1) %},
                case when factor_model_obs > {{ k + 1 }} then l_{{ i }}_{{ j }} end
                                                                      as cholesky_{{ i }}_{{ j }}
                {%- endfor %}{% endfor %}
            from _step_{{ steps | length }}
        ),
        _residuals as (
            select
                {% for key in keys %}_fit.{{ key }}, {% endfor %}
                sum(power(_rows.excess_return - (_fit.alpha
                    {%- for f in factors %} + _fit.beta_{{ f }} * _rows.{{ f }}{% endfor %}), 2))
                                                                      as sum_squared_residuals
            from _fit
            inner join {{ rows }} as _rows
                on {% for key in keys %}_rows.{{ key }} = _fit.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
            where _fit.alpha is not null
            group by {% for key in keys %}_fit.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        )
        select
            _fit.*,
            _residuals.sum_squared_residuals,
            case when _fit.factor_model_obs > {{ k + 1 }}
                then sqrt(_residuals.sum_squared_residuals / (_fit.factor_model_obs - {{ k + 1 }}))
            end                                                       as residual_sd
        from _fit
        left join _residuals
            using ({{ key_list }})
    )
{%- endmacro %}

{#- cholesky_squared_norm(rows, deviations, name): the rows of `rows` (a relation holding the
    Cholesky factor columns cholesky_<i>_<j> of factor_model_fit) with one more column `name` =
    d' S^-1 d, d the vector of the SQL expressions `deviations` (d_1 .. d_K, factors in the fit's
    order) and S = L L' the centered cross-product matrix of the factors over the estimation window.
    d' S^-1 d = ||L^-1 d||^2, with z = L^-1 d by forward substitution,
        z_i = (d_i - sum_{m < i} L_im z_m) / L_ii,
    written out by Jinja like the fit (one CTE per step). This is the prediction-error term of the
    factor model: d = x_t - mean x for one day, d = sum over a window of (x_t - mean x) for a CAR
    (for K = 1, x = r_m: (sum (r_m,t - mean r_m))^2 / Sxx, the market model's term). -#}
{% macro cholesky_squared_norm(rows, deviations, name) -%}
    {{ return(adapter.dispatch('cholesky_squared_norm')(rows, deviations, name)) }}
{%- endmacro %}

{% macro default__cholesky_squared_norm(rows, deviations, name) -%}
    {%- set k = deviations | length -%}
    {%- if k == 0 %}
    {#- no factor (constant_mean): the prediction error is the mean's alone, 1/M per day #}
    (select *, 0.0::double as {{ name }} from {{ rows }})
    {%- else %}
    (
        with _forward_0 as (
            select * from {{ rows }}
        )
        {%- for i in range(1, k + 1) %},
        _forward_{{ i }} as (
            select
                *,
                ({{ deviations[i - 1] }}
                 {%- for m in range(1, i) %} - cholesky_{{ i }}_{{ m }} * _z_{{ m }}{% endfor -%}
                ) / cholesky_{{ i }}_{{ i }}                          as _z_{{ i }}
            from _forward_{{ i - 1 }}
        )
        {%- endfor %}
        select
            * exclude ({% for i in range(1, k + 1) %}_z_{{ i }}{{ ', ' if not loop.last }}{% endfor %}),
            {% for i in range(1, k + 1) %}_z_{{ i }} * _z_{{ i }}{{ ' + ' if not loop.last }}{% endfor %} as {{ name }}
        from _forward_{{ k }}
    )
    {%- endif %}
{%- endmacro %}

{#- Spark has no `* exclude`: each z_i is written out in place (z_1 inside z_2, ...), the same
    operations in the same order as the CTEs above, so the same doubles; K <= 5 keeps the
    expression small. -#}
{% macro spark__cholesky_squared_norm(rows, deviations, name) -%}
    {%- set k = deviations | length -%}
    {%- if k == 0 %}
    (select *, 0.0::double as {{ name }} from {{ rows }})
    {%- else %}
    {%- set z = [] -%}
    {%- for i in range(1, k + 1) -%}
        {%- set ns = namespace(acc=deviations[i - 1]) -%}
        {%- for m in range(1, i) %}{% set ns.acc = ns.acc ~ ' - cholesky_' ~ i ~ '_' ~ m ~ ' * ' ~ z[m - 1] %}{% endfor -%}
        {%- do z.append('((' ~ ns.acc ~ ') / cholesky_' ~ i ~ '_' ~ i ~ ')') -%}
    {%- endfor %}
    (
        select
            *,
            {% for zi in z %}{{ zi }} * {{ zi }}{{ ' + ' if not loop.last }}{% endfor %} as {{ name }}
        from {{ rows }}
    )
    {%- endif %}
{%- endmacro %}

{#- The pair statistics of the expected-return model var('expected_return_model') selects, one row
    per event-ticker pair with int_estimation_stats' columns: with market_model (the default) that
    relation itself (ref, nothing else is read); with ff3 / ff5 int_estimation_stats left-joined to
    int_factor_model_fit, where
      is_included       the market model's pair is included AND the factor model's fit is: the
                        pairs of a factor-model study are the market model's pairs that the factor
                        file covers, so switching models changes the abnormal returns, not
                        silently the sample
      exclusion_reason  the market model's reason first (it says what the prices lack), else the
                        factor fit's
      residual_sd       the factor model's, sqrt(SSR / (M - K - 1))
      estimation_obs    the factor model's M (factor_model_obs)
    and the factor fit's factor_alpha, beta_<factor>, factor_mean_<factor> and cholesky_<i>_<j>
    beside them. alpha, beta, benchmark_estimation_mean, benchmark_estimation_sxx and
    sum_squared_residuals stay the market model's. -#}
{% macro expected_return_stats() -%}
    {{ return(adapter.dispatch('expected_return_stats')()) }}
{%- endmacro %}

{#- The factor fit's columns beside int_estimation_stats' (both engines' versions below). -#}
{% macro _factor_fit_columns_and_join() %}
            factor.alpha                                              as factor_alpha,
            {%- for f in ['mkt_rf', 'smb', 'hml', 'rmw', 'cma'] %}
            factor.beta_{{ f }},
            factor.factor_mean_{{ f }},
            {%- endfor %}
            {%- for i in range(1, 6) %}{% for j in range(1, i + 1) %}
            factor.cholesky_{{ i }}_{{ j }}{{ ',' if not (i == 5 and j == 5) }}
            {%- endfor %}{% endfor %}
        from {{ ref('int_estimation_stats') }} as market
        left join {{ ref('int_factor_model_fit') }} as factor
            on factor.event_id = market.event_id
            and factor.ticker = market.ticker
{%- endmacro %}

{% macro default__expected_return_stats() -%}
    {%- if factor_model_name() == 'market_model' -%}
        {{ ref('int_estimation_stats') }}
    {%- else -%}
    (
        select
            market.* replace (
                coalesce(market.is_included and factor.is_included, false) as is_included,
                case
                    when not market.is_included then market.exclusion_reason
                    when not coalesce(factor.is_included, false)
                        then coalesce(factor.exclusion_reason, 'no factor model fit')
                end                                                   as exclusion_reason,
                factor.residual_sd                                    as residual_sd,
                cast(coalesce(factor.factor_model_obs, 0) as uinteger) as estimation_obs
            ),
            {{- _factor_fit_columns_and_join() }}
    )
    {%- endif -%}
{%- endmacro %}

{#- Spark has no `* replace`: int_estimation_stats' columns are listed, in its order, with the
    four the factor model replaces (as in DuckDB's version above) in their places. -#}
{% macro spark__expected_return_stats() -%}
    {%- if factor_model_name() == 'market_model' -%}
        {{ ref('int_estimation_stats') }}
    {%- else -%}
    {%- set replaced = {
        'estimation_obs': 'cast(coalesce(factor.factor_model_obs, 0) as bigint)',
        'residual_sd': 'factor.residual_sd',
        'exclusion_reason': "case when not market.is_included then market.exclusion_reason "
            ~ "when not coalesce(factor.is_included, false) "
            ~ "then coalesce(factor.exclusion_reason, 'no factor model fit') end",
        'is_included': 'coalesce(market.is_included and factor.is_included, false)',
    } -%}
    {%- set columns = ['event_id', 'ticker', 'benchmark_ticker', 'has_prices',
        'estimation_start_date', 'estimation_end_date', 'estimation_sessions',
        'estimation_sessions_excluded', 'estimation_obs', 'beta_method', 'alpha', 'beta',
        'benchmark_estimation_mean', 'benchmark_estimation_sxx', 'sum_squared_residuals',
        'residual_sd', 'exclusion_reason', 'is_included'] -%}
    (
        select
            {%- for column in columns %}
            {{ replaced[column] if column in replaced else 'market.' ~ column }} as {{ column }},
            {%- endfor %}
            {{- _factor_fit_columns_and_join() }}
    )
    {%- endif -%}
{%- endmacro %}

{#- K, the slopes of the selected expected-return model (1 for the market model): the residual
    degrees of freedom are M - K - 1. -#}
{% macro expected_return_slopes() -%}
    {{- 1 if factor_model_name() == 'market_model' else factor_model_columns() | length -}}
{%- endmacro %}
