-- A view: its ticker rows are a projection of int_daily_returns (the largest table), which a
-- table would copy whole on every build; the marts that read it scan it once each.
{{ config(materialized='view', tags=['spark']) }}
{%- set baskets = var('performance_baskets') -%}
-- One row per subject and session: the daily return series the performance marts read
-- (fct_performance_summary, fct_monthly_returns). A subject is a ticker or a basket of
-- var performance_baskets (universe groups of int_ticker_groups).
--   ticker: every session from its first to its last bar (int_daily_returns' rows);
--     daily_return = return_since_previous_close, the move from the last close before the session,
--     so the returns compound exactly to the ratio of the adjusted closes even across a missing
--     bar (the session without a bar has no return; the next bar's return spans both).
--   basket: equal weight, rebalanced daily, the rule of fct_sector_relative_performance's
--     daily-rebalanced index applied to the basket's whole history instead of from a base date:
--     R_t = mean over the members held on t (a close before t) of their move on t, a held member
--     without a bar counting 0 (held at its last close; its move counts when it trades again).
--     coverage = members with a bar on t / members; below var basket_min_coverage R_t is null.
--     Sessions run from the day after the first member's first bar to the last member's last bar.
-- inception_date: the session whose close the subject's history starts from (a ticker's first
-- bar; the session before a basket's first return). built_at: the int_daily_returns build that
-- wrote a ticker's row; a basket's rows, computed at every read, carry the latest one, so that
-- the data tests read the rows the latest build changed and every basket row.
with calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

returns as (
    select ticker, session_date, session_index, has_bar, return_since_previous_close, built_at
    from {{ ref('int_daily_returns') }}
),

groups as (
    select ticker, group_name, first_bar_date, last_bar_date
    from {{ ref('int_ticker_groups') }}
),

ticker_rows as (
    select
        returns.ticker                                   as subject,
        'ticker'                                         as subject_kind,
        returns.session_date,
        returns.session_index,
        returns.return_since_previous_close              as daily_return,
        groups.first_bar_date                            as inception_date,
        returns.built_at
    from returns
    inner join groups
        on groups.ticker = returns.ticker
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
        basket                                                          as subject,
        'basket'                                                        as subject_kind,
        session_date,
        session_index,
        case when coverage >= {{ var('basket_min_coverage') }} then mean_member_return end
                                                                        as daily_return
    from basket_days
),

basket_inception as (
    select
        basket_rows.subject,
        max(calendar.session_date) as inception_date
    from basket_rows
    inner join calendar
        on calendar.session_index = basket_rows.session_index - 1
    where basket_rows.session_index = (
        select min(first_return.session_index)
        from basket_rows as first_return
        where first_return.subject = basket_rows.subject
            and first_return.daily_return is not null
    )
    group by basket_rows.subject
),

final as (
    select * from ticker_rows
    union all
    select
        basket_rows.*,
        basket_inception.inception_date,
        -- recomputed by every read, from whatever int_daily_returns holds: the latest build
        (select max(built_at) from returns)                          as built_at
    from basket_rows
    inner join basket_inception
        on basket_inception.subject = basket_rows.subject
)

select * from final
