{{ config(tags=['spark']) }}
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
-- Under the expected-return model var('expected_return_model') selects: with ff3 / ff5 the
-- abnormal return is r - rf - (alpha + sum_k beta_k f_k) (constant_mean: r - alpha) with the
-- pair's factor fit
-- (int_factor_model_fit; the pair included as macro expected_return_stats says), on the days
-- with the return and every factor (the fit's residuals, and int_factor_abnormal_returns' ARs).
{%- set model = factor_model_name() %}
{%- set factors = factor_model_columns() %}
{%- if model != 'market_model' %}
with windows as (
    select
        window_rows.event_id,
        window_rows.ticker,
        window_rows.relative_day,
        window_rows.window_part,
        window_rows.stock_return,
        {#- constant_mean models the raw return: no rf, no factor file #}
        {{ 'factors.rf' if factors else '0.0' }} as rf
        {%- for f in factors %},
        factors.{{ f }}
        {%- endfor %}
    from (
        select event_id, ticker, relative_day, window_part, session_date, stock_return
        from {{ ref('int_estimation_windows') }}
        where not is_excluded
        union all
        select event_id, ticker, relative_day, window_part, session_date, stock_return
        from {{ ref('int_event_windows') }}
        where window_part = 'event'
    ) as window_rows
    {%- if factors %}
    inner join {{ ref('stg_factors__daily') }} as factors
        on factors.factor_date = window_rows.session_date
    {%- endif %}
),

stats as (
    select event_id, ticker, factor_alpha
        {%- for f in factors %}, beta_{{ f }}{% endfor %},
        cast(row_number() over (order by event_id, ticker) as integer) as pair_key
    from {{ expected_return_stats() }}
    where is_included
),

abnormal as (
    select
        stats.pair_key,
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.window_part,
        windows.stock_return - windows.rf
            - (stats.factor_alpha
               {%- for f in factors %} + stats.beta_{{ f }} * windows.{{ f }}{% endfor %})
            as abnormal_return
    from windows
    inner join stats
        on stats.event_id = windows.event_id
        and stats.ticker = windows.ticker
    where windows.stock_return is not null
        and windows.rf is not null
        {%- for f in factors %}
        and windows.{{ f }} is not null
        {%- endfor %}
),
{%- else %}
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
    select
        event_id,
        ticker,
        alpha,
        beta,
        cast(row_number() over (order by event_id, ticker) as integer) as pair_key
    from {{ ref('int_estimation_stats') }}
    where is_included
),

abnormal as (
    select
        stats.pair_key,
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
{%- endif %}

ranked as (
    select
        *,
        -- the average rank of a tie: (rank + the count up to and including the last peer) / 2;
        -- both come from the one sort of by_return (a tie count partitioned by the value itself
        -- would sort again: 1.9 s of this model's 4.9 s at 500 x 10)
        (rank() over by_return + count(*) over by_return) / {{ float_literal('2.0') }}
                                                     as abnormal_return_rank,
        count(*) over (partition by pair_key) as pair_observations
    from abnormal
    -- partitioned on the pair's integer key, not on (event_id, ticker): the sort then compares
    -- an integer and a double instead of two strings per row
    window by_return as (partition by pair_key order by abnormal_return)
)

select
    event_id,
    ticker,
    relative_day,
    window_part,
    abnormal_return,
    abnormal_return_rank,
    pair_observations,
    abnormal_return_rank / (pair_observations + 1) - {{ float_literal('0.5') }} as standardized_rank
from ranked
