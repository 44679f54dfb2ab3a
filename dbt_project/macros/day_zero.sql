{#- The date from which day 0 is the next XNYS session on or after (methodology, "Event day 0").

    With a timestamp: convert to America/New_York; at or after 16:00 the news can only trade the
    next session, so the basis moves one day later. Before 16:00 the basis is that local date: if
    it is a session, that session is day 0 (pre-market and intraday both trade it); if not (weekend,
    holiday), the next session is. Without a timestamp the basis is the date itself ("later" rule).
    Join the result to the calendar with `session_date >= basis` and take the earliest session.
    Another exchange: pass its zone and regular close (the Hong Kong line: 'Asia/Hong_Kong',
    '16:00:00', joined to the XHKG calendar), as assets.calendar.day_zero does in Python. -#}
{% macro day_zero_basis_date(announced_at, announced_date, zone='America/New_York', close='16:00:00') -%}
    {{ return(adapter.dispatch('day_zero_basis_date')(announced_at, announced_date, zone, close)) }}
{%- endmacro %}

{% macro default__day_zero_basis_date(announced_at, announced_date, zone, close) -%}
    case
        when {{ announced_at }} is not null then
            cast(timezone('{{ zone }}', {{ announced_at }}) as date)
            + case
                when cast(timezone('{{ zone }}', {{ announced_at }}) as time) >= time '{{ close }}'
                    then 1
                else 0
              end
        else cast({{ announced_date }} as date)
    end
{%- endmacro %}

{#- Spark has no TIME type: from_utc_timestamp gives the local wall time (read in the session's
    UTC, the profile's spark target), whose time of day is compared as 'HH:mm:ss.SSSSSS' text,
    which sorts as the time does. -#}
{% macro spark__day_zero_basis_date(announced_at, announced_date, zone, close) -%}
    case
        when {{ announced_at }} is not null then
            date_add(
                cast(from_utc_timestamp({{ announced_at }}, '{{ zone }}') as date),
                case
                    when date_format(from_utc_timestamp({{ announced_at }}, '{{ zone }}'),
                                     'HH:mm:ss.SSSSSS') >= '{{ close }}'
                        then 1
                    else 0
                end)
        else cast({{ announced_date }} as date)
    end
{%- endmacro %}
