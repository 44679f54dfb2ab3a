-- A view: its ticker rows are a projection of int_daily_returns (the largest table), which a
-- table would copy whole on every build; the marts that read it scan it once each.
{{ config(materialized='view', tags=['spark']) }}
-- One row per subject and session: the daily return series the performance marts read
-- (fct_performance_summary, fct_monthly_returns). A subject is a ticker
-- or a basket of var performance_baskets.
--   ticker: every session from its first to its last bar (int_daily_returns' rows);
--     daily_return = return_since_previous_close, the move from the last close before the session,
--     so the returns compound exactly to the ratio of the adjusted closes even across a missing
--     bar (the session without a bar has no return; the next bar's return spans both).
--   basket: the rows of int_basket_daily_returns (equal weight, rebalanced daily; its rule is
--     written there).
-- inception_date: the session whose close the subject's history starts from (a ticker's first
-- bar; the session before a basket's first return). built_at: the build that wrote the row (of
-- int_daily_returns for a ticker, of int_basket_daily_returns for a basket), so that the data
-- tests read the rows the latest build changed.
with returns as (
    select ticker, session_date, session_index, return_since_previous_close, built_at
    from {{ ref('int_daily_returns') }}
),

groups as (
    select ticker, first_bar_date
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

basket_rows as (
    select
        basket                                           as subject,
        'basket'                                         as subject_kind,
        session_date,
        session_index,
        daily_return,
        inception_date,
        built_at
    from {{ ref('int_basket_daily_returns') }}
),

final as (
    select * from ticker_rows
    union all
    select * from basket_rows
)

select * from final
