{#- A custom schema (staging, intermediate, marts, reference) is used as is, not prefixed with the
    target schema, so readers find `marts.fct_event_car` wherever the project is built. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
