{{ config(tags=['spark']) }}
{%- set pairs = var('basket_pairs') -%}
{%- set basket_names = [] -%}
{%- for pair in pairs -%}{%- for name in pair -%}
    {%- if name not in basket_names -%}{%- do basket_names.append(name) -%}{%- endif -%}
{%- endfor -%}{%- endfor -%}
-- One row per session on or after the base date and basket pair (var basket_pairs: A vs B).
-- A basket is a group of int_ticker_groups (equal weight over its members; priced tickers outside
-- the universe form 'unclassified') or a single ticker.
-- Both indices describe the same basket, 100 at the base session (the last session on or before
-- var basket_base_date), on adjusted closes:
--   constituents: the members with a close on or before the base session (the base close is the
--     last one; looked up over the sessions this model reads, below). A member without one (no
--     prices, or a first bar after the base) is in neither index.
--   a constituent without a bar on a session is held at its last close: flat that session, and
--     its move from that close to its next one counts on the session it trades again
--     (int_daily_returns.return_since_previous_close). A deleted bar therefore changes the indices
--     only by that one session's rebalancing, not for good.
--   index_buy_hold = 100 * mean over constituents of (last close on or before t) / base close.
--   index_daily_rebalanced = 100 * prod over sessions after the base of (1 + R), R = mean over
--     the constituents held that session (with a close before it) of their move that session.
--   coverage = constituents with a bar this session / members: one rule for both indices. Below
--     var basket_min_coverage both indices, the basket's daily return and everything built on
--     them (spreads, relative strengths, rolling windows containing the session) are null; the
--     indices continue underneath, so the next covered session shows the right level.
--   spread_* = R_A - R_B with R = index / 100 - 1: the arithmetic spread of returns since base.
--   relative_strength_* = (1 + R_A) / (1 + R_B) = index_A / index_B: the geometric comparison.
--   rolling_beta_N = cov(r_A, r_B) / var(r_B) and rolling_correlation_N over the last N sessions of
--     daily basket returns (history before the base date included); null unless all N sessions
--     have both (covered) returns.
-- Only the sessions the output needs are read: from the base session on, plus the longest
-- rolling window's sessions before it. The rest of the history cannot change a row, and reading it
-- made the daily run grow with history (int_daily_returns is stored in session order, so the
-- older row groups are skipped).
{%- set longest_window = var('rolling_windows') | max %}
with calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

first_needed_session as (
    select min(session_date) as session_date
    from calendar
    -- a base date before the calendar needs everything
    where session_index >= coalesce((
        select max(session_index) - {{ longest_window - 1 }}
        from calendar
        where session_date <= date '{{ var("basket_base_date") }}'
    ), 0)
),

returns as (
    select
        ticker,
        session_date,
        session_index,
        has_bar,
        adj_close_price,
        sessions_since_previous_close,
        return_since_previous_close
    from {{ ref('int_daily_returns') }}
    where session_date >= (select session_date from first_needed_session)
),

universe as (
    select * from {{ ref('int_ticker_groups') }}
),

basket_names as (
    {%- for name in basket_names %}
    select '{{ name }}' as basket{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

basket_pairs as (
    {%- for pair in pairs %}
    select '{{ pair[0] }}' as basket_a, '{{ pair[1] }}' as basket_b{% if not loop.last %} union all{% endif %}
    {%- endfor %}
),

basket_members as (
    select distinct basket, named_ticker as ticker
    from ({{ tickers_named_by('basket_names', 'basket', 'universe') }}) as matches
),

member_counts as (
    select basket, count(*) as members_total
    from basket_members
    group by basket
),

base_session as (
    select max(session_date) as base_date
    from calendar
    where session_date <= date '{{ var("basket_base_date") }}'
),

-- The constituents and their base closes: each member's last close on or before the base.
constituents as (
    select
        basket_members.basket,
        basket_members.ticker,
        {{ arg_max('returns.adj_close_price', 'returns.session_index') }} as base_price
    from basket_members
    inner join returns
        on returns.ticker = basket_members.ticker
    cross join base_session
    where returns.session_date <= base_session.base_date
        and returns.adj_close_price > 0
    group by basket_members.basket, basket_members.ticker
),

constituent_counts as (
    select basket, count(*) as members_in_index
    from constituents
    group by basket
),

span as (
    select min(session_index) as first_index, max(session_index) as last_index
    from returns
),

sessions as (
    select calendar.session_date, calendar.session_index
    from calendar
    cross join span
    where calendar.session_index between span.first_index and span.last_index
),

-- Every constituent on every session read, with or without a row in int_daily_returns (before a
-- first bar or after a last one there is none).
constituent_sessions as (
    select
        constituents.basket,
        constituents.ticker,
        constituents.base_price,
        sessions.session_date,
        sessions.session_index,
        coalesce(returns.has_bar, false)        as has_bar,
        returns.adj_close_price,
        returns.sessions_since_previous_close,
        returns.return_since_previous_close
    from constituents
    cross join sessions
    left join returns
        on returns.ticker = constituents.ticker
        and returns.session_index = sessions.session_index
),

held as (
    select
        *,
        -- Held: a close precedes this session (int_daily_returns knows one before the sessions
        -- read; after a last bar there is no row, but an earlier close in the grid).
        sessions_since_previous_close is not null
            or count(adj_close_price) over (
                partition by basket, ticker order by session_index
                rows between unbounded preceding and 1 preceding
            ) > 0                                       as is_held,
        {{ ignore_nulls('last_value', 'adj_close_price') }} over (
            partition by basket, ticker order by session_index
            rows between unbounded preceding and current row
        )                                               as last_close
    -- both windows spelled out: Spark cannot add a frame to a named window
    from constituent_sessions
),

member_days as (
    select
        basket,
        session_date,
        count(*) filter (where has_bar)                          as members_priced,
        count(*) filter (where has_bar and is_held)              as members_with_return,
        -- held members without a bar are flat: they count in the mean with a zero move
        sum(case when has_bar and is_held then return_since_previous_close else 0 end)
            filter (where is_held)
            / nullif(count(*) filter (where is_held), 0)         as basket_return,
        avg(last_close / base_price)                             as mean_rebased_price
    from held
    group by basket, session_date
),

basket_days as (
    select
        spine.basket,
        spine.session_date,
        spine.session_index,
        member_counts.members_total,
        coalesce(constituent_counts.members_in_index, 0)  as members_in_index,
        coalesce(member_days.members_priced, 0)           as members_priced,
        coalesce(member_days.members_with_return, 0)      as members_with_return,
        coalesce(member_days.members_priced, 0) / member_counts.members_total as coverage,
        coalesce(member_days.members_priced, 0) / member_counts.members_total
            >= {{ var('basket_min_coverage') }}           as is_covered,
        member_days.basket_return,
        100 * member_days.mean_rebased_price              as index_buy_hold
    from (
        select basket_names.basket, sessions.session_date, sessions.session_index
        from basket_names
        cross join sessions
    ) as spine
    inner join member_counts
        on member_counts.basket = spine.basket
    left join constituent_counts
        on constituent_counts.basket = spine.basket
    left join member_days
        on member_days.basket = spine.basket
        and member_days.session_date = spine.session_date
),

since_base as (
    select
        basket_days.*,
        -- the base session contributes no return: the index starts at 100 there
        case when basket_days.session_date > base_session.base_date
            then basket_days.basket_return else 0 end as return_since_base_step
    from basket_days
    cross join base_session
    where basket_days.session_date >= base_session.base_date
),

compounded as (
    select
        basket,
        session_date,
        session_index,
        members_total,
        members_in_index,
        members_priced,
        members_with_return,
        coverage,
        is_covered,
        case when is_covered then basket_return end   as basket_return,
        case when is_covered then index_buy_hold end  as index_buy_hold,
        case when is_covered
                and count(return_since_base_step) over running = count(*) over running
            then 100 * {{ product_over('1 + return_since_base_step', 'running') }}
        end                                           as index_daily_rebalanced
    from since_base
    window running as (
        partition by basket order by session_index
        rows between unbounded preceding and current row
    )
),

pair_days as (
    select
        basket_pairs.basket_a,
        basket_pairs.basket_b,
        a.session_date,
        a.session_index,
        case when a.is_covered then a.basket_return end as basket_return_a,
        case when b.is_covered then b.basket_return end as basket_return_b
    from basket_pairs
    inner join basket_days as a
        on a.basket = basket_pairs.basket_a
    inner join basket_days as b
        on b.basket = basket_pairs.basket_b
        and b.session_index = a.session_index
),

rolling as (
    select
        basket_a,
        basket_b,
        session_date
        {%- for n in var('rolling_windows') %},
        case when regr_count(basket_return_a, basket_return_b) over last_{{ n }} = {{ n }}
            then nullif(regr_slope(basket_return_a, basket_return_b) over last_{{ n }}, {{ nan_double() }})
        end as rolling_beta_{{ n }},
        case when regr_count(basket_return_a, basket_return_b) over last_{{ n }} = {{ n }}
            then nullif(corr(basket_return_a, basket_return_b) over last_{{ n }}, {{ nan_double() }})
        end as rolling_correlation_{{ n }}
        {%- endfor %}
    from pair_days
    window
    {%- for n in var('rolling_windows') %}
        last_{{ n }} as (
            partition by basket_a, basket_b order by session_index
            rows between {{ n - 1 }} preceding and current row
        ){% if not loop.last %},{% endif %}
    {%- endfor %}
),

final as (
    select
        a.session_date,
        basket_pairs.basket_a,
        basket_pairs.basket_b,
        basket_pairs.basket_a || '_vs_' || basket_pairs.basket_b   as basket_pair,
        base_session.base_date,
        a.members_total                                             as members_total_a,
        a.members_in_index                                          as members_in_index_a,
        a.members_priced                                            as members_priced_a,
        a.members_with_return                                       as members_with_return_a,
        b.members_total                                             as members_total_b,
        b.members_in_index                                          as members_in_index_b,
        b.members_priced                                            as members_priced_b,
        b.members_with_return                                       as members_with_return_b,
        a.coverage                                                  as coverage_a,
        b.coverage                                                  as coverage_b,
        a.basket_return                                             as daily_return_a,
        b.basket_return                                             as daily_return_b,
        a.index_buy_hold                                            as index_buy_hold_a,
        b.index_buy_hold                                            as index_buy_hold_b,
        a.index_daily_rebalanced                                    as index_daily_rebalanced_a,
        b.index_daily_rebalanced                                    as index_daily_rebalanced_b,
        (a.index_buy_hold - b.index_buy_hold) / 100                 as spread_buy_hold,
        a.index_buy_hold / b.index_buy_hold                         as relative_strength_buy_hold,
        (a.index_daily_rebalanced - b.index_daily_rebalanced) / 100 as spread_daily_rebalanced,
        a.index_daily_rebalanced / b.index_daily_rebalanced         as relative_strength_daily_rebalanced
        {%- for n in var('rolling_windows') %},
        rolling.rolling_beta_{{ n }},
        rolling.rolling_correlation_{{ n }}
        {%- endfor %}
    from basket_pairs
    cross join base_session
    inner join compounded as a
        on a.basket = basket_pairs.basket_a
    inner join compounded as b
        on b.basket = basket_pairs.basket_b
        and b.session_index = a.session_index
    inner join rolling
        on rolling.basket_a = basket_pairs.basket_a
        and rolling.basket_b = basket_pairs.basket_b
        and rolling.session_date = a.session_date
)

select * from final
