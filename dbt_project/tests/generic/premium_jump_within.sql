{#- Premium jumps: one row per ADR session whose premium to its home line moved by more than
    `threshold` (a fraction: 0.1 is ten percentage points) from the ADR's previous session. A real
    premium rarely moves that much in a day; a jump usually means a ratio change the dual_listings
    seed does not have yet, or a bad FX or home bar. Declared with severity warn: Dagster shows it
    as a WARN asset check on fct_adr_premium naming the pairs and sessions, and builds go on. -#}
{% test premium_jump_within(model, threshold) %}
select
    adr_ticker,
    home_ticker,
    session_date,
    premium_same_day,
    premium_change
from {{ model }}
where abs(premium_change) > {{ threshold }}
{% endtest %}
