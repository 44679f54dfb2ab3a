{{ config(tags=['spark']) }}
-- One row per event, ticker and relative session day in the event window.
-- Abnormal returns: market-adjusted AR = r - r_m; market-model AR = r - (alpha + beta * r_m), with
-- alpha and beta from int_estimation_stats (null when the pair is excluded). CARs are sums of ARs
-- from the window start to the day, and null from the first missing AR on: a gap is not a zero.
-- The expected-return model var('expected_return_model') selects (setting
-- ADRPULSE_EXPECTED_RETURN_MODEL, named in expected_return_model on every row) gives the
-- *_selected_model columns, which the event study's CARs and tests use: with market_model (the
-- default) they are the market-model columns; with ff3 / ff5 the factor model's (int_factor_
-- abnormal_returns: expected return rf + alpha + sum_k beta_k f_k, AR = r - that). The columns
-- named _market_model stay the market model's whatever the setting; standardized_abnormal_return,
-- residual_sd, estimation_obs, is_estimation_valid and exclusion_reason are the selected model's
-- (macro expected_return_stats: a factor-model pair needs the market model's pair included too).
{%- set model = factor_model_name() %}
{%- set factors = factor_model_columns() %}
{%- set selected = model != 'market_model' %}
with windows as (
    select * from {{ ref('int_event_windows') }}
    where window_part = 'event'
),

events as (
    select * from {{ ref('int_events') }}
),

stats as (
    select * from {{ ref('int_estimation_stats') }}
),
{%- if selected %}

selected_stats as (
    select * from {{ expected_return_stats() }}
),

factor_returns as (
    select event_id, ticker, relative_day, risk_free_rate, expected_excess_return, abnormal_return
    from {{ ref('int_factor_abnormal_returns') }}
),
{%- endif %}

catalog_event_days as (
    select event_id, ticker, day_zero_date
    from events
    where event_origin = 'catalog'
),

abnormal as (
    select
        windows.event_id,
        windows.ticker,
        windows.relative_day,
        windows.session_date,
        events.event_origin,
        events.group_name,
        events.day_zero_date,
        windows.stock_return,
        windows.benchmark_ticker,
        windows.benchmark_return,
        windows.stock_return - windows.benchmark_return             as abnormal_return_market_adjusted,
        case when stats.is_included
            then stats.alpha + stats.beta * windows.benchmark_return
        end                                                         as expected_return_market_model,
        case when stats.is_included
            then windows.stock_return - (stats.alpha + stats.beta * windows.benchmark_return)
        end                                                         as abnormal_return_market_model,
        '{{ model }}'                                               as expected_return_model,
        {%- if selected %}
        case when selected_stats.is_included
            then factor_returns.risk_free_rate + factor_returns.expected_excess_return
        end                                                         as expected_return_selected_model,
        case when selected_stats.is_included
            then factor_returns.abnormal_return
        end                                                         as abnormal_return_selected_model,
        {%- endif %}
        stats.alpha,
        stats.beta,
        {%- set pair = 'selected_stats' if selected else 'stats' %}
        {{ pair }}.residual_sd,
        {{ pair }}.estimation_obs,
        {{ pair }}.is_included                                      as is_estimation_valid,
        {{ pair }}.exclusion_reason
    from windows
    inner join events
        on events.event_id = windows.event_id
        and events.ticker = windows.ticker
    inner join stats
        on stats.event_id = windows.event_id
        and stats.ticker = windows.ticker
    {%- if selected %}
    inner join selected_stats
        on selected_stats.event_id = windows.event_id
        and selected_stats.ticker = windows.ticker
    left join factor_returns
        on factor_returns.event_id = windows.event_id
        and factor_returns.ticker = windows.ticker
        and factor_returns.relative_day = windows.relative_day
    {%- endif %}
),

cumulated as (
    select
        *,
        relative_day - {{ var('event_window_start') }} + 1 as days_from_window_start,
        sum(abnormal_return_market_model) over running       as running_sum_market_model,
        count(abnormal_return_market_model) over running     as running_count_market_model,
        sum(abnormal_return_market_adjusted) over running    as running_sum_market_adjusted,
        count(abnormal_return_market_adjusted) over running  as running_count_market_adjusted
        {%- if selected %},
        sum(abnormal_return_selected_model) over running     as running_sum_selected_model,
        count(abnormal_return_selected_model) over running   as running_count_selected_model
        {%- endif %}
    from abnormal
    window running as (
        partition by event_id, ticker order by relative_day
        rows between unbounded preceding and current row
    )
),

-- Other catalogued events of the same ticker whose day 0 falls inside this event window.
confounders as (
    select
        pairs.event_id,
        pairs.ticker,
        {{ sorted_distinct_list_agg('other.event_id') }} as confounding_event_ids
    from (select event_id, ticker, min(session_date) as first_date, max(session_date) as last_date
          from abnormal group by event_id, ticker) as pairs
    inner join catalog_event_days as other
        on other.ticker = pairs.ticker
        and other.event_id <> pairs.event_id
        and other.day_zero_date between pairs.first_date and pairs.last_date
    group by pairs.event_id, pairs.ticker
),

final as (
    select
        cumulated.event_id,
        cumulated.ticker,
        cumulated.relative_day,
        cumulated.session_date,
        cumulated.event_origin,
        cumulated.group_name,
        cumulated.day_zero_date,
        cumulated.stock_return,
        cumulated.benchmark_ticker,
        cumulated.benchmark_return,
        cumulated.abnormal_return_market_adjusted,
        cumulated.expected_return_market_model,
        cumulated.abnormal_return_market_model,
        cumulated.abnormal_return_{{ 'selected_model' if selected else 'market_model' }}
            / nullif(cumulated.residual_sd, 0)              as standardized_abnormal_return,
        case when cumulated.running_count_market_model = cumulated.days_from_window_start
            then cumulated.running_sum_market_model
        end                                                 as car_market_model,
        case when cumulated.running_count_market_adjusted = cumulated.days_from_window_start
            then cumulated.running_sum_market_adjusted
        end                                                 as car_market_adjusted,
        cumulated.alpha,
        cumulated.beta,
        cumulated.residual_sd,
        cumulated.estimation_obs,
        cumulated.is_estimation_valid,
        cumulated.exclusion_reason,
        exists (
            select 1 from catalog_event_days as other
            where other.ticker = cumulated.ticker
                and other.event_id <> cumulated.event_id
                and other.day_zero_date = cumulated.session_date
        )                                                   as is_other_event_day,
        confounders.event_id is not null                    as has_confounding_event,
        coalesce(confounders.confounding_event_ids, {{ empty_text_list() }}) as confounding_event_ids,
        cumulated.expected_return_model,
        {%- set source = 'selected_model' if selected else 'market_model' %}
        cumulated.expected_return_{{ source }}              as expected_return_selected_model,
        cumulated.abnormal_return_{{ source }}              as abnormal_return_selected_model,
        case when cumulated.running_count_{{ source }} = cumulated.days_from_window_start
            then cumulated.running_sum_{{ source }}
        end                                                 as car_selected_model
    from cumulated
    left join confounders
        on confounders.event_id = cumulated.event_id
        and confounders.ticker = cumulated.ticker
)

select * from final
