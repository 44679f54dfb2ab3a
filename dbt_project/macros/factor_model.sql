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
    The slopes solve the normal equations in deviations from the means, S b = s_y, with
    S_ij = sum (f_i - mean f_i)(f_j - mean f_j) and s_y,i = sum (f_i - mean f_i)(y - mean y), by a
    Cholesky factorisation S = L L' written out by Jinja (K <= 5, one CTE per step), then
    alpha = mean y - sum_k b_k mean f_k: the same numbers as any least-squares solver. -#}
{% macro factor_model_columns() -%}
    {%- set model = var('expected_return_model') | string | lower -%}
    {%- if model not in ('market_model', 'ff3', 'ff5') -%}
        {{ exceptions.raise_compiler_error(
            "expected_return_model (ADRPULSE_EXPECTED_RETURN_MODEL) is '" ~ model
            ~ "': use market_model, ff3 or ff5") }}
    {%- endif -%}
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
