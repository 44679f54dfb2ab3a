{{ config(tags=['spark']) }}
-- One row per event, ticker and summary window [t1, t2] (var summary_windows).
-- Conventions (market model unless named otherwise; L = t2 - t1 + 1 sessions; M = estimation_obs;
-- s = residual_sd, sqrt(SSR / (M - 2))):
--   car  = sum of market-model ARs over the window;  car_market_adjusted = sum of (r - r_m)
--   bhar = prod(1 + r) - prod(1 + alpha + beta * r_m);  bhar_market_adjusted = prod(1 + r) - prod(1 + r_m)
--   car_standard_error = s * sqrt(L + L^2 / M + (sum_window (r_m,t - mean r_m))^2 / Sxx), mean r_m
--     and Sxx = sum (r_m - mean r_m)^2 over the estimation window: the variance of CAR including
--     the estimation error of alpha and beta (MacKinlay 1997, eq. 13-14; Campbell, Lo and
--     MacKinlay 1997, ch. 4.4)
--   scar = car / car_standard_error, the standardised CAR that BMP averages across pairs
--   t_statistic = scar, the single-pair test, kept as its own column so each use reads by its
--   name; p_value: two-sided, Student t with M - 2 degrees of freedom (degrees_of_freedom).
-- A window statistic needs every one of its L returns: otherwise it is null and the row excluded.
-- exclusion_reason: the pair's own (int_estimation_stats) when its market model is not used, else
-- what the window lacks, the first that applies:
--   'event after the last stored session': day 0 is not stored yet
--   'window ends after the last stored session (k of L sessions stored)'
--   'day 0 falls on a missing bar', 'day 0 falls on a missing bar of the benchmark SPY'
--   'k of L abnormal returns: no bar on D1, D2; no SPY bar on D3': the missing bars from the
--     session before the window (whose close the first return needs) to its end
-- The expected-return model: var('expected_return_model') (setting ADRPULSE_EXPECTED_RETURN_MODEL,
-- named in expected_return_model) selects the ARs the CAR sums and the pair statistics (macro
-- expected_return_stats). With market_model (the default) everything above holds as written. With
-- ff3 / ff5 (K = 3 / 5 factors, int_factor_model_fit): car sums the factor model's ARs
-- r - rf - (alpha + sum_k beta_k f_k); bhar = prod(1 + r) - prod(1 + rf + alpha + sum_k beta_k f_k);
-- s = sqrt(SSR / (M - K - 1)) and M are the factor fit's; the CAR variance is
--     s^2 * (L + L^2 / M + d' S^-1 d),  d = sum over the window of (x_t - mean x)
-- (x = the factor vector, mean x and S = the factors' centered cross-product matrix over the M
-- estimation sessions; d' S^-1 d = ||L^-1 d||^2 by forward substitution with the fit's Cholesky
-- factor, macro cholesky_squared_norm), which for K = 1 and x = r_m is the market model's
-- formula above; degrees_of_freedom = M - K - 1. A window day without factors has no AR:
-- 'k of L abnormal returns: ...; no factors on D4' (the benchmark's bars do not enter).
{%- set model = factor_model_name() %}
{%- set factors = factor_model_columns() %}
{%- set selected = model != 'market_model' %}
{%- set k = expected_return_slopes() | int %}
{%- set source = 'selected_model' if selected else 'market_model' %}
with window_returns as (
    select * from {{ ref('int_event_window_returns') }}
),

stats as (
    select * from {{ expected_return_stats() }}
),
{%- if selected %}

-- The day's factors and whether the factor file has the date.
factor_days as (
    select event_id, ticker, relative_day, session_date, has_factors
        {%- for f in factors %}, {{ f }}{% endfor %}
    from {{ ref('int_factor_abnormal_returns') }}
),
{%- endif %}

events as (
    select * from {{ ref('int_events') }}
),

summary_windows as (
    {{ summary_windows_relation() }}
),

-- The rows the summary windows can reach (each from the session before it) and day 0; the rest
-- of the estimation window is not read.
{%- set first_read = [var('summary_windows') | map('first') | min - 1, 0] | min %}
{%- set last_read = [var('summary_windows') | map('last') | max, 0] | max %}
window_rows as (
    select event_id, ticker, relative_day, session_date, has_bar, benchmark_has_bar
    from {{ ref('int_event_windows') }}
    where relative_day between {{ first_read }} and {{ last_read }}
),

-- Rows exist for every session up to the last stored one, whatever the bars; a pair without any
-- here has no row on day 0, i.e. day 0 is not stored.
pair_last_stored as (
    select event_id, ticker, max(relative_day) as last_stored_relative_day
    from window_rows
    group by event_id, ticker
),

pair_windows as (
    select
        events.event_id,
        events.ticker,
        events.group_name,
        events.event_origin,
        events.day_zero_date,
        summary_windows.window_label,
        summary_windows.window_start,
        summary_windows.window_end,
        summary_windows.window_end - summary_windows.window_start + 1 as window_length
    from events
    cross join summary_windows
),

window_sums as (
    select
        pair_windows.event_id,
        pair_windows.ticker,
        pair_windows.window_label,
        count(window_returns.relative_day)                                as window_sessions,
        count(window_returns.abnormal_return_{{ source }})                as returns_selected_model,
        count(window_returns.abnormal_return_market_adjusted)             as returns_market_adjusted,
        sum(window_returns.abnormal_return_{{ source }})                  as sum_ar_selected_model,
        sum(window_returns.abnormal_return_market_adjusted)               as sum_ar_market_adjusted,
        {{ product_agg('1 + window_returns.stock_return') }}              as gross_stock,
        {{ product_agg('1 + window_returns.expected_return_' ~ source) }} as gross_expected,
        {{ product_agg('1 + window_returns.benchmark_return') }}          as gross_benchmark,
        sum(window_returns.benchmark_return)                              as sum_benchmark_return,
        {%- if selected %}
        {%- for f in factors %}
        sum(factor_days.{{ f }})                                          as sum_{{ f }},
        {%- endfor %}
        {{ list_agg('factor_days.session_date', ['factor_days.relative_day'],
                    filter='not factor_days.has_factors') }}              as missing_factor_dates,
        {%- endif %}
        min(window_returns.session_date)                                  as first_session_date,
        max(window_returns.session_date)                                  as last_session_date
    from pair_windows
    left join window_returns
        on window_returns.event_id = pair_windows.event_id
        and window_returns.ticker = pair_windows.ticker
        and window_returns.relative_day
            between pair_windows.window_start and pair_windows.window_end
    {%- if selected %}
    left join factor_days
        on factor_days.event_id = window_returns.event_id
        and factor_days.ticker = window_returns.ticker
        and factor_days.relative_day = window_returns.relative_day
    {%- endif %}
    group by pair_windows.event_id, pair_windows.ticker, pair_windows.window_label
),

-- The bars a window's returns need, from the session before it to its end, that are missing.
window_bars as (
    select
        pair_windows.event_id,
        pair_windows.ticker,
        pair_windows.window_label,
        bool_or(window_rows.relative_day = 0 and not window_rows.has_bar)
                                                            as day_zero_bar_missing,
        bool_or(window_rows.relative_day = 0 and not window_rows.benchmark_has_bar)
                                                            as day_zero_benchmark_bar_missing,
        {{ list_agg('window_rows.session_date', ['window_rows.relative_day'],
                    filter='not window_rows.has_bar') }}    as missing_bar_dates,
        {{ list_agg('window_rows.session_date', ['window_rows.relative_day'],
                    filter='not window_rows.benchmark_has_bar') }} as missing_benchmark_bar_dates
    from pair_windows
    inner join window_rows
        on window_rows.event_id = pair_windows.event_id
        and window_rows.ticker = pair_windows.ticker
        and window_rows.relative_day
            between pair_windows.window_start - 1 and pair_windows.window_end
    group by pair_windows.event_id, pair_windows.ticker, pair_windows.window_label
),

-- Other catalogued events of the same ticker with day 0 inside this summary window.
window_confounders as (
    select
        window_sums.event_id,
        window_sums.ticker,
        window_sums.window_label,
        {{ sorted_distinct_list_agg('other.event_id') }} as confounding_event_ids
    from window_sums
    inner join events as other
        on other.ticker = window_sums.ticker
        and other.event_origin = 'catalog'
        and other.event_id <> window_sums.event_id
        and other.day_zero_date between window_sums.first_session_date
            and window_sums.last_session_date
    group by window_sums.event_id, window_sums.ticker, window_sums.window_label
),

{%- if selected %}
-- The factor model's prediction-error term of each window: d = sum over the window of
-- (x_t - mean x), d' S^-1 d by forward substitution with the pair's Cholesky factor.
window_deviations as (
    select
        window_sums.event_id,
        window_sums.ticker,
        window_sums.window_label
        {%- for i in range(1, k + 1) %}{% for j in range(1, i + 1) %},
        stats.cholesky_{{ i }}_{{ j }}
        {%- endfor %}{% endfor %}
        {%- for f in factors %},
        window_sums.sum_{{ f }} - pair_windows.window_length * stats.factor_mean_{{ f }}
                                                              as deviation_{{ f }}
        {%- endfor %}
    from window_sums
    inner join pair_windows
        on pair_windows.event_id = window_sums.event_id
        and pair_windows.ticker = window_sums.ticker
        and pair_windows.window_label = window_sums.window_label
    inner join stats
        on stats.event_id = window_sums.event_id
        and stats.ticker = window_sums.ticker
),

{%- set deviations = [] %}
{%- for f in factors %}{% do deviations.append('deviation_' ~ f) %}{% endfor %}
window_prediction_terms as {{ cholesky_squared_norm('window_deviations', deviations,
                                                    'prediction_error_term') }},
{%- endif %}

final as (
    select
        pair_windows.event_id,
        pair_windows.ticker,
        pair_windows.window_label,
        pair_windows.window_start,
        pair_windows.window_end,
        pair_windows.window_length,
        pair_windows.group_name,
        pair_windows.event_origin,
        pair_windows.day_zero_date,
        stats.benchmark_ticker,
        '{{ model }}'                                         as expected_return_model,
        coalesce(window_sums.returns_selected_model, 0)         as window_returns_count,
        case when window_sums.returns_selected_model = pair_windows.window_length
            then window_sums.sum_ar_selected_model end          as car,
        case when window_sums.returns_market_adjusted = pair_windows.window_length
            then window_sums.sum_ar_market_adjusted end       as car_market_adjusted,
        case when window_sums.returns_selected_model = pair_windows.window_length
            then window_sums.gross_stock - window_sums.gross_expected end as bhar,
        case when window_sums.returns_market_adjusted = pair_windows.window_length
            then window_sums.gross_stock - window_sums.gross_benchmark end as bhar_market_adjusted,
        {%- if selected %}
        -- s * sqrt(L + L^2 / M + d' S^-1 d)
        case when window_sums.returns_selected_model = pair_windows.window_length
            then stats.residual_sd * sqrt(
                pair_windows.window_length
                + pair_windows.window_length * pair_windows.window_length
                    / stats.estimation_obs
                + window_prediction_terms.prediction_error_term)
        end                                                   as car_standard_error,
        {%- else %}
        -- s * sqrt(L + L^2 / M + (sum over the window of (r_m - mean r_m))^2 / Sxx)
        case when window_sums.returns_selected_model = pair_windows.window_length
            then stats.residual_sd * sqrt(
                pair_windows.window_length
                + pair_windows.window_length * pair_windows.window_length
                    / stats.estimation_obs
                + power(window_sums.sum_benchmark_return
                        - pair_windows.window_length * stats.benchmark_estimation_mean, 2)
                    / stats.benchmark_estimation_sxx)
        end                                                   as car_standard_error,
        {%- endif %}
        stats.residual_sd,
        stats.estimation_obs,
        window_confounders.event_id is not null               as has_confounding_event,
        coalesce(window_confounders.confounding_event_ids, {{ empty_text_list() }}) as confounding_event_ids,
        case
            when not stats.is_included then stats.exclusion_reason
            when coalesce(window_sums.returns_selected_model, 0) = pair_windows.window_length
                then null
            when coalesce(pair_last_stored.last_stored_relative_day < 0, true)
                then 'event after the last stored session'
            when pair_last_stored.last_stored_relative_day < pair_windows.window_end
                then 'window ends after the last stored session ('
                    || coalesce(window_sums.window_sessions, 0) || ' of '
                    || pair_windows.window_length || ' sessions stored)'
            when pair_windows.window_start <= 0 and pair_windows.window_end >= 0
                and window_bars.day_zero_bar_missing
                then 'day 0 falls on a missing bar'
            {%- if not selected %}
            when pair_windows.window_start <= 0 and pair_windows.window_end >= 0
                and window_bars.day_zero_benchmark_bar_missing
                then 'day 0 falls on a missing bar of the benchmark ' || stats.benchmark_ticker
            {%- endif %}
            else coalesce(window_sums.returns_selected_model, 0) || ' of '
                || pair_windows.window_length || ' abnormal returns'
                || case when {{ list_length('window_bars.missing_bar_dates') }} > 0
                    then ': no bar on '
                        || {{ join_list('window_bars.missing_bar_dates', ', ') }}
                    else '' end
                {%- if selected %}
                || case when {{ list_length('window_sums.missing_factor_dates') }} > 0
                    then case when {{ list_length('window_bars.missing_bar_dates') }} > 0
                        then '; ' else ': ' end
                        || 'no factors on '
                        || {{ join_list('window_sums.missing_factor_dates', ', ') }}
                    else '' end
                {%- else %}
                || case when {{ list_length('window_bars.missing_benchmark_bar_dates') }} > 0
                    then case when {{ list_length('window_bars.missing_bar_dates') }} > 0
                        then '; ' else ': ' end
                        || 'no ' || stats.benchmark_ticker || ' bar on '
                        || {{ join_list('window_bars.missing_benchmark_bar_dates', ', ') }}
                    else '' end
                {%- endif %}
        end                                                   as exclusion_reason
    from pair_windows
    inner join stats
        on stats.event_id = pair_windows.event_id
        and stats.ticker = pair_windows.ticker
    left join window_sums
        on window_sums.event_id = pair_windows.event_id
        and window_sums.ticker = pair_windows.ticker
        and window_sums.window_label = pair_windows.window_label
    left join window_confounders
        on window_confounders.event_id = pair_windows.event_id
        and window_confounders.ticker = pair_windows.ticker
        and window_confounders.window_label = pair_windows.window_label
    left join window_bars
        on window_bars.event_id = pair_windows.event_id
        and window_bars.ticker = pair_windows.ticker
        and window_bars.window_label = pair_windows.window_label
    left join pair_last_stored
        on pair_last_stored.event_id = pair_windows.event_id
        and pair_last_stored.ticker = pair_windows.ticker
    {%- if selected %}
    left join window_prediction_terms
        on window_prediction_terms.event_id = pair_windows.event_id
        and window_prediction_terms.ticker = pair_windows.ticker
        and window_prediction_terms.window_label = pair_windows.window_label
    {%- endif %}
)

select
    *,
    car / car_standard_error                                          as scar,
    car / car_standard_error                                          as t_statistic,
    case when car is not null then cast(estimation_obs as bigint) - {{ k + 1 }} end as degrees_of_freedom,
    {{ student_t_two_sided_p_value('car / car_standard_error', 'cast(estimation_obs as bigint) - ' ~ (k + 1)) }}
                                                                      as p_value,
    exclusion_reason is null                                          as is_included
from final
