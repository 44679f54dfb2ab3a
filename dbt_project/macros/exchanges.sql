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
