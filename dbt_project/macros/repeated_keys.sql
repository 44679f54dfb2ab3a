{#- For column_rules' keys (tests/generic/column_rules.sql, which describes latest_rows_by,
    entity_column and rewritten_whole_by): the CTEs counting the values of `columns` that more
    than one row of `model` shares, as one row with one column named `rule`; with latest_rows_by,
    only the candidates a duplicate could involve. -#}
{% macro repeated_key_ctes(model, name, columns, rule, latest_rows_by=none, entity_column='ticker',
                           rewritten_whole_by=none) -%}
{%- if latest_rows_by and rewritten_whole_by -%}
{{ name }}_latest_entities as (
    select distinct {{ rewritten_whole_by | join(', ') }}
    from {{ model }}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
),

-- Materialized: inlined, DuckDB grouped every row of the model before the join.
{{ name }}_candidates as {{ materialized_cte() }} (
    select candidate.*
    from {{ model }} as candidate
    inner join {{ name }}_latest_entities as latest_entities
        on {% for column in rewritten_whole_by -%}
        latest_entities.{{ column }} = candidate.{{ column }}{{ " and " if not loop.last }}
        {%- endfor %}
),

{% elif latest_rows_by -%}
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
