{#- A model's column rules in one scan: every not-null, range and accepted-values rule of its
    columns, counted together. One query per model instead of one per column and rule: at 500
    tickers x 10 years the per-column tests cost more in dbt's per-node overhead than in reading
    rows (docs/BENCHMARKS.md).

    not_null:  [column, ...]                         a null fails
    between:   {column: {min_value: a, max_value: b}} a non-null value outside [a, b] fails, NaN too
    accepted:  {column: [value, ...]}                 a non-null value outside the list fails
    latest_rows_by: every rule reads only the rows with the largest value of this column
               (built_at: the latest build's rows); older rows were checked by the build that
               wrote them, and an incremental model rewrites a row only with a new value.

    Returns one row per broken rule: the rule, as written here, and how many rows break it. The
    failure count is the number of offending rows (fail_calc), so Dagster's check and dbt's log
    say how many rows are wrong, and the rows say which rule. -#}
{% test column_rules(model, not_null=[], between={}, accepted={}, latest_rows_by=none) %}
{{ config(fail_calc="coalesce(sum(failing_rows), 0)") }}
{%- set counts = [] -%}
{%- for column in not_null -%}
  {%- do counts.append(("count_if(" ~ column ~ " is null)", column ~ " is not null")) -%}
{%- endfor -%}
{%- for column, bounds in between.items() -%}
  {%- set low = bounds.get("min_value") -%}
  {%- set high = bounds.get("max_value") -%}
  {%- set outside = ["isnan(cast(" ~ column ~ " as double))"] -%}
  {%- if low is not none %}{% do outside.append(column ~ " < " ~ low) %}{% endif -%}
  {%- if high is not none %}{% do outside.append(column ~ " > " ~ high) %}{% endif -%}
  {%- do counts.append((
      "count_if(" ~ column ~ " is not null and (" ~ outside | join(" or ") ~ "))",
      column ~ " between " ~ (low if low is not none else "-inf") ~ " and "
      ~ (high if high is not none else "inf")
  )) -%}
{%- endfor -%}
{%- for column, values in accepted.items() -%}
  {%- set quoted = [] -%}
  {#- a quote inside a value is doubled, so a value like O'Neil stays one SQL literal -#}
  {%- for value in values %}{% do quoted.append("'" ~ (value | string).replace("'", "''") ~ "'") %}{% endfor -%}
  {%- do counts.append((
      "count_if(" ~ column ~ " is not null and cast(" ~ column ~ " as " ~ text_type() ~ ") not in ("
      ~ quoted | join(", ") ~ "))",
      column ~ " in (" ~ values | join(", ") ~ ")"
  )) -%}
{%- endfor -%}
with counted as (
    select
    {%- for expression, rule in counts %}
        {{ expression }} as {{ quoted_column_name(rule) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
    {%- if latest_rows_by %}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
    {%- endif %}
)

select rule, failing_rows
from {{ unpivot_all_columns('counted', counts | map('last') | list, 'rule', 'failing_rows') }}
where failing_rows > 0
{% endtest %}
