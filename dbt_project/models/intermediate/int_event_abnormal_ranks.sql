{#- On Spark a plain table, rebuilt whole (as int_event_windows). -#}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    tags=['spark'],
    incremental_strategy='replace_event_pairs',
    unique_key=['event_id', 'ticker', 'relative_day'],
) }}
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
-- Incremental on DuckDB: inputs_key fingerprints each pair's inputs (a hash over its days of the
-- relative day, window part and the returns or factors the abnormal return is computed from, and
-- its fitted coefficients to 13 significant digits), and a run ranks again only the pairs whose
-- key changed or that are new, and deletes those that have no rows any more. A daily run thus
-- rewrites the few pairs whose windows reach the new session instead of every pair's 250 days
-- (2.5M rows at 10,000 events). The coefficients are compared rounded because the parallel sums
-- of the fit differ in their last bits from one run to the next: a pair whose coefficients moved
-- by less than that keeps its stored rows. built_at says which build ranked a pair: the data
-- tests read the pairs the latest build wrote.
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
        cast(row_number() over (order by event_id, ticker) as integer) as pair_key,
        concat_ws('|', {{ rounded_double_text('factor_alpha') }}
            {%- for f in factors %}, {{ rounded_double_text('beta_' ~ f) }}{% endfor %}) as coefficients
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
        {%- set row_inputs = ['windows.relative_day', 'windows.window_part', 'windows.stock_return', 'windows.rf'] %}
        {%- for f in factors %}{% do row_inputs.append('windows.' ~ f) %}{% endfor %}
        {{ hash_key(row_inputs | join(', ')) }}             as row_hash,
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
        cast(row_number() over (order by event_id, ticker) as integer) as pair_key,
        concat_ws('|', {{ rounded_double_text('alpha') }}, {{ rounded_double_text('beta') }}) as coefficients
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
        {{ hash_key('windows.relative_day, windows.window_part, windows.stock_return, windows.benchmark_return') }}
                                                     as row_hash,
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

-- One row per pair: the fingerprint of its inputs (the row hashes summed, the day count, the
-- coefficients).
pair_inputs as {{ materialized_cte() }} (
    select
        pair_rows.pair_key,
        stats.event_id,
        stats.ticker,
        {{ hash_key("concat_ws('|', cast(pair_rows.rows_hash as " ~ text_type() ~ "), cast(pair_rows.row_count as "
                    ~ text_type() ~ "), stats.coefficients)") }} as inputs_key
    from (
        select pair_key, {{ hash_sum('row_hash') }} as rows_hash, count(*) as row_count
        from abnormal
        group by pair_key
    ) as pair_rows
    inner join stats
        on stats.pair_key = pair_rows.pair_key
),

{% if is_incremental() -%}
{{ require_stored_columns(['inputs_key', 'built_at']) }}
stored_pairs as {{ materialized_cte() }} (
    select event_id, ticker, min(inputs_key) as inputs_key
    from {{ this }}
    group by event_id, ticker
),

-- The pairs that are new or whose inputs changed.
rewritten_pairs as {{ materialized_cte() }} (
    select pair_inputs.pair_key, pair_inputs.inputs_key
    from pair_inputs
    left join stored_pairs
        on stored_pairs.event_id = pair_inputs.event_id
        and stored_pairs.ticker = pair_inputs.ticker
    where stored_pairs.inputs_key is null
        or stored_pairs.inputs_key <> pair_inputs.inputs_key
),
{%- else %}
rewritten_pairs as {{ materialized_cte() }} (
    select pair_key, inputs_key from pair_inputs
),
{%- endif %}

ranked as (
    select
        abnormal.event_id,
        abnormal.ticker,
        abnormal.relative_day,
        abnormal.window_part,
        abnormal.abnormal_return,
        rewritten_pairs.inputs_key,
        -- the average rank of a tie: (rank + the count up to and including the last peer) / 2;
        -- both come from the one sort of by_return (a tie count partitioned by the value itself
        -- would sort again: 1.9 s of this model's 4.9 s at 500 x 10)
        (rank() over by_return + count(*) over by_return) / {{ float_literal('2.0') }}
                                                     as abnormal_return_rank,
        count(*) over (partition by abnormal.pair_key) as pair_observations
    from abnormal
    inner join rewritten_pairs
        on rewritten_pairs.pair_key = abnormal.pair_key
    -- partitioned on the pair's integer key, not on (event_id, ticker): the sort then compares
    -- an integer and a double instead of two strings per row
    window by_return as (partition by abnormal.pair_key order by abnormal.abnormal_return)
)

select
    event_id,
    ticker,
    relative_day,
    window_part,
    abnormal_return,
    abnormal_return_rank,
    pair_observations,
    abnormal_return_rank / (pair_observations + 1) - {{ float_literal('0.5') }} as standardized_rank,
    inputs_key,
    {{ built_at() }}                                                           as built_at
from ranked
{%- if is_incremental() %}
-- A stored pair with no rows any more (its event gone, the pair no longer included, no abnormal
-- return left): one row without a key, so that replace_event_pairs deletes the pair.
union all
select
    stored_pairs.event_id,
    stored_pairs.ticker,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null
from stored_pairs
where not exists (
    select 1
    from pair_inputs
    where pair_inputs.event_id = stored_pairs.event_id
        and pair_inputs.ticker = stored_pairs.ticker
)
{%- endif %}
