{#- A model's rules in one query: every not-null, range and accepted-values rule of its columns,
    and its keys, counted together. One query (one dbt node, one Dagster check) per model instead
    of one per column, rule and key: at the sizes users run, dbt's per-node cost and Dagster's
    bookkeeping of each result weighed more than reading the rows (docs/BENCHMARKS.md).

    keys:      [key, ...]   no two rows share a key's values; a key is a list of columns, or
               {columns: [...], latest_rows_by: c, entity_column: e} for the large per-(series,
               session) relations: then only the keys a duplicate could involve are read, each
               series from its own earliest session among the rows written last (largest c) on,
               old rows included. A full build writes every row, so it is checked whole; a daily
               update writes a few sessions per series, so its key check reads those instead of
               the whole history. The bound is per series, not one date for all: one series
               rewritten whole must not make the check group every other series' history again.
               The key must then include session_date and entity_column (default ticker).
               With rewritten_whole_by: [c, ...] instead, for a model whose incremental runs
               rewrite every row of an entity together (int_event_abnormal_ranks: an event-ticker
               pair), the candidates are every row of the entities the latest rows belong to.
    not_null:  [column, ...]                         a null fails
    between:   {column: {min_value: a, max_value: b}} a non-null value outside [a, b] fails, NaN too
    accepted:  {column: [value, ...]}                 a non-null value outside the list fails
    latest_rows_by: the column rules read only the rows with the largest value of this column
               (built_at: the latest build's rows); older rows were checked by the build that
               wrote them, and an incremental model rewrites a row only with a new value.

    Returns one row per broken rule: the rule, as written here ("unique (a, b)" for a key), and
    how many rows break it (for a key, how many key values repeat). The failure count is their
    sum (fail_calc), so Dagster's check and dbt's log say how much is wrong, and the rows say
    which rule. -#}
{% test column_rules(model, not_null=[], between={}, accepted={}, latest_rows_by=none, keys=[]) %}
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
{%- if not (counts or keys) -%}
  {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ " names no rule: give it keys, not_null, between or accepted") }}
{%- endif -%}
{%- set rules = counts | map('last') | list -%}
{%- set key_ctes = [] -%}
{%- for key in keys -%}
  {%- set spec = key if key is mapping else {"columns": key} -%}
  {%- set rule = "unique (" ~ spec["columns"] | join(", ") ~ ")" -%}
  {%- do key_ctes.append(("repeated_key_" ~ loop.index, spec, rule)) -%}
  {%- do rules.append(rule) -%}
{%- endfor -%}
with
{%- for name, spec, rule in key_ctes %}
{{ repeated_key_ctes(model, name, spec["columns"], rule, spec.get("latest_rows_by"), spec.get("entity_column", "ticker"), spec.get("rewritten_whole_by")) }},
{%- endfor %}
{%- if counts %}
counted as (
    select
    {%- for expression, rule in counts %}
        {{ expression }} as {{ quoted_column_name(rule) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
    {%- if latest_rows_by %}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
    {%- endif %}
),
{%- endif %}

every_rule as (
    select *
    from {% if counts %}counted{% endif %}
    {%- for name, spec, rule in key_ctes %}
    {{ "cross join " if counts or not loop.first }}{{ name }}
    {%- endfor %}
)

select rule, failing_rows
from {{ unpivot_all_columns('every_rule', rules, 'rule', 'failing_rows') }}
where failing_rows > 0
{% endtest %}

