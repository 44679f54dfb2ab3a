-- One row per event-ticker pair: the market model fitted by OLS over the estimation window.
-- r_i = alpha + beta * r_m + e on the sessions where both returns exist; residual_sd is
-- sqrt(SSR / (M - 2)) with M = estimation_obs. A pair with fewer than var('min_estimation_obs')
-- observations (or a degenerate fit) is kept, flagged not included, with the reason.
with events as (
    select event_id, ticker from {{ ref('int_events') }}
),

estimation_rows as (
    select event_id, ticker, relative_day, session_date, stock_return, benchmark_return
    from {{ ref('int_event_windows') }}
    where window_part = 'estimation'
),

fits as (
    select
        event_id,
        ticker,
        count(*)                                              as estimation_sessions,
        min(session_date)                                     as estimation_start_date,
        max(session_date)                                     as estimation_end_date,
        regr_count(stock_return, benchmark_return)            as estimation_obs,
        -- regr_slope over fewer than two points, or a constant benchmark, is NaN, not null.
        case when regr_count(stock_return, benchmark_return) >= 2
            then nullif(regr_intercept(stock_return, benchmark_return), 'NaN'::double)
        end                                                   as alpha,
        case when regr_count(stock_return, benchmark_return) >= 2
            then nullif(regr_slope(stock_return, benchmark_return), 'NaN'::double)
        end                                                   as beta
    from estimation_rows
    group by event_id, ticker
),

residual_sums as (
    select
        fits.event_id,
        fits.ticker,
        sum(power(
            estimation_rows.stock_return
            - (fits.alpha + fits.beta * estimation_rows.benchmark_return), 2
        ))                                                    as sum_squared_residuals
    from fits
    inner join estimation_rows
        on estimation_rows.event_id = fits.event_id
        and estimation_rows.ticker = fits.ticker
    where estimation_rows.stock_return is not null
        and estimation_rows.benchmark_return is not null
        and fits.beta is not null
    group by fits.event_id, fits.ticker
),

combined as (
    select
        events.event_id,
        events.ticker,
        '{{ var("benchmark_ticker") }}'                       as benchmark_ticker,
        fits.estimation_start_date,
        fits.estimation_end_date,
        coalesce(fits.estimation_sessions, 0)                 as estimation_sessions,
        coalesce(fits.estimation_obs, 0)                      as estimation_obs,
        fits.alpha,
        fits.beta,
        residual_sums.sum_squared_residuals,
        case when fits.estimation_obs > 2
            then sqrt(residual_sums.sum_squared_residuals / (fits.estimation_obs - 2))
        end                                                   as residual_sd
    from events
    left join fits
        on fits.event_id = events.event_id
        and fits.ticker = events.ticker
    left join residual_sums
        on residual_sums.event_id = events.event_id
        and residual_sums.ticker = events.ticker
),

final as (
    select
        *,
        case
            when ticker = benchmark_ticker
                then 'ticker is the benchmark'
            when estimation_obs < {{ var('min_estimation_obs') }}
                then 'only ' || estimation_obs || ' estimation returns (minimum '
                    || {{ var('min_estimation_obs') }} || ')'
            when beta is null
                then 'market model could not be fitted (constant benchmark return)'
            when residual_sd is null or residual_sd = 0
                then 'zero residual variance'
        end                                                   as exclusion_reason
    from combined
)

select
    *,
    exclusion_reason is null as is_included
from final
