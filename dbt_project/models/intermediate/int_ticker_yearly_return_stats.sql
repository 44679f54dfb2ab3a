{{ config(tags=['spark']) }}
{%- set benchmark = var('benchmark_ticker') -%}
-- Incremental (replace_ticker_years) on DuckDB, a plain table on Spark: configured in
-- dbt_project.yml.
-- depends_on: {{ ref('stg_prices__daily_bars') }}
-- One row per ticker and calendar year of its daily returns (its rows of int_performance_returns,
-- read from int_daily_returns): the statistics of that year's returns from which
-- fct_performance_summary puts together a ticker's since_inception figures, so that a daily run
-- rewrites this year's row of each ticker instead of the mart reading every session of every
-- ticker again (docs/BENCHMARKS.md).
-- Each figure combines exactly across years (fct_performance_summary, inception_moments):
--   counts and sums add, products multiply, extremes take the extreme (the earliest session at a
--   tie);
--   mean and central moments M2, M3, M4 about the year's own mean: about the overall mean m,
--   a year with n_i returns, mean m_i and d_i = m_i - m contributes M2_i + n_i d_i^2,
--   M3_i + 3 d_i M2_i + n_i d_i^3 and M4_i + 4 d_i M3_i + 6 d_i^2 M2_i + n_i d_i^4;
--   the benchmark co-moment sum((r - m_r)(b - m_b)) over the sessions where both returns exist
--   likewise, C_i + n_i d_r,i d_b,i, and the comparison basket's active return r - c as a mean and
--   M2. Every deviation is taken from the year's own mean (two passes), not from raw power sums,
--   which lose the digits a series of small returns has.
--   tail_threshold: the year's return at 0-based sorted position ceil(0.05 n_i) + 1 (its largest
--   when it has fewer, or more than 360 returns: nth_smallest keeps the 20 lowest). The largest
--   over a ticker's years, T, bounds the 5% quantile of all its returns from above: each year holds at least min(0.05 n_i + 2, n_i) returns at or below T,
--   together more than the ceil(0.05 (n - 1)) + 1 the quantile's two order statistics need, so the
--   mart reads only the returns at or below T to find VaR and CVaR.
--   The drawdown, adj_close / running_high_adj_close - 1 at each bar after inception, with the
--   running high that int_daily_returns carries across the ticker's whole history: the year's
--   deepest (max_drawdown, the earliest trough at a tie), the first bar of the drawdown that
--   reached it (its peak is the session before) and the first bar back at the high after it within
--   the year; with each year's last drawdown start and first bar at the high, the mart finds the
--   since_inception trough's peak and recovery in whichever years they fall.
-- Incremental runs (macros/incremental_prices.sql) rewrite, for each ticker, the years from the
-- earliest one whose inputs changed: its own bars (from the earliest bar of a fetch newer than
-- the table's fetch_id), the benchmark's bars (var benchmark_ticker, whose returns pair with
-- every ticker's) and those of any member of its comparison basket (whose returns make the
-- basket's; a restatement that starts one of those later counts from its old first bar). A
-- ticker is rewritten whole when it is new, when its inception moved (a restated
-- history) or when inputs_key changed: the vars the figures depend on, or its comparison
-- basket's members.
{%- set ticker_inputs_ctes -%}
groups as (
    select ticker, group_name, first_bar_date
    from {{ ref('int_ticker_groups') }}
),

comparisons as (
    {{ comparison_baskets() }}
),

basket_members as (
    select
        comparisons.group_name                                          as basket,
        count(*)                                                        as members,
        bit_xor({{ hash_key('groups.ticker') }})                        as members_hash
    from comparisons
    inner join groups
        on groups.group_name = comparisons.group_name
    group by comparisons.group_name
),

-- What a ticker's figures depend on besides the returns: a change rewrites the ticker whole.
{%- set inputs_key_parts = [
    "'" ~ benchmark ~ "'",
    "'" ~ var('risk_free_rate') ~ "'",
    "'" ~ var('trading_days_per_year') ~ "'",
    "'" ~ var('basket_min_coverage') ~ "'",
    "coalesce(comparisons.comparison_basket, '')",
    "cast(coalesce(basket_members.members, 0) as " ~ text_type() ~ ")",
    "cast(coalesce(basket_members.members_hash, 0) as " ~ text_type() ~ ")",
] %}
ticker_inputs as (
    select
        groups.ticker,
        groups.first_bar_date                                           as inception_date,
        comparisons.comparison_basket,
        {{ hash_key("concat_ws('|', " ~ inputs_key_parts | join(', ') ~ ")") }}
                                                                        as inputs_key
    from groups
    left join comparisons
        on comparisons.group_name = groups.group_name
    left join basket_members
        on basket_members.basket = comparisons.comparison_basket
    where groups.first_bar_date is not null
)
{%- endset -%}

{%- if is_incremental() -%}
{%- set rewrites_ctes -%}
changed as (
    {{ changed_price_tickers(ref('stg_prices__daily_bars'), this) }}
),

stored as (
    select
        ticker,
        max(inception_date)                                             as inception_date,
        min(inputs_key)                                                 as min_inputs_key,
        max(inputs_key)                                                 as max_inputs_key
    from {{ this }}
    group by ticker
),

-- Where each changed ticker's returns changed: from its earliest new bar, or, when a restatement
-- moved its first bar later, from the stored first bar (the bars before the new one are gone,
-- which no new fetch id shows, and the baskets it belongs to lose its returns there).
changes as (
    select
        changed.ticker,
        case when stored.inception_date < ticker_inputs.inception_date
            then least(changed.changed_from, stored.inception_date)
            else changed.changed_from
        end                                                             as changed_from
    from changed
    left join ticker_inputs
        on ticker_inputs.ticker = changed.ticker
    left join stored
        on stored.ticker = changed.ticker
),

benchmark_change as (
    select min(changed_from) as changed_from from changes where ticker = '{{ benchmark }}'
),

basket_changes as (
    select groups.group_name as basket, min(changes.changed_from) as changed_from
    from changes
    inner join groups
        on groups.ticker = changes.ticker
    group by groups.group_name
),

-- The year each ticker is rewritten from; a ticker nothing concerns has none.
rewrites as (
    select ticker, from_year
    from (
        select
            ticker_inputs.ticker,
            case
                when stored.ticker is null
                    or stored.inception_date <> ticker_inputs.inception_date
                    or stored.min_inputs_key <> ticker_inputs.inputs_key
                    or stored.max_inputs_key <> ticker_inputs.inputs_key
                    then year(ticker_inputs.inception_date)
                -- least skips nulls: the earliest of the changes that concern the ticker
                else year(least(changed.changed_from, benchmark_change.changed_from,
                                basket_changes.changed_from))
            end                                                         as from_year
        from ticker_inputs
        cross join benchmark_change
        left join stored
            on stored.ticker = ticker_inputs.ticker
        left join changed
            on changed.ticker = ticker_inputs.ticker
        left join basket_changes
            on basket_changes.basket = ticker_inputs.comparison_basket
    ) as candidates
    where from_year is not null
)
{%- endset -%}
{#- The earliest year any ticker is rewritten from, as a date literal read before the query: the
    reads of the returns start there, so that DuckDB's zone maps skip the older row groups. -#}
{%- set from_date = date_literal_from_query(
    "with " ~ ticker_inputs_ctes ~ ", " ~ rewrites_ctes
    ~ " select make_date(cast(min(from_year) as integer), 1, 1) from rewrites") -%}
{%- else -%}
{%- set rewrites_ctes -%}
rewrites as (
    select ticker, year(inception_date) as from_year from ticker_inputs
)
{%- endset -%}
{%- set from_date = none -%}
{%- endif %}
with {{ ticker_inputs_ctes }},

{{ rewrites_ctes }},

latest_fetch as (
    select max(fetch_id) as fetch_id from {{ ref('stg_prices__fetches') }}
),

-- The rewritten years of each ticker: its rows of int_daily_returns, whose
-- return_since_previous_close is the ticker's daily_return in int_performance_returns.
ticker_rows as (
    select
        daily.ticker,
        year(daily.session_date)                                        as calendar_year,
        daily.session_date,
        daily.session_index,
        daily.return_since_previous_close                               as r,
        daily.adj_close_price,
        daily.running_high_adj_close,
        daily.starts_drawdown
    from {{ ref('int_daily_returns') }} as daily
    inner join rewrites
        on rewrites.ticker = daily.ticker
    where year(daily.session_date) >= rewrites.from_year
    {%- if from_date is not none %}
        and daily.session_date >= {{ from_date }}
    {%- endif %}
),

-- The benchmark's and the baskets' returns: a few series, where reading the view whole would
-- carry every ticker's rows into both joins below.
series as (
    select subject, subject_kind, session_index, daily_return
    from {{ ref('int_performance_returns') }}
    where (subject_kind = 'ticker' and subject = '{{ benchmark }}' or subject_kind = 'basket')
    {%- if from_date is not none %}
        and session_date >= {{ from_date }}
    {%- endif %}
),

returns as (
    select
        ticker_rows.ticker,
        ticker_rows.calendar_year,
        ticker_rows.session_index,
        ticker_rows.r,
        -- the pairs of beta and alpha: sessions where both the ticker's and the benchmark's
        -- return exist
        case when benchmark.daily_return is not null then ticker_rows.r end
                                                                        as r_paired,
        case when ticker_rows.r is not null then benchmark.daily_return end
                                                                        as b_paired,
        ticker_rows.r - comparison.daily_return                         as active_return,
        -- the bars after inception: the rows of the since_inception drawdown
        case when ticker_rows.session_date > ticker_inputs.inception_date
            then ticker_rows.adj_close_price / ticker_rows.running_high_adj_close - 1
        end                                                             as drawdown,
        ticker_rows.session_date > ticker_inputs.inception_date
            and ticker_rows.starts_drawdown                             as starts_drawdown,
        ticker_rows.session_date > ticker_inputs.inception_date
            and ticker_rows.adj_close_price >= ticker_rows.running_high_adj_close
                                                                        as is_at_high
    from ticker_rows
    inner join ticker_inputs
        on ticker_inputs.ticker = ticker_rows.ticker
    {{ benchmark_and_comparison_joins('series', 'ticker_rows', 'ticker_inputs.comparison_basket') }}
),

-- Two passes of hash aggregation, no sort: the year's counts, means and extremes first, then the
-- deviations from those means. Windows over (ticker, year) did the same at about four times the
-- cost at 5,000 tickers x 20 years (docs/BENCHMARKS.md).
year_totals as (
    select
        ticker,
        calendar_year,
        count(r)                                                        as return_count,
        avg(r)                                                          as return_mean,
        max(r)                                                          as best_return,
        min(r)                                                          as worst_return,
        {{ nth_smallest('r', 'ceil(0.05 * count(r)) + 2', 20) }}       as tail_threshold,
        avg(r_paired)                                                   as pair_return_mean,
        avg(b_paired)                                                   as pair_benchmark_mean,
        avg(active_return)                                              as active_return_mean,
        min(drawdown)                                                   as max_drawdown,
        -- the earliest session at the year's deepest drawdown
        {{ arg_min('session_index', ['drawdown', 'session_index']) }} filter (
            where drawdown is not null
        )                                                               as max_drawdown_trough_index,
        max(session_index) filter (where starts_drawdown)               as last_drawdown_start_index,
        min(session_index) filter (where is_at_high)                    as first_at_high_index,
        max(session_index) filter (where drawdown is not null)          as last_bar_index
    from returns
    group by ticker, calendar_year
),

-- The second pass carries only what it sums; the year's other figures join its 100k rows after.
year_deviations as (
    select
        returns.ticker,
        returns.calendar_year,
        sum(power(returns.r - totals.return_mean, 2))                   as return_m2,
        sum(power(returns.r - totals.return_mean, 3))                   as return_m3,
        sum(power(returns.r - totals.return_mean, 4))                   as return_m4,
        {{ product_agg('1 + returns.r') }}                              as growth_factor,
        sum(power(least(returns.r - {{ rf_daily() }}, 0), 2))           as downside_square_sum,
        count(*) filter (where returns.r > 0)                           as positive_count,
        min(returns.session_index) filter (where returns.r is not null) as first_return_index,
        max(returns.session_index) filter (where returns.r is not null) as last_return_index,
        min(returns.session_index) filter (where returns.r = totals.best_return)
                                                                        as best_return_index,
        min(returns.session_index) filter (where returns.r = totals.worst_return)
                                                                        as worst_return_index,
        count(returns.r_paired)                                         as benchmark_pairs,
        sum((returns.r_paired - totals.pair_return_mean)
            * (returns.b_paired - totals.pair_benchmark_mean))          as pair_co_moment,
        sum((returns.b_paired - totals.pair_benchmark_mean)
            * (returns.b_paired - totals.pair_benchmark_mean))          as pair_benchmark_m2,
        count(returns.active_return)                                    as comparison_pairs,
        sum(power(returns.active_return - totals.active_return_mean, 2))
                                                                        as active_return_m2,
        max(returns.session_index) filter (
            where returns.starts_drawdown
                and returns.session_index <= totals.max_drawdown_trough_index
        )                                                               as max_drawdown_start_index,
        min(returns.session_index) filter (
            where returns.is_at_high
                and returns.session_index > totals.max_drawdown_trough_index
        )                                                               as max_drawdown_recovery_index
    from returns
    inner join year_totals as totals
        on totals.ticker = returns.ticker
        and totals.calendar_year = returns.calendar_year
    group by returns.ticker, returns.calendar_year
),

final as (
    select
        totals.ticker,
        totals.calendar_year,
        ticker_inputs.inception_date,
        ticker_inputs.comparison_basket,
        ticker_inputs.inputs_key,
        totals.return_count,
        totals.return_mean,
        deviations.return_m2,
        deviations.return_m3,
        deviations.return_m4,
        deviations.growth_factor,
        deviations.downside_square_sum,
        deviations.positive_count,
        deviations.first_return_index,
        deviations.last_return_index,
        totals.best_return,
        deviations.best_return_index,
        totals.worst_return,
        deviations.worst_return_index,
        totals.tail_threshold,
        deviations.benchmark_pairs,
        totals.pair_return_mean,
        totals.pair_benchmark_mean,
        deviations.pair_co_moment,
        deviations.pair_benchmark_m2,
        deviations.comparison_pairs,
        totals.active_return_mean,
        deviations.active_return_m2,
        totals.max_drawdown,
        totals.max_drawdown_trough_index,
        deviations.max_drawdown_start_index,
        deviations.max_drawdown_recovery_index,
        totals.last_drawdown_start_index,
        totals.first_at_high_index,
        totals.last_bar_index,
        latest_fetch.fetch_id,
        {{ built_at() }}                                                as built_at
    from year_totals as totals
    inner join year_deviations as deviations
        on deviations.ticker = totals.ticker
        and deviations.calendar_year = totals.calendar_year
    inner join ticker_inputs
        on ticker_inputs.ticker = totals.ticker
    cross join latest_fetch
)

select * from final
