{{ config(tags=['spark']) }}
{%- set baskets = var('performance_baskets') -%}
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
-- A table, built once per run: the basket rows group every member's history by session, which
-- the view int_performance_returns used to do again for each of its readers (three marts, and
-- twice in each of its two data tests); docs/BENCHMARKS.md has the figures.
with calendar as (
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
    where groups.group_name in (
        {%- for basket in baskets %}'{{ basket }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
),

basket_spans as (
    select
        basket,
        count(*)                as members_total,
        min(first_bar_date)     as first_bar_date,
        max(last_bar_date)      as last_bar_date
    from basket_members
    group by basket
),

-- The basket's sessions, and how many members it holds on each: a member is held from the
-- session after its first bar (and stays held, flat, after its last). Counted from the members'
-- start dates with a running sum over the sessions and start dates in date order (a start dated
-- on a session counts from the next one), instead of pairing every member with every session.
basket_sessions as (
    select basket_spans.basket, calendar.session_date, calendar.session_index
    from basket_spans
    inner join calendar
        on calendar.session_date > basket_spans.first_bar_date
        and calendar.session_date <= basket_spans.last_bar_date
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
            select basket, first_bar_date, null, false, 1
            from basket_members
            where first_bar_date is not null
        ) as sessions_and_starts
    ) as running
    where is_session
),

-- Per basket and session, the members with a bar (coverage) and the sum of the held members'
-- moves; only the members' own rows are read (int_daily_returns has a row for each session from
-- a member's first bar to its last).
member_totals as (
    select
        basket_members.basket,
        returns.session_index,
        count(*) filter (where returns.has_bar)                         as members_with_bar,
        sum(returns.return_since_previous_close) filter (
            where returns.has_bar and returns.session_date > basket_members.first_bar_date
        )                                                               as held_return_sum
    from basket_members
    inner join returns
        on returns.ticker = basket_members.ticker
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

basket_inception as (
    select
        basket_rows.basket,
        max(calendar.session_date) as inception_date
    from basket_rows
    inner join calendar
        on calendar.session_index = basket_rows.session_index - 1
    where basket_rows.session_index = (
        select min(first_return.session_index)
        from basket_rows as first_return
        where first_return.basket = basket_rows.basket
            and first_return.daily_return is not null
    )
    group by basket_rows.basket
),

final as (
    select
        basket_rows.basket,
        basket_rows.session_date,
        basket_rows.session_index,
        basket_rows.daily_return,
        basket_rows.coverage,
        basket_inception.inception_date,
        {{ built_at() }}                                                as built_at
    from basket_rows
    inner join basket_inception
        on basket_inception.basket = basket_rows.basket
)

select * from final
