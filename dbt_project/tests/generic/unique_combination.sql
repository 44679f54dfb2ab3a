{#- The grain test: no two rows share the same values of `columns`.

    latest_rows_by (for the large per-(ticker, session) relations): the column whose largest value
    marks the rows written last (built_at of an incremental model, fetch_id of the bars). Only the
    keys a duplicate could then involve are checked: the rows of those tickers from the earliest
    session written last on, old rows included. A full build writes every row, so it is checked
    whole; a daily update writes a few sessions per ticker, so the test reads those instead of the
    whole history. `columns` must include session_date and `entity_column` (default ticker; the
    column that names the series, e.g. subject).
-#}
{% test unique_combination(model, columns, latest_rows_by=none, entity_column='ticker') %}
{%- if latest_rows_by %}
with latest as (
    select {{ entity_column }}, session_date
    from {{ model }}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
),

candidates as (
    select *
    from {{ model }}
    where {{ entity_column }} in (select {{ entity_column }} from latest)
        and session_date >= (select min(session_date) from latest)
)
{%- endif %}

select {{ columns | join(', ') }}, count(*) as row_count
from {{ 'candidates' if latest_rows_by else model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
