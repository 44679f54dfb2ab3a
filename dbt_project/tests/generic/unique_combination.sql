{#- The grain test: no two rows share the same values of `columns`.

    latest_rows_by (for the large per-(ticker, session) relations): the column whose largest value
    marks the rows written last (built_at of an incremental model, fetch_id of the bars). Only the
    keys a duplicate could then involve are checked: each series with rows written last, from its
    own earliest such session on, old rows included. A full build writes every row, so it is
    checked whole; a daily update writes a few sessions per ticker, so the test reads those instead
    of the whole history. The bound is per series, not one date for all: one series rewritten
    whole (a basket of int_performance_returns, whose rows all carry the latest built_at; a ticker
    backfilled or restated) must not make the test group every other series' history again.
    `columns` must include session_date and `entity_column` (default ticker; the column that names
    the series, e.g. subject).
-#}
{% test unique_combination(model, columns, latest_rows_by=none, entity_column='ticker') %}
{%- if latest_rows_by %}
with latest_starts as (
    select {{ entity_column }}, min(session_date) as first_latest_session
    from {{ model }}
    where {{ latest_rows_by }} = (select max({{ latest_rows_by }}) from {{ model }})
    group by {{ entity_column }}
),

candidates as (
    select candidate.*
    from {{ model }} as candidate
    inner join latest_starts
        on latest_starts.{{ entity_column }} = candidate.{{ entity_column }}
        and candidate.session_date >= latest_starts.first_latest_session
)
{%- endif %}

select {{ columns | join(', ') }}, count(*) as row_count
from {{ 'candidates' if latest_rows_by else model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
