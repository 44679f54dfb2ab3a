{#- The session calendar a Yahoo symbol trades on, the rule of exchange_of() in assets/calendar.py:
    a Hong Kong line (.HK) or a Hang Seng index (^HSI, ^HSCE) on XHKG, an FX pair (=X) on FX (weekdays), everything else (US
    listings, ETFs, OTC ADRs) on XNYS. Change both together. -#}
{% macro exchange_of(ticker) -%}
    case
        when upper({{ ticker }}) like '%.HK' or upper({{ ticker }}) like '^HS%' then 'XHKG'
        when upper({{ ticker }}) like '%=X' then 'FX'
        else 'XNYS'
    end
{%- endmacro %}

{#- The event-study group that pools every pair of an event on one exchange: 'all' for the US
    listings (XNYS), 'all_xhkg' for the Hong Kong lines of dual-listed ADRs. A Hong Kong line's own
    group is its ADR's suffixed the same way (china_adr_xhkg, int_events), so no group of
    fct_event_study_summary, fct_event_study_daily or int_event_grank pools pairs whose relative
    days count two calendars and whose abnormal returns two benchmarks. -#}
{% macro all_pairs_group(ticker) -%}
    case
        when {{ exchange_of(ticker) }} = 'XNYS' then 'all'
        else 'all_' || lower({{ exchange_of(ticker) }})
    end
{%- endmacro %}
