{#- For column_rules' keys (tests/generic/column_rules.sql, which describes latest_rows_by and
    entity_column): the CTEs counting the values of `columns` that more than one row of `model`
    shares, as one row with one column named `rule`; with latest_rows_by, only the candidates
    a duplicate could involve. -#}
{% macro repeated_key_ctes(model, name, columns, rule, latest_rows_by=none, entity_column='ticker') -%}
{%- if latest_rows_by -%}
{{ name }}_latest_starts as (
    select {{ entity_column }}, min(session_date) as first_latest_session
    from {{ model }}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
    group by {{ entity_column }}
),

{{ name }}_candidates as (
    select candidate.*
    from {{ model }} as candidate
    inner join {{ name }}_latest_starts as latest_starts
        on latest_starts.{{ entity_column }} = candidate.{{ entity_column }}
        and candidate.session_date >= latest_starts.first_latest_session
),

{% endif -%}
{{ name }} as (
    select count(*) as {{ quoted_column_name(rule) }}
    from (
        select {{ columns | join(', ') }}
        from {{ name ~ '_candidates' if latest_rows_by else model }}
        group by {{ columns | join(', ') }}
        having count(*) > 1
    ) as repeated
)
{%- endmacro %}
