-- How deep was BABA's worst drawdown in 2025, when did it start and bottom out, and has it
-- recovered?
-- On adjusted closes (marts.fct_ticker_performance), measured from the last close of 2024 (the
-- year-to-date anchor, so a fall on the first session of the year counts): drawdown = close /
-- highest close so far - 1. peak = the last session at that high before the trough; recovery =
-- the first session after the trough to close at or above the peak again (null: not yet);
-- sessions = sessions with a close from the peak to the recovery (or to the latest session);
-- latest_vs_peak = the latest close (in that year) / the peak close - 1.
-- While the latest session is in that year, marts.fct_performance_summary (period ytd) holds the
-- same figures. Another ticker or year: adrpulse sql --file baba_drawdown_2025 --set ticker=JD --set year=2024
with params as (
    select
        upper(coalesce(getvariable('ticker'), 'BABA'))          as ticker,
        cast(coalesce(getvariable('year'), '2025') as integer)  as year
),

closes as (
    select perf.session_date, perf.adj_close_price
    from marts.fct_ticker_performance as perf, params
    where perf.ticker = params.ticker
        -- from the last close before the year (or the first of the year when history starts then)
        and perf.session_date >= coalesce(
            (select max(prior.session_date)
             from marts.fct_ticker_performance as prior
             where prior.ticker = params.ticker and year(prior.session_date) < params.year),
            (select min(first.session_date)
             from marts.fct_ticker_performance as first
             where first.ticker = params.ticker and year(first.session_date) = params.year)
        )
        and year(perf.session_date) <= params.year
),

drawdowns as (
    select
        session_date,
        adj_close_price,
        row_number() over (order by session_date) - 1                              as session_number,
        max(adj_close_price) over (order by session_date)                          as high,
        adj_close_price / max(adj_close_price) over (order by session_date) - 1    as drawdown
    from closes
),

trough as (
    select * from drawdowns order by drawdown, session_date limit 1
),

peak as (
    select drawdowns.*
    from drawdowns, trough
    where drawdowns.session_date <= trough.session_date
        and drawdowns.adj_close_price = trough.high
    order by drawdowns.session_date desc
    limit 1
),

recovery as (
    select min(drawdowns.session_date) as session_date, min(drawdowns.session_number) as session_number
    from drawdowns, trough
    where drawdowns.session_date > trough.session_date
        and drawdowns.adj_close_price >= trough.high
)

select
    (select ticker from params)                                       as ticker,
    (select year from params)                                         as year,
    trough.drawdown                                                   as max_drawdown,
    peak.session_date                                                 as peak_session,
    peak.adj_close_price                                              as peak_adj_close,
    trough.session_date                                               as trough_session,
    trough.adj_close_price                                            as trough_adj_close,
    recovery.session_date                                             as recovery_session,
    coalesce(recovery.session_number, (select max(session_number) from drawdowns))
        - peak.session_number                                         as sessions,
    recovery.session_date is not null                                 as is_recovered,
    (select adj_close_price / trough.high - 1
     from drawdowns order by session_date desc limit 1)               as latest_vs_peak
from trough, peak, recovery
where trough.drawdown < 0
