{#- The typed and renamed columns of a raw.daily_bars row, shared by the two staging models over
    that source (stg_prices__daily_bars: the XNYS tickers; stg_prices__home_line_bars: the Hong
    Kong lines and FX), so a type or a name changes in one place. -#}
{% macro price_bar_columns() -%}
        upper(trim(ticker))              as ticker,
        cast(session_date as date)       as session_date,
        cast(open as double)             as open_price,
        cast(high as double)             as high_price,
        cast(low as double)              as low_price,
        cast(close as double)            as close_price,
        cast(adj_close as double)        as adj_close_price,
        cast(volume as bigint)           as volume,
{%- endmacro %}
