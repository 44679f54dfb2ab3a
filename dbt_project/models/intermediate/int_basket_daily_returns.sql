{{ config(tags=['spark']) }}
-- depends_on: {{ ref('stg_prices__daily_bars') }}
-- One row per basket of var performance_baskets (a universe group of int_ticker_groups) and
-- session: the basket's daily return series, which int_performance_returns serves beside the
-- tickers'. Equal weight, rebalanced daily: the rule of fct_sector_relative_performance's
-- daily-rebalanced index applied to the basket's whole history instead of from a base date.
--   daily_return R_t = mean over the members held on t (a close before t) of their move on t, a
--     held member without a bar counting 0 (held at its last close; its move counts when it
--     trades again); null when coverage is below var basket_min_coverage.
--   coverage = members with a bar on t / members.
--   Sessions run from the day after the first member's first bar to the last member's last bar.
--   inception_date: the session before the basket's first return, whose close it starts from.
-- A table, so that the readers of int_performance_returns (three marts, and its data tests) read
-- these rows instead of grouping every member's history again.
-- Incremental (replace_basket_tail, with a pre-hook) on DuckDB, a plain table on Spark:
-- configured in dbt_project.yml. A run rewrites each basket from the earliest session of a member's
-- bars from a fetch newer than the table's fetch_id (int_daily_returns rewrites that member from
-- there, and a session's basket return reads only that session's member rows; the members held
-- count only their first bars). A basket is rewritten whole when it is new, when inputs_key
-- changed (its members, or var basket_min_coverage), when a changed member's history is new from
-- its first bar (a new or restated ticker: the held counts change), or when the change reaches
-- its first return (the inception can move). The pre-hook drops the rows of a basket no longer in
-- var performance_baskets or without a priced member, and rows before a basket's first session.
-- A daily run reads the members' rows of the new sessions instead of every member's history: at
-- 5,000 x 20 (11M member rows) docs/BENCHMARKS.md has the figures.
{%- set inputs_ctes -%}
calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

returns as (
    select ticker, session_date, session_index, has_bar, return_since_previous_close
    from {{ ref('int_daily_returns') }}
),

groups as (
    select ticker, group_name, first_bar_date, last_bar_date
    from {{ ref('int_ticker_groups') }}
),

basket_members as (
    select groups.group_name as basket, groups.ticker, groups.first_bar_date, groups.last_bar_date
    from groups
    where groups.group_name in ({{ performance_basket_names() }})
),

basket_spans as (
    select
        basket,
        count(*)                as members_total,
        min(first_bar_date)     as first_bar_date,
        max(last_bar_date)      as last_bar_date,
        -- what every row of the basket depends on besides the members' returns: a change
        -- rewrites the basket whole
        {{ hash_key("concat_ws('|', '" ~ var('basket_min_coverage') ~ "', cast(count(*) as "
                    ~ text_type() ~ "), cast(bit_xor(" ~ hash_key('ticker') ~ ") as "
                    ~ text_type() ~ "))") }}
                                as inputs_key
    from basket_members
    group by basket
)
{%- endset -%}

{%- if is_incremental() -%}
{{ require_stored_columns(['inputs_key', 'fetch_id']) }}
{%- set rewrites_ctes -%}
changed as (
    {{ changed_price_tickers(ref('stg_prices__daily_bars'), this) }}
),

stored as (
    select
        basket,
        min(inputs_key)                                                 as min_inputs_key,
        max(inputs_key)                                                 as max_inputs_key,
        min(session_date) filter (where daily_return is not null)       as first_return_date,
        max(inception_date)                                             as inception_date
    from {{ this }}
    group by basket
),

member_changes as (
    select
        basket_members.basket,
        min(changed.changed_from)                                       as changed_from,
        -- a member whose every bar is new (a new or restated ticker)
        bool_or(changed.changed_from <= basket_members.first_bar_date)  as has_new_history
    from changed
    inner join basket_members
        on basket_members.ticker = changed.ticker
    group by basket_members.basket
),

-- The session each basket is rewritten from (its rows on or after it); a basket nothing concerns
-- has none.
rewrites as (
    select
        basket,
        is_whole,
        case when is_whole then first_bar_date else changed_from end   as from_date
    from (
        select
            basket_spans.basket,
            basket_spans.first_bar_date,
            member_changes.changed_from,
            -- null comparisons (nothing stored to compare, no change) count as false
            coalesce(
                stored.basket is null
                or stored.min_inputs_key <> basket_spans.inputs_key
                or stored.max_inputs_key <> basket_spans.inputs_key
                or stored.first_return_date is null
                or member_changes.has_new_history
                or member_changes.changed_from <= stored.first_return_date,
                false
            )                                                           as is_whole
        from basket_spans
        left join stored
            on stored.basket = basket_spans.basket
        left join member_changes
            on member_changes.basket = basket_spans.basket
        where basket_spans.first_bar_date is not null
    ) as candidates
    where is_whole or changed_from is not null
)
{%- endset -%}
{#- The earliest session any basket is rewritten from, as a date literal read before the query
    (macros/incremental_prices.sql): the reads of the members' rows start there. -#}
{%- set from_literal = date_literal_from_query(
    "with " ~ inputs_ctes ~ ", " ~ rewrites_ctes ~ " select min(from_date) from rewrites") -%}
{%- else -%}
{%- set rewrites_ctes -%}
rewrites as (
    select basket, true as is_whole, first_bar_date as from_date
    from basket_spans
    where first_bar_date is not null
)
{%- endset -%}
{%- set from_literal = none -%}
{%- endif %}
with {{ inputs_ctes }},

{{ rewrites_ctes }},

latest_fetch as (
    select max(fetch_id) as fetch_id from {{ ref('stg_prices__fetches') }}
),

-- The rewritten sessions of each basket, and how many members it holds on each: a member is held
-- from the session after its first bar (and stays held, flat, after its last). Counted from the
-- members' start dates with a running sum over the sessions and every member's start date in
-- date order (a start dated on a session counts from the next one), instead of pairing every
-- member with every session; starts before the rewritten sessions count in the sum.
basket_sessions as (
    select basket_spans.basket, calendar.session_date, calendar.session_index
    from basket_spans
    inner join rewrites
        on rewrites.basket = basket_spans.basket
    inner join calendar
        on calendar.session_date > basket_spans.first_bar_date
        and calendar.session_date <= basket_spans.last_bar_date
        and calendar.session_date >= rewrites.from_date
),

held_counts as (
    select basket, session_date, session_index, members_held
    from (
        select
            basket,
            session_date,
            session_index,
            is_session,
            sum(members_starting) over (
                partition by basket order by session_date, is_session desc
                rows between unbounded preceding and current row
            )                                                           as members_held
        from (
            select basket, session_date, session_index, true as is_session, 0 as members_starting
            from basket_sessions
            union all
            select basket_members.basket, basket_members.first_bar_date, null, false, 1
            from basket_members
            inner join rewrites
                on rewrites.basket = basket_members.basket
            where basket_members.first_bar_date is not null
        ) as sessions_and_starts
    ) as running
    where is_session
),

-- Per basket and session, the members with a bar (coverage) and the sum of the held members'
-- moves; only the members' own rows of the rewritten sessions are read (int_daily_returns has a
-- row for each session from a member's first bar to its last).
member_totals as (
    select
        basket_members.basket,
        returns.session_index,
        count(*) filter (where returns.has_bar)                         as members_with_bar,
        sum(returns.return_since_previous_close) filter (
            where returns.has_bar and returns.session_date > basket_members.first_bar_date
        )                                                               as held_return_sum
    from basket_members
    inner join rewrites
        on rewrites.basket = basket_members.basket
    inner join returns
        on returns.ticker = basket_members.ticker
        and returns.session_date >= rewrites.from_date
    {%- if from_literal is not none %}
    -- the earliest session any basket is rewritten from, as a literal: the zone maps of
    -- int_daily_returns (stored in session order) skip the older row groups
    where returns.session_date >= {{ from_literal }}
    {%- endif %}
    group by basket_members.basket, returns.session_index
),

basket_days as (
    select
        held_counts.basket,
        held_counts.session_date,
        held_counts.session_index,
        coalesce(member_totals.members_with_bar, 0) / basket_spans.members_total
                                                                        as coverage,
        -- held members without a bar are flat: they count in the mean with a zero move
        coalesce(member_totals.held_return_sum, 0) / nullif(held_counts.members_held, 0)
                                                                        as mean_member_return
    from held_counts
    inner join basket_spans
        on basket_spans.basket = held_counts.basket
    left join member_totals
        on member_totals.basket = held_counts.basket
        and member_totals.session_index = held_counts.session_index
),

basket_rows as (
    select
        basket,
        session_date,
        session_index,
        case when coverage >= {{ var('basket_min_coverage') }} then mean_member_return end
                                                                        as daily_return,
        coverage
    from basket_days
),

-- The session before the basket's first return; a basket rewritten from after its first return
-- keeps the stored one.
basket_inception as (
    select
        basket_rows.basket,
        max(calendar.session_date) as inception_date
    from basket_rows
    inner join rewrites
        on rewrites.basket = basket_rows.basket
        and rewrites.is_whole
    inner join calendar
        on calendar.session_index = basket_rows.session_index - 1
    where basket_rows.session_index = (
        select min(first_return.session_index)
        from basket_rows as first_return
        where first_return.basket = basket_rows.basket
            and first_return.daily_return is not null
    )
    group by basket_rows.basket
    {%- if is_incremental() %}
    union all
    select stored.basket, stored.inception_date
    from stored
    inner join rewrites
        on rewrites.basket = stored.basket
        and not rewrites.is_whole
    {%- endif %}
),

final as (
    select
        basket_rows.basket,
        basket_rows.session_date,
        basket_rows.session_index,
        basket_rows.daily_return,
        basket_rows.coverage,
        basket_inception.inception_date,
        basket_spans.inputs_key,
        latest_fetch.fetch_id,
        {{ built_at() }}                                                as built_at
    from basket_rows
    inner join basket_inception
        on basket_inception.basket = basket_rows.basket
    inner join basket_spans
        on basket_spans.basket = basket_rows.basket
    cross join latest_fetch
)

select * from final
