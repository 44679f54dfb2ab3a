{#- The date from which day 0 is the next XNYS session on or after (methodology, "Event day 0").

    With a timestamp: convert to America/New_York; at or after 16:00 the news can only trade the
    next session, so the basis moves one day later. Before 16:00 the basis is that local date: if
    it is a session, that session is day 0 (pre-market and intraday both trade it); if not (weekend,
    holiday), the next session is. Without a timestamp the basis is the date itself ("later" rule).
    Join the result to the calendar with `session_date >= basis` and take the earliest session. -#}
{% macro day_zero_basis_date(announced_at, announced_date) -%}
    case
        when {{ announced_at }} is not null then
            cast(timezone('America/New_York', {{ announced_at }}) as date)
            + case
                when cast(timezone('America/New_York', {{ announced_at }}) as time) >= time '16:00:00'
                    then 1
                else 0
              end
        else cast({{ announced_date }} as date)
    end
{%- endmacro %}
