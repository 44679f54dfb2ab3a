-- One row per included event-ticker pair and relative day of its estimation and event windows
-- where the market-model abnormal return exists: the return's rank within the pair's combined
-- window, for the Corrado rank test of fct_event_study_summary.
-- abnormal_return = r - (alpha + beta * r_m) with the pair's estimation-window fit (the residual
-- in the estimation window, the AR of int_event_window_returns in the event window).
-- abnormal_return_rank: 1 = smallest, ties given their average rank; pair_observations = T_i, the
-- pair's days with an abnormal return; standardized_rank U = rank / (T_i + 1) - 1/2, uniform on
-- (-1/2, 1/2) under the null (Corrado and Zivney 1992), which keeps pairs with different T_i
-- comparable.
-- Estimation days near another catalogued event of the ticker are left out when
-- int_estimation_windows excludes them, as from the fit.
with windows as (
    select event_id, ticker, relative_day, window_part, stock_return, benchmark_return
    from {{ ref('int_estimation_windows') }}
    where not is_excluded
    union all
    select event_id, ticker, relative_day, window_part, stock_return, benchmark_return
    from {{ ref('int_event_windows') }}
    where window_part = 'event'
),

stats as (
    select event_id, ticker, alpha, beta
    from {{ ref('int_estimation_stats') }}
    where is_included
),

abnormal as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.window_part,
        windows.stock_return - (stats.alpha + stats.beta * windows.benchmark_return)
            as abnormal_return
    from windows
    inner join stats
        on stats.event_id = windows.event_id
        and stats.ticker = windows.ticker
    where windows.stock_return is not null
        and windows.benchmark_return is not null
),

ranked as (
    select
        *,
        rank() over by_return
            + (count(*) over (partition by event_id, ticker, abnormal_return) - 1) / 2.0
                                                     as abnormal_return_rank,
        count(*) over (partition by event_id, ticker) as pair_observations
    from abnormal
    window by_return as (partition by event_id, ticker order by abnormal_return)
)

select
    event_id,
    ticker,
    relative_day,
    window_part,
    abnormal_return,
    abnormal_return_rank,
    pair_observations,
    abnormal_return_rank / (pair_observations + 1) - 0.5 as standardized_rank
from ranked
