{#- Fails on every non-null value outside [min_value, max_value]. Nulls pass: not_null is a
    separate test where a null is wrong. NaN fails (it is in no range). -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as offending_value
from {{ model }}
where {{ column_name }} is not null
  and (
    isnan(cast({{ column_name }} as double))
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
{% endtest %}
