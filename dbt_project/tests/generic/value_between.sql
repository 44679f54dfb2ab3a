{#- Fails on every non-null value outside [min_value, max_value]. Nulls pass: not_null is a
    separate test where a null is wrong. NaN fails (it is in no range).

    latest_rows_by: check only the rows with the largest value of that column (built_at: the rows
    of the latest build); the other rows were checked by the build that wrote them and have not
    changed since. -#}
{% test value_between(model, column_name, min_value=none, max_value=none, latest_rows_by=none) %}
select {{ column_name }} as offending_value
from {{ model }}
where {{ column_name }} is not null
  {%- if latest_rows_by %}
  and {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
  {%- endif %}
  and (
    isnan(cast({{ column_name }} as double))
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
{% endtest %}
