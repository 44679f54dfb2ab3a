{{ config(tags=['spark']) }}
{%- set n = var('trading_days_per_year') -%}
{%- set baskets = var('performance_baskets') -%}
-- One row per subject (ticker, or basket of var performance_baskets) and period, over the daily
-- returns of int_performance_returns. docs/performance.md gives every formula and its reference.
-- Periods end on the as-of date, the latest session with a stored return of any subject; each
-- starts after its anchor session, whose close is the base:
--   ytd              the last session on or before Dec 31 of the year before the as-of date
--   1y               the last session on or before the as-of date minus 12 months
--   since_inception  the subject's inception_date (int_performance_returns)
--   since_event      the last session before day 0 of var performance_event_id (int_events)
-- A subject whose history starts after the anchor starts at its inception instead
-- (is_full_period false). Conventions: n = the period's returns (nulls skipped), A = var
-- trading_days_per_year; rf_d = (1 + rf)^(1/A) - 1 with rf the annual var risk_free_rate;
-- sd is the sample sd (n - 1).
--   cagr = (prod(1 + r))^(A/n) - 1; volatility = sd(r) sqrt(A)
--   sharpe = mean(r - rf_d) / sd(r) sqrt(A)
--   sortino = mean(r - rf_d) / sqrt(sum(min(r - rf_d, 0)^2) / n) sqrt(A)
--   drawdown_t = W_t / max(W_s, anchor <= s <= t) - 1 with W = 1 at the anchor;
--     calmar = cagr / |max drawdown|. A ticker's since_inception drawdown is put together from
--     its years (inception_troughs below).
--   var_95 = the 5% quantile of r, linear interpolation between order statistics;
--     cvar_95 = mean of the returns at or below it
--   skewness, excess_kurtosis: the bias-adjusted sample estimators (G1, G2)
--   beta = cov(r, b) / cov(b, b); alpha = A (mean(r - rf_d) - beta mean(b - rf_d)), over the
--     sessions where both returns exist (b: var benchmark_ticker)
--   information_ratio = mean(r - c) / sd(r - c) sqrt(A) (c: the comparison basket)
-- Not materialized: each read of the view (as_of, subjects, the period rows, the benchmark and
-- comparison joins, the VaR tail) takes only its own rows, where one shared copy of its 25M rows
-- cost about a fifth of the model at 5,000 x 20 (docs/BENCHMARKS.md).
with series as {{ inlined_cte() }} (
    select * from {{ ref('int_performance_returns') }}
),

calendar as (
    select session_date, session_index from {{ ref('int_trading_calendar') }}
),

-- The tickers' latest return from their yearly rows (int_ticker_yearly_return_stats keeps each
-- year's last session with a return), the baskets' from their own rows: a scan of every
-- ticker's sessions for one date grew with the history: with the subjects below, a sixth of this
-- model's time at 5,000 x 20 (1.35 s -> 1.12 s run alone; docs/BENCHMARKS.md).
as_of as (
    select max(session_date) as as_of_date
    from (
        select calendar.session_date
        from calendar
        where calendar.session_index = (
            select max(last_return_index) from {{ ref('int_ticker_yearly_return_stats') }}
        )
        union all
        select max(session_date)
        from series
        where subject_kind = 'basket'
            and daily_return is not null
    ) as latest_returns
),

event_day_zero as (
    select
        '{{ var("performance_event_id") }}'   as event_id,
        min(day_zero_date)                    as day_zero_date
    from {{ ref('int_events') }}
    -- the US listings' day 0 (the Hong Kong lines' can be a day earlier; the returns here are US)
    where event_id = '{{ var("performance_event_id") }}'
        and exchange = 'XNYS'
),

-- since_event is left out when the event is not catalogued or day 0 is after the as-of date.
period_anchors as (
    select 'ytd' as period, cast(null as {{ text_type() }}) as event_id, max(calendar.session_date) as anchor_date
    from calendar cross join as_of
    where calendar.session_date <= make_date(year(as_of.as_of_date) - 1, 12, 31)
    union all
    select '1y', null, max(calendar.session_date)
    from calendar cross join as_of
    where calendar.session_date <= {{ one_year_before('as_of.as_of_date') }}
    union all
    select 'since_inception', null, null
    union all
    select 'since_event', event_day_zero.event_id, max(calendar.session_date)
    from calendar cross join event_day_zero cross join as_of
    where calendar.session_date < event_day_zero.day_zero_date
        and event_day_zero.day_zero_date <= as_of.as_of_date
    group by event_day_zero.event_id
),

-- Every ticker with prices (its rows of series run from its first bar, the inception) and every
-- basket, without reading each one's sessions to list them.
subjects as (
    select ticker as subject, 'ticker' as subject_kind, first_bar_date as inception_date
    from {{ ref('int_ticker_groups') }}
    where has_prices
    union all
    select distinct subject, subject_kind, inception_date
    from series
    where subject_kind = 'basket'
),

-- The comparison basket of the information ratio: the other basket of var performance_baskets,
-- for a basket and for a ticker of either basket's group.
comparisons as (
    {{ comparison_baskets() }}
),

-- Materialized: the ids below must come from one evaluation. The windows and aggregates over the
-- period rows key on this integer instead of (subject, period): at 5,000 tickers x 20 years those
-- rows number 27M, and narrow sort keys and payloads are what keeps the two window passes in
-- memory (docs/BENCHMARKS.md).
subject_periods as {{ materialized_cte() }} (
    select
        cast(row_number() over (order by subjects.subject, period_anchors.period) as integer)
                                                                           as subject_period_id,
        subjects.subject,
        subjects.subject_kind,
        period_anchors.period,
        period_anchors.event_id,
        coalesce(period_anchors.anchor_date, subjects.inception_date)     as anchor_date,
        greatest(coalesce(period_anchors.anchor_date, subjects.inception_date),
                 subjects.inception_date)                                  as start_date,
        coalesce(period_anchors.anchor_date, subjects.inception_date)
            >= subjects.inception_date                                     as is_full_period,
        comparisons.comparison_basket,
        period_anchors.period = 'since_inception' and subjects.subject_kind = 'ticker'
                                                                           as is_ticker_inception
    from subjects
    cross join period_anchors
    left join {{ ref('int_ticker_groups') }} as groups
        on subjects.subject_kind = 'ticker'
        and groups.ticker = subjects.subject
    left join comparisons
        on comparisons.group_name = case when subjects.subject_kind = 'basket'
                                         then subjects.subject else groups.group_name end
    where period_anchors.anchor_date is not null or period_anchors.period = 'since_inception'
),

-- The sessions a ticker's period other than since_inception can hold: after the earliest of
-- their starts (the ytd, 1y and since_event anchors, a year or two back). The tickers' rows join
-- them on equality, a few hundred sessions, so that DuckDB pushes their range into the scan of
-- int_daily_returns (stored in session order) and skips the older row groups; the baskets' rows,
-- whose since_inception is their whole history, are read whole.
ticker_period_sessions as (
    select calendar.session_index
    from calendar
    where calendar.session_date > (
        select min(start_date) from subject_periods
        where subject_kind = 'ticker' and not is_ticker_inception
    )
),

-- One row per subject, period and session of the period, but for a ticker's since_inception
-- (inception_years below). Materialized: three CTEs read it, and the join should run once. Sessions are carried as session_index and turned into dates only in
-- the final rows.
period_returns as {{ materialized_cte() }} (
    select
        subject_periods.subject_period_id,
        series.session_index,
        series.daily_return                                  as r,
        benchmark.daily_return                               as b,
        case when series.daily_return is not null then benchmark.daily_return end
                                                             as b_paired,
        comparison.daily_return                              as c
    from subject_periods
    cross join as_of
    inner join (
        select series.*
        from series
        inner join ticker_period_sessions
            on ticker_period_sessions.session_index = series.session_index
        where series.subject_kind = 'ticker'
        union all
        select * from series where subject_kind = 'basket'
    ) as series
        on series.subject = subject_periods.subject
        and series.session_date > subject_periods.start_date
        and series.session_date <= as_of.as_of_date
        and not subject_periods.is_ticker_inception
    {{ benchmark_and_comparison_joins('series', 'series', 'subject_periods.comparison_basket') }}
),

-- Wealth W_t (1 at the anchor) and its running high; a session without a return keeps W.
-- Every period but a ticker's since_inception (inception_troughs).
wealth as (
    select
        subject_period_id,
        session_index,
        {{ product_over('1 + coalesce(r, 0)', 'running') }}                 as wealth
    from period_returns
    window running as (
        partition by subject_period_id order by session_index
        rows between unbounded preceding and current row
    )
),

-- Materialized: the peak and the recovery below compare wealth with the trough's high by value,
-- which must come from one evaluation of the window.
drawdowns as {{ materialized_cte() }} (
    select
        subject_period_id,
        session_index,
        wealth,
        greatest(1, max(wealth) over running)                                as high_water_mark,
        wealth / greatest(1, max(wealth) over running) - 1                   as drawdown
    from wealth
    window running as (
        partition by subject_period_id order by session_index
        rows between unbounded preceding and current row
    )
),

-- The deepest drawdown's trough (the first session at the minimum when it repeats).
troughs as (
    select
        subject_period_id,
        min(drawdown)                                                        as max_drawdown,
        -- a row key, not a list: the same order, without a list allocated per row
        {{ arg_min('session_index', ['drawdown', 'session_index']) }}          as trough_index,
        {{ arg_min('high_water_mark', ['drawdown', 'session_index']) }}        as trough_high
    from drawdowns
    group by subject_period_id
),

drawdown_dates as (
    select
        troughs.subject_period_id,
        troughs.max_drawdown,
        troughs.trough_index,
        -- the last session at the high before the trough (none: the anchor itself)
        max(drawdowns.session_index) filter (
            where drawdowns.session_index < troughs.trough_index
                and drawdowns.wealth = troughs.trough_high
        )                                                                    as peak_index,
        min(drawdowns.session_index) filter (
            where drawdowns.session_index > troughs.trough_index
                and drawdowns.wealth >= troughs.trough_high
        )                                                                    as recovery_index,
        max(drawdowns.session_index)                                         as last_index
    from troughs
    inner join drawdowns
        on drawdowns.subject_period_id = troughs.subject_period_id
    group by troughs.subject_period_id, troughs.max_drawdown, troughs.trough_index,
        troughs.trough_high
),

-- A ticker's since_inception figures, put together from its rows in
-- int_ticker_yearly_return_stats (one per calendar year, rewritten by a daily run for the current
-- year only) instead of from every session of its history: counts and sums add, the growth
-- factors multiply, and each year's central moments, taken about its own mean, move to the
-- overall mean m with d = (the year's mean) - m (the formulas are in that model's header).
inception_years as (
    select
        subject_periods.subject_period_id,
        years.return_count,
        years.return_mean,
        years.return_m2,
        years.return_m3,
        years.return_m4,
        years.growth_factor,
        years.downside_square_sum,
        years.positive_count,
        years.first_return_index,
        years.last_return_index,
        years.best_return,
        years.best_return_index,
        years.worst_return,
        years.worst_return_index,
        years.tail_threshold,
        years.benchmark_pairs,
        years.pair_return_mean,
        years.pair_benchmark_mean,
        years.pair_co_moment,
        years.pair_benchmark_m2,
        years.comparison_pairs,
        years.active_return_mean,
        years.active_return_m2,
        years.max_drawdown,
        years.max_drawdown_trough_index,
        years.max_drawdown_start_index,
        years.max_drawdown_recovery_index,
        years.last_drawdown_start_index,
        years.first_at_high_index,
        years.last_bar_index
    from subject_periods
    inner join {{ ref('int_ticker_yearly_return_stats') }} as years
        on years.ticker = subject_periods.subject
    where subject_periods.is_ticker_inception
),

inception_totals as (
    select
        subject_period_id,
        cast(sum(return_count) as bigint)                                    as return_count,
        sum(return_count * return_mean) / nullif(sum(return_count), 0)        as mean_return,
        min(first_return_index)                                              as first_return_index,
        max(last_return_index)                                               as last_return_index,
        {{ product_agg('growth_factor') }} - 1                                as total_return,
        sum(downside_square_sum)                                             as downside_square_sum,
        sum(positive_count)                                                  as positive_count,
        max(best_return)                                                     as best_return,
        min(worst_return)                                                    as worst_return,
        max(tail_threshold)                                                  as tail_threshold,
        cast(sum(benchmark_pairs) as bigint)                                 as benchmark_pairs,
        sum(benchmark_pairs * pair_return_mean) / nullif(sum(benchmark_pairs), 0)
                                                                             as pair_return_mean,
        sum(benchmark_pairs * pair_benchmark_mean) / nullif(sum(benchmark_pairs), 0)
                                                                             as pair_benchmark_mean,
        cast(sum(comparison_pairs) as bigint)                                as comparison_pairs,
        sum(comparison_pairs * active_return_mean) / nullif(sum(comparison_pairs), 0)
                                                                             as active_return_mean
    from inception_years
    group by subject_period_id
),

-- The central moments about the overall means. A year without a return (or without a pair) has
-- null means and adds nothing. The benchmark's own co-moment and M2 are the same products, so
-- its beta is exactly 1.
inception_moments as (
    select
        totals.subject_period_id,
        sum(years.return_m2
            + years.return_count * (years.return_mean - totals.mean_return)
                                 * (years.return_mean - totals.mean_return))  as m2,
        sum(years.return_m3
            + 3 * (years.return_mean - totals.mean_return) * years.return_m2
            + years.return_count * power(years.return_mean - totals.mean_return, 3))
                                                                             as m3,
        sum(years.return_m4
            + 4 * (years.return_mean - totals.mean_return) * years.return_m3
            + 6 * power(years.return_mean - totals.mean_return, 2) * years.return_m2
            + years.return_count * power(years.return_mean - totals.mean_return, 4))
                                                                             as m4,
        sum(years.pair_co_moment
            + years.benchmark_pairs * (years.pair_return_mean - totals.pair_return_mean)
                                    * (years.pair_benchmark_mean - totals.pair_benchmark_mean))
                                                                             as pair_co_moment,
        sum(years.pair_benchmark_m2
            + years.benchmark_pairs * (years.pair_benchmark_mean - totals.pair_benchmark_mean)
                                    * (years.pair_benchmark_mean - totals.pair_benchmark_mean))
                                                                             as pair_benchmark_m2,
        sum(years.active_return_m2
            + years.comparison_pairs * (years.active_return_mean - totals.active_return_mean)
                                     * (years.active_return_mean - totals.active_return_mean))
                                                                             as active_return_m2,
        -- the earliest session at the extreme, over the years that reach it
        min(years.best_return_index) filter (where years.best_return = totals.best_return)
                                                                             as best_return_index,
        min(years.worst_return_index) filter (where years.worst_return = totals.worst_return)
                                                                             as worst_return_index
    from inception_totals as totals
    inner join inception_years as years
        on years.subject_period_id = totals.subject_period_id
    group by totals.subject_period_id
),

-- A ticker's since_inception drawdown, from its years in int_ticker_yearly_return_stats. A
-- ticker's returns compound exactly to the ratio of its adjusted closes (int_performance_returns),
-- so W_t is adj_close_t / adj_close at inception and its drawdown is the close's against the
-- running high that int_daily_returns keeps; each year holds its deepest drawdown and the bars
-- around it, and the two windows above would run again over every session of every ticker (the
-- largest cost of the model, docs/BENCHMARKS.md). The trough is the deepest year's (the earliest
-- at a tie); the peak is the session before the last drawdown start at or before it, the
-- recovery the first bar at the high after it, each in the trough's year or another.
inception_troughs as (
    select
        subject_period_id,
        min(max_drawdown)                                                    as max_drawdown,
        {{ arg_min('max_drawdown_trough_index', ['max_drawdown', 'max_drawdown_trough_index']) }}
            filter (where max_drawdown is not null)                          as trough_index,
        max(last_bar_index)                                                  as last_index
    from inception_years
    group by subject_period_id
),

inception_drawdown_dates as (
    select
        troughs.subject_period_id,
        troughs.max_drawdown,
        troughs.trough_index,
        greatest(
            max(years.max_drawdown_start_index) filter (
                where years.max_drawdown_trough_index = troughs.trough_index
            ),
            max(years.last_drawdown_start_index) filter (
                where years.last_drawdown_start_index <= troughs.trough_index
            )
        ) - 1                                                                as peak_index,
        least(
            min(years.max_drawdown_recovery_index) filter (
                where years.max_drawdown_trough_index = troughs.trough_index
            ),
            min(years.first_at_high_index) filter (
                where years.first_at_high_index > troughs.trough_index
            )
        )                                                                    as recovery_index,
        troughs.last_index
    from inception_troughs as troughs
    inner join inception_years as years
        on years.subject_period_id = troughs.subject_period_id
    group by troughs.subject_period_id, troughs.max_drawdown, troughs.trough_index,
        troughs.last_index
),

all_drawdown_dates as (
    select subject_period_id, max_drawdown, trough_index, peak_index, recovery_index, last_index
    from drawdown_dates
    union all
    select subject_period_id, max_drawdown, trough_index, peak_index, recovery_index, last_index
    from inception_drawdown_dates
),

-- The returns VaR and CVaR need: those at or below the largest of the years' tail thresholds,
-- which hold both order statistics around the 5% position and every return at or below VaR
-- (int_ticker_yearly_return_stats says why), about a tenth of the history instead of all of it.
-- Materialized: the sort and the CVaR read it.
inception_tail as {{ materialized_cte() }} (
    select
        inception_totals.subject_period_id,
        series.daily_return                                                  as r,
        inception_totals.return_count - 1                                    as last_position
    from inception_totals
    inner join subject_periods
        on subject_periods.subject_period_id = inception_totals.subject_period_id
    inner join series
        on series.subject_kind = 'ticker'
        and series.subject = subject_periods.subject
        and series.daily_return <= inception_totals.tail_threshold
),

-- var_95 from its two order statistics around position (n - 1) * 0.05 (0-based; d is the
-- position's fraction), x_lo (1 - d) + x_hi d, read from the period's returns sorted into one
-- list. quantile_cont interpolates the same way and agrees to the last bit or one bit off
-- (2.2e-16 relative at most at 500 x 10): DuckDB's compiled code fuses a multiply and an add
-- there, which SQL cannot ask for. The lists hold the periods other than a ticker's
-- since_inception (a year or two of sessions each, the baskets' whole history) and that
-- period's tail only (inception_tail): its n is known, its positions from the bottom are the full
-- sort's. At 5,000 x 20 the lists (4.2M returns) take 0.37 s of CPU where a row_number over the
-- same rows took 0.5 s (the model run alone: 1.12 s -> 1.0 s); a quantile aggregate over every
-- return of every period, before inception_tail, did not fit under a 1GB cap (docs/BENCHMARKS.md). The same list gives the lowest and highest return (positions 0 and
-- n - 1) that moments then dates; a tail has no position n - 1, and its extremes come from the
-- ticker's years.
sorted_returns as (
    select
        subject_period_id,
        sorted_returns,
        last_position,
        is_tail,
        -- in doubles, as quantile_cont computes it (a decimal 0.05 would shift the fraction by
        -- the last bit)
        cast(last_position as double) * cast(0.05 as double)                as quantile_position
    from (
        select
            subject_period_id,
            {{ sorted_list_agg('r') }}                                        as sorted_returns,
            coalesce(max(known_last_position), count(r) - 1)                 as last_position,
            max(known_last_position) is not null                             as is_tail
        from (
            select subject_period_id, r, cast(null as bigint) as known_last_position
            from period_returns
            where r is not null
            union all
            select subject_period_id, r, last_position
            from inception_tail
        ) as sortable
        group by subject_period_id
    ) as lists
),

var_cutoffs as (
    select
        subject_period_id,
        {{ list_element('sorted_returns', 'cast(floor(quantile_position) as bigint) + 1') }}
            * (1 - (quantile_position - floor(quantile_position)))
            + {{ list_element('sorted_returns', 'cast(ceil(quantile_position) as bigint) + 1') }}
            * (quantile_position - floor(quantile_position))                as var_95,
        {{ list_element('sorted_returns', '1') }}                            as worst_return,
        case when not is_tail
            then {{ list_element('sorted_returns', 'last_position + 1') }} end
                                                                            as best_return
    from sorted_returns
),

period_moments as (
    select
        period_returns.subject_period_id,
        min(period_returns.session_index) filter (where period_returns.r is not null)
                                                                             as first_return_index,
        max(period_returns.session_index) filter (where period_returns.r is not null)
                                                                             as last_return_index,
        count(period_returns.r)                                              as return_count,
        {{ product_agg('1 + period_returns.r') }} - 1                         as total_return,
        avg(period_returns.r)                                                as mean_return,
        stddev_samp(period_returns.r)                                        as sd_return,
        sqrt(sum(power(least(period_returns.r - {{ rf_daily() }}, 0), 2))
             / count(period_returns.r))                                      as downside_deviation,
        any_value(var_cutoffs.var_95)                                        as var_95,
        avg(period_returns.r) filter (where period_returns.r <= var_cutoffs.var_95)
                                                                             as cvar_95,
        {{ sample_skewness('period_returns.r') }}                             as skewness,
        {{ sample_excess_kurtosis('period_returns.r') }}                      as excess_kurtosis,
        -- The best and worst session: the earliest session at the sort's highest (lowest)
        -- return, so that ties give the same date on every rebuild; a session without a return
        -- never matches. A filtered min, where an arg_max/arg_min keyed on (r, session) built a
        -- struct per row: measured alone at 5,000 x 20 the model took 11.8 s against 12.6 s
        -- with them (medians of 5, docs/BENCHMARKS.md, evening round of 2026-12-03).
        any_value(var_cutoffs.best_return)                                   as best_session_return,
        min(period_returns.session_index) filter (
            where period_returns.r = var_cutoffs.best_return
        )                                                                    as best_session_index,
        any_value(var_cutoffs.worst_return)                                  as worst_session_return,
        min(period_returns.session_index) filter (
            where period_returns.r = var_cutoffs.worst_return
        )                                                                    as worst_session_index,
        count(*) filter (where period_returns.r > 0) / count(period_returns.r)
                                                                             as share_positive_sessions,
        cast(regr_count(period_returns.r, period_returns.b) as bigint)       as benchmark_pairs,
        -- cov / var with one algorithm for both (regr_slope mixes two): for the benchmark
        -- itself beta is then exactly 1 and alpha exactly 0, whatever order threads combine in
        covar_samp(period_returns.r, period_returns.b)
            / nullif(covar_samp(period_returns.b_paired, period_returns.b_paired), 0)
                                                                             as beta,
        regr_avgy(period_returns.r - {{ rf_daily() }}, period_returns.b - {{ rf_daily() }})
                                                                             as mean_excess_paired,
        regr_avgx(period_returns.r - {{ rf_daily() }}, period_returns.b - {{ rf_daily() }})
                                                                             as mean_benchmark_excess_paired,
        count(period_returns.r - period_returns.c)                           as comparison_pairs,
        avg(period_returns.r - period_returns.c)                             as mean_active_return,
        stddev_samp(period_returns.r - period_returns.c)                     as tracking_error_daily
    from period_returns
    inner join var_cutoffs
        on var_cutoffs.subject_period_id = period_returns.subject_period_id
    group by period_returns.subject_period_id
),

inception_cvar as (
    select
        inception_tail.subject_period_id,
        avg(inception_tail.r) filter (where inception_tail.r <= var_cutoffs.var_95)
                                                                             as cvar_95
    from inception_tail
    inner join var_cutoffs
        on var_cutoffs.subject_period_id = inception_tail.subject_period_id
    group by inception_tail.subject_period_id
),

-- The same columns as moments, for a ticker's since_inception, from its years.
inception_summary as (
    select
        totals.subject_period_id,
        totals.first_return_index,
        totals.last_return_index,
        totals.return_count,
        totals.total_return,
        totals.mean_return,
        case when totals.return_count > 1
            then sqrt(inception_moments.m2 / (totals.return_count - 1)) end   as sd_return,
        sqrt(totals.downside_square_sum / totals.return_count)                as downside_deviation,
        var_cutoffs.var_95,
        inception_cvar.cvar_95,
        {{ skewness_from_moments('totals.return_count', 'inception_moments.m2',
                                 'inception_moments.m3') }}                   as skewness,
        {{ excess_kurtosis_from_moments('totals.return_count', 'inception_moments.m2',
                                        'inception_moments.m4') }}            as excess_kurtosis,
        totals.best_return                                                   as best_session_return,
        inception_moments.best_return_index                                  as best_session_index,
        totals.worst_return                                                  as worst_session_return,
        inception_moments.worst_return_index                                 as worst_session_index,
        totals.positive_count / totals.return_count                          as share_positive_sessions,
        totals.benchmark_pairs,
        case when totals.benchmark_pairs > 1
            then inception_moments.pair_co_moment
                / nullif(inception_moments.pair_benchmark_m2, 0) end         as beta,
        totals.pair_return_mean - {{ rf_daily() }}                           as mean_excess_paired,
        totals.pair_benchmark_mean - {{ rf_daily() }}                        as mean_benchmark_excess_paired,
        totals.comparison_pairs,
        totals.active_return_mean                                            as mean_active_return,
        case when totals.comparison_pairs > 1
            then sqrt(inception_moments.active_return_m2 / (totals.comparison_pairs - 1))
        end                                                                  as tracking_error_daily
    from inception_totals as totals
    inner join inception_moments
        on inception_moments.subject_period_id = totals.subject_period_id
    inner join var_cutoffs
        on var_cutoffs.subject_period_id = totals.subject_period_id
    inner join inception_cvar
        on inception_cvar.subject_period_id = totals.subject_period_id
    where totals.return_count > 0
),

moments as (
    select * from period_moments
    union all
    select * from inception_summary
),

final as (
    select
        subject_periods.subject,
        subject_periods.subject_kind,
        subject_periods.period,
        subject_periods.event_id,
        subject_periods.anchor_date,
        subject_periods.start_date,
        subject_periods.is_full_period,
        as_of.as_of_date,
        first_return.session_date                                                    as first_return_date,
        last_return.session_date                                                     as last_return_date,
        moments.return_count,
        moments.total_return,
        power(1 + moments.total_return, {{ n }} / moments.return_count) - 1          as cagr,
        moments.sd_return * sqrt({{ n }})                                            as volatility_annualized,
        {{ var('risk_free_rate') }}::double                                          as risk_free_rate,
        (moments.mean_return - {{ rf_daily() }}) / nullif(moments.sd_return, 0) * sqrt({{ n }})
                                                                                     as sharpe_ratio,
        (moments.mean_return - {{ rf_daily() }}) / nullif(moments.downside_deviation, 0)
            * sqrt({{ n }})                                                          as sortino_ratio,
        (power(1 + moments.total_return, {{ n }} / moments.return_count) - 1)
            / nullif(abs(drawdown_dates.max_drawdown), 0)                            as calmar_ratio,
        least(drawdown_dates.max_drawdown, 0)                                        as max_drawdown,
        case when drawdown_dates.max_drawdown < 0
            then coalesce(peak.session_date, subject_periods.start_date) end         as max_drawdown_peak_date,
        case when drawdown_dates.max_drawdown < 0 then trough.session_date end       as max_drawdown_trough_date,
        recovery.session_date                                                        as max_drawdown_recovery_date,
        cast(case when drawdown_dates.max_drawdown < 0
            then coalesce(drawdown_dates.recovery_index, drawdown_dates.last_index)
                - coalesce(drawdown_dates.peak_index, start_session.session_index)
        end as integer)                                                              as max_drawdown_duration_sessions,
        moments.var_95,
        moments.cvar_95,
        moments.skewness,
        moments.excess_kurtosis,
        moments.best_session_return,
        best_session.session_date                                                    as best_session_date,
        moments.worst_session_return,
        worst_session.session_date                                                   as worst_session_date,
        moments.share_positive_sessions,
        '{{ var("benchmark_ticker") }}'                                              as benchmark_ticker,
        moments.benchmark_pairs,
        moments.beta,
        {{ n }} * (moments.mean_excess_paired
                   - moments.beta * moments.mean_benchmark_excess_paired)            as alpha_annualized,
        subject_periods.comparison_basket,
        moments.comparison_pairs,
        moments.mean_active_return / nullif(moments.tracking_error_daily, 0) * sqrt({{ n }})
                                                                                     as information_ratio,
        {{ built_at() }}                                                             as built_at
    from subject_periods
    cross join as_of
    inner join moments
        on moments.subject_period_id = subject_periods.subject_period_id
    inner join all_drawdown_dates as drawdown_dates
        on drawdown_dates.subject_period_id = subject_periods.subject_period_id
    inner join calendar as first_return
        on first_return.session_index = moments.first_return_index
    inner join calendar as last_return
        on last_return.session_index = moments.last_return_index
    inner join calendar as best_session
        on best_session.session_index = moments.best_session_index
    inner join calendar as worst_session
        on worst_session.session_index = moments.worst_session_index
    inner join calendar as start_session
        on start_session.session_date = subject_periods.start_date
    inner join calendar as trough
        on trough.session_index = drawdown_dates.trough_index
    left join calendar as peak
        on peak.session_index = drawdown_dates.peak_index
    left join calendar as recovery
        on recovery.session_index = drawdown_dates.recovery_index
    where moments.return_count > 0
)

select * from final
