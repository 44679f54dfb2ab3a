-- One row per ticker with a bar on the latest stored session L (the last session the benchmark
-- has a bar on): its market-model abnormal return on L and the standardised one, the model fitted
-- by OLS over the same estimation window as the event study, sessions
-- [L + var estimation_window_start, L + var estimation_window_end] (default -250 to -11), on the
-- sessions where both returns exist. SAR = AR / residual_sd, residual_sd = sqrt(SSR / (M - 2)).
-- A ticker with fewer than var('min_estimation_obs') estimation returns, or a degenerate fit, has
-- null AR and SAR and says why in exclusion_reason (an alert needs a SAR). The benchmark itself is
-- left out: its abnormal return against itself is zero by construction.
with returns as (
    select ticker, session_date, session_index, daily_return
    from {{ ref('int_daily_returns') }}
),

benchmark as (
    select session_date, session_index, daily_return as benchmark_return
    from returns
    where ticker = '{{ var("benchmark_ticker") }}'
),

latest as (
    select max(session_date) as session_date, max(session_index) as session_index
    from benchmark
    where benchmark_return is not null
),

tickers as (
    select ticker, group_name from {{ ref('int_ticker_groups') }}
    where ticker <> '{{ var("benchmark_ticker") }}'
),

estimation as (
    select returns.ticker, returns.daily_return as stock_return, benchmark.benchmark_return
    from returns
    inner join benchmark
        on benchmark.session_index = returns.session_index
    cross join latest
    where returns.session_index
        between latest.session_index + {{ var('estimation_window_start') }}
        and latest.session_index + {{ var('estimation_window_end') }}
        and returns.ticker <> '{{ var("benchmark_ticker") }}'
),

fits as (
    select
        ticker,
        regr_count(stock_return, benchmark_return)                         as estimation_obs,
        case when regr_count(stock_return, benchmark_return) >= 2
            then nullif(regr_intercept(stock_return, benchmark_return), 'NaN'::double)
        end                                                                as alpha,
        case when regr_count(stock_return, benchmark_return) >= 2
            then nullif(regr_slope(stock_return, benchmark_return), 'NaN'::double)
        end                                                                as beta
    from estimation
    group by ticker
),

residuals as (
    select
        fits.ticker,
        case when fits.estimation_obs > 2 then sqrt(
            sum(power(estimation.stock_return
                      - (fits.alpha + fits.beta * estimation.benchmark_return), 2))
            / (fits.estimation_obs - 2)
        ) end                                                              as residual_sd
    from fits
    inner join estimation
        on estimation.ticker = fits.ticker
    where fits.beta is not null
        and estimation.stock_return is not null
        and estimation.benchmark_return is not null
    group by fits.ticker, fits.estimation_obs
),

day_zero as (
    select
        tickers.ticker,
        tickers.group_name,
        latest.session_date,
        returns.daily_return                                               as stock_return,
        benchmark.benchmark_return,
        coalesce(fits.estimation_obs, 0)                                   as estimation_obs,
        fits.alpha,
        fits.beta,
        residuals.residual_sd
    from tickers
    cross join latest
    inner join returns
        on returns.ticker = tickers.ticker
        and returns.session_index = latest.session_index
    inner join benchmark
        on benchmark.session_index = latest.session_index
    left join fits
        on fits.ticker = tickers.ticker
    left join residuals
        on residuals.ticker = tickers.ticker
),

reasoned as (
    select
        *,
        case
            when stock_return is null
                then 'no return on the latest session (a bar is missing)'
            when estimation_obs < {{ var('min_estimation_obs') }}
                then estimation_obs || ' estimation returns, minimum '
                    || {{ var('min_estimation_obs') }}
            when beta is null
                then 'market model could not be fitted (constant benchmark return)'
            when residual_sd is null or residual_sd = 0
                then 'zero residual variance'
        end                                                                as exclusion_reason
    from day_zero
),

final as (
    select
        ticker,
        group_name,
        session_date,
        stock_return,
        benchmark_return,
        estimation_obs,
        alpha,
        beta,
        residual_sd,
        case when exclusion_reason is null
            then stock_return - (alpha + beta * benchmark_return)
        end                                                                as abnormal_return,
        case when exclusion_reason is null
            then (stock_return - (alpha + beta * benchmark_return)) / residual_sd
        end                                                                as standardized_abnormal_return,
        exclusion_reason
    from reasoned
)

select * from final
