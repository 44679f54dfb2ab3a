{#- The tickers each row of `tokens` names by its `token_column`: every member of the group of
    `universe` (int_ticker_groups) it names, or the ticker it names (case-insensitive: tickers are
    stored upper case). The rows of `tokens` with one more column, named_ticker; a token naming
    nothing gives no row, and a ticker named twice (its group and itself) gives two, so callers
    keep one. Two equality joins, not one join on `group = token or ticker = upper(token)`, which
    is a nested loop over every token and ticker (0.69 s at 10,000 events x 5,000 tickers).
    Used by the event catalog's scopes (int_events, assert_event_scope_tokens_resolve) and the
    basket names of fct_sector_relative_performance. -#}
{% macro tickers_named_by(tokens, token_column, universe) -%}
    select {{ tokens }}.*, {{ universe }}.ticker as named_ticker
    from {{ tokens }}
    inner join {{ universe }}
        on {{ universe }}.group_name = {{ tokens }}.{{ token_column }}
    union all
    select {{ tokens }}.*, {{ universe }}.ticker as named_ticker
    from {{ tokens }}
    inner join {{ universe }}
        on {{ universe }}.ticker = upper({{ tokens }}.{{ token_column }})
{%- endmacro %}
