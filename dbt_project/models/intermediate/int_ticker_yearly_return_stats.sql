{{ config(tags=['spark']) }}
{%- set benchmark = var('benchmark_ticker') -%}
-- Incremental (replace_ticker_years) on DuckDB, a plain table on Spark: configured in
-- dbt_project.yml.
-- depends_on: {{ ref('stg_prices__daily_bars') }}
-- One row per ticker and calendar year of its daily returns (int_performance_returns): the
-- statistics of that year's returns from which fct_performance_summary puts together a ticker's
-- since_inception figures, so that a daily run rewrites this year's row of each ticker instead of
-- the mart reading every session of every ticker again (docs/BENCHMARKS.md).
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
--   when it has fewer). The largest over a ticker's years, T, bounds the 5% quantile of all its
--   returns from above: each year holds at least min(0.05 n_i + 2, n_i) returns at or below T,
--   together more than the ceil(0.05 (n - 1)) + 1 the quantile's two order statistics need, so the
--   mart reads only the returns at or below T to find VaR and CVaR.
-- Incremental runs (macros/incremental_prices.sql) rewrite, for each ticker, the years from the
-- earliest one whose inputs changed: its own bars (from the earliest bar of a fetch newer than
-- the table's fetch_id), the benchmark's bars (var benchmark_ticker, whose returns pair with
-- every ticker's) and those of any member of its comparison basket (whose returns make the
-- basket's). A ticker is rewritten whole when it is new, when its inception moved (a restated
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
ticker_inputs as (
    select
        groups.ticker,
        groups.first_bar_date                                           as inception_date,
        comparisons.comparison_basket,
        {{ hash_key("concat_ws('|', '" ~ benchmark ~ "', '" ~ var('risk_free_rate') ~ "', '"
                    ~ var('trading_days_per_year') ~ "', '" ~ var('basket_min_coverage')
                    ~ "', coalesce(comparisons.comparison_basket, ''), cast(coalesce(basket_members.members, 0) as "
                    ~ text_type() ~ "), cast(coalesce(basket_members.members_hash, 0) as "
                    ~ text_type() ~ "))") }}                           as inputs_key
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

benchmark_change as (
    select min(changed_from) as changed_from from changed where ticker = '{{ benchmark }}'
),

basket_changes as (
    select groups.group_name as basket, min(changed.changed_from) as changed_from
    from changed
    inner join groups
        on groups.ticker = changed.ticker
    group by groups.group_name
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
{%- set from_date = first_rewritten_year_start(
    "with " ~ ticker_inputs_ctes ~ ", " ~ rewrites_ctes ~ " select min(from_year) from rewrites") -%}
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

series as (
    select subject, subject_kind, session_date, session_index, daily_return
    from {{ ref('int_performance_returns') }}
    {%- if from_date is not none %}
    where session_date >= {{ from_date }}
    {%- endif %}
),

returns as (
    select
        series.subject                                                  as ticker,
        year(series.session_date)                                       as calendar_year,
        series.session_index,
        series.daily_return                                             as r,
        -- the pairs of beta and alpha: sessions where both the ticker's and the benchmark's
        -- return exist
        case when benchmark.daily_return is not null then series.daily_return end
                                                                        as r_paired,
        case when series.daily_return is not null then benchmark.daily_return end
                                                                        as b_paired,
        series.daily_return - comparison.daily_return                   as active_return
    from series
    inner join ticker_inputs
        on ticker_inputs.ticker = series.subject
    inner join rewrites
        on rewrites.ticker = series.subject
    left join series as benchmark
        on benchmark.subject_kind = 'ticker'
        and benchmark.subject = '{{ benchmark }}'
        and benchmark.session_index = series.session_index
    left join series as comparison
        on comparison.subject_kind = 'basket'
        and comparison.subject = ticker_inputs.comparison_basket
        and comparison.session_index = series.session_index
    where series.subject_kind = 'ticker'
        and year(series.session_date) >= rewrites.from_year
),

-- The year's means (for the deviations), its count and its best return, and each return's
-- sorted position (ties by session: position 0 is the earliest session at the worst return).
ranked as (
    select
        ticker,
        calendar_year,
        session_index,
        r,
        r_paired,
        b_paired,
        active_return,
        avg(r) over year_rows                                           as year_mean,
        count(r) over year_rows                                         as year_count,
        max(r) over year_rows                                           as year_best,
        avg(r_paired) over year_rows                                    as year_pair_mean_r,
        avg(b_paired) over year_rows                                    as year_pair_mean_b,
        avg(active_return) over year_rows                               as year_active_mean,
        case when r is not null then
            row_number() over (
                partition by ticker, calendar_year
                order by case when r is null then 1 else 0 end, r, session_index
            ) - 1
        end                                                             as position
    from returns
    window year_rows as (partition by ticker, calendar_year)
),

final as (
    select
        ranked.ticker,
        ranked.calendar_year,
        any_value(ticker_inputs.inception_date)                         as inception_date,
        any_value(ticker_inputs.comparison_basket)                      as comparison_basket,
        any_value(ticker_inputs.inputs_key)                             as inputs_key,
        count(ranked.r)                                                 as return_count,
        any_value(ranked.year_mean)                                     as return_mean,
        sum(power(ranked.r - ranked.year_mean, 2))                      as return_m2,
        sum(power(ranked.r - ranked.year_mean, 3))                      as return_m3,
        sum(power(ranked.r - ranked.year_mean, 4))                      as return_m4,
        {{ product_agg('1 + ranked.r') }}                               as growth_factor,
        sum(power(least(ranked.r - {{ rf_daily() }}, 0), 2))            as downside_square_sum,
        count(*) filter (where ranked.r > 0)                            as positive_count,
        min(ranked.session_index) filter (where ranked.r is not null)   as first_return_index,
        max(ranked.session_index) filter (where ranked.r is not null)   as last_return_index,
        max(ranked.r)                                                   as best_return,
        min(ranked.session_index) filter (where ranked.r = ranked.year_best)
                                                                        as best_return_index,
        min(ranked.r)                                                   as worst_return,
        min(ranked.session_index) filter (where ranked.position = 0)    as worst_return_index,
        max(ranked.r) filter (
            where ranked.position <= ceil(0.05 * ranked.year_count) + 1
        )                                                               as tail_threshold,
        count(ranked.r_paired)                                          as benchmark_pairs,
        any_value(ranked.year_pair_mean_r)                              as pair_return_mean,
        any_value(ranked.year_pair_mean_b)                              as pair_benchmark_mean,
        sum((ranked.r_paired - ranked.year_pair_mean_r)
            * (ranked.b_paired - ranked.year_pair_mean_b))              as pair_co_moment,
        sum((ranked.b_paired - ranked.year_pair_mean_b)
            * (ranked.b_paired - ranked.year_pair_mean_b))              as pair_benchmark_m2,
        count(ranked.active_return)                                     as comparison_pairs,
        any_value(ranked.year_active_mean)                              as active_return_mean,
        sum(power(ranked.active_return - ranked.year_active_mean, 2))   as active_return_m2,
        any_value(latest_fetch.fetch_id)                                as fetch_id,
        {{ built_at() }}                                                as built_at
    from ranked
    inner join ticker_inputs
        on ticker_inputs.ticker = ranked.ticker
    cross join latest_fetch
    group by ranked.ticker, ranked.calendar_year
)

select * from final
