"""`adrpulse demo | run | build | rebuild | ui`: the pipeline as a whole."""

from __future__ import annotations

import argparse

from assets.settings import SAMPLE_ARCHIVE_DIR, Settings
from orchestration.commands.common import CliError, report_run, run_job
from orchestration.commands.live_guard import refuse_sample_home
from orchestration.commands.prices import plan_as_of
from orchestration.commands.query import query_published
from orchestration.tables import format_table, plural

# What the demo shows of each mart: a few lines a reader can check against the story.
SUMMARY_QUERIES: list[tuple[str, str]] = [
    (
        "Event study, catalogued events, window [-1,+1] (marts.fct_event_study_summary)",
        """select s.event_id, s.summary_group, s.pairs_included as n, s.caar, s.t_bmp,
                  s.t_kolari_pynnonen as t_kp, s.p_kolari_pynnonen as p_kp
           from marts.fct_event_study_summary s
           join reference.event_catalog c using (event_id)
           where s.window_label = '[-1,+1]' and s.summary_group in ('china_adr', 'us_megacap')
           order by c.announced_date, s.summary_group""",
    ),
    (
        "Largest single-ticker CARs, window [-1,+1] (marts.fct_event_car)",
        """select event_id, ticker, car, t_statistic, p_value
           from marts.fct_event_car
           where window_label = '[-1,+1]' and is_included
           order by abs(car) desc limit 5""",
    ),
    (
        "BABA around its December-quarter results (marts.fct_event_window_returns)",
        """select relative_day, session_date, stock_return, abnormal_return_market_model,
                  car_market_model
           from marts.fct_event_window_returns
           where event_id = 'baba_fq3_earnings' and ticker = 'BABA'
             and relative_day between -2 and 2
           order by relative_day""",
    ),
    (
        "China ADRs vs US megacaps, last sessions (marts.fct_sector_relative_performance)",
        """select session_date, index_buy_hold_a as china_adr, index_buy_hold_b as us_megacap,
                  spread_buy_hold, relative_strength_buy_hold, rolling_beta_60
           from marts.fct_sector_relative_performance
           where basket_pair = 'china_adr_vs_us_megacap'
           order by session_date desc limit 3""",
    ),
    (
        "Best year-to-date, latest session (marts.fct_ticker_performance)",
        """select ticker, session_date, return_1d, return_ytd, drawdown, gain_from_ytd_low
           from marts.fct_ticker_performance
           where session_date = (select max(session_date) from marts.fct_ticker_performance)
           order by return_ytd desc limit 5""",
    ),
]


def print_summary(settings: Settings) -> None:
    """Rows per published table and a few telling lines of each mart."""
    _, names = query_published(
        settings,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'reference') order by 1",
    )
    counts = []
    for (name,) in names:
        _, n = query_published(settings, f"select count(*) from {name}")
        counts.append((name, n[0][0]))
    print("\nPublished tables")
    print(format_table(["table", "rows"], counts))
    for title, sql in SUMMARY_QUERIES:
        columns, rows = query_published(settings, sql)
        print(f"\n{title}")
        print(format_table(columns, rows))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    print(f"Replaying the bundled SYNTHETIC sample archive ({SAMPLE_ARCHIVE_DIR}) offline.")
    result = run_job(settings, "demo_sample_replay")
    status = report_run(result)
    if status == 0:
        print_summary(settings)
        report = settings.reports_dir / "adrpulse_report.html"
        if report.exists():
            print(f"\nReport: {report}")
        print(
            "\nNext: adrpulse sql --list, adrpulse sql --file xi_symposium_movers, "
            "or make ui to browse the assets, the checks and this run."
        )
    return status


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from assets.calendar import NEW_YORK
    from assets.sessions import first_partition_session

    # Every argument and the home are checked before anything runs or is fetched.
    today = datetime.now(NEW_YORK).date()
    session = plan_as_of(args.as_of, today, first_partition_session(settings.price_history_start))
    refuse_sample_home(settings)
    latest = "" if args.as_of else f", the latest (today is {today} in New York)"
    print(f"Live run up to the XNYS session {session}{latest}: prices, news, marts, publish.")
    config = {"ops": {"raw_prices": {"config": {"as_of": session.isoformat()}}}}
    return report_run(run_job(settings, "daily_refresh", config))


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    config = {"ops": {"adrpulse_dbt_models": {"config": {"full_refresh": args.full_refresh}}}}
    return report_run(run_job(settings, "build_marts", config))


REBUILD_JOB, SAMPLE_REPLAY_JOB = "rebuild_from_archive", "demo_sample_replay"


def plan_rebuild(settings: Settings) -> tuple[str, str]:
    """Which archive a rebuild replays, decided before anything is emptied: (job, what to say).

    - the home's archive (ADRPULSE_HOME/archive) when it holds a price fetch (the sample in the
      warehouse, if any, is then replaced by it);
    - the bundled sample when the home's archive holds no price fetch and the warehouse was built
      from the sample (a home made by `adrpulse demo`: the sample lives in the repository);
    - otherwise nothing: CliError saying what to run. A replay without a price fetch would empty
      raw.daily_bars and then fail the price checks, leaving the warehouse emptier than before.
    """
    from assets.sample_home import sample_fetches_in
    from warehouse.archive import list_news_fetches, list_price_fetches

    archive = settings.archive_dir
    prices = list_price_fetches(archive)
    sample = sample_fetches_in(settings.warehouse_path)
    if prices:
        note = (
            f"Rebuilding from {archive}: {plural(len(prices), 'price fetch', 'price fetches')}, "
            f"{plural(len(list_news_fetches(archive)), 'news fetch', 'news fetches')}."
        )
        if sample:
            note += " The synthetic sample in the warehouse is replaced by this archive."
        return REBUILD_JOB, note
    if sample is None:
        raise CliError(
            f"the warehouse {settings.warehouse_path} is in use by a run; rebuild when it ends"
        )
    if sample:
        return SAMPLE_REPLAY_JOB, (
            f"{archive} holds no price fetch, and this warehouse was built from the bundled "
            f"SYNTHETIC sample: rebuilding from the sample ({SAMPLE_ARCHIVE_DIR}), as "
            "`adrpulse demo` does (job demo_sample_replay)."
        )
    news = len(list_news_fetches(archive))
    held = f" (only {plural(news, 'news fetch', 'news fetches')})" if news else ""
    raise CliError(
        f"nothing to rebuild from: {archive} holds no price fetch{held}, and a rebuild would "
        "empty the raw tables and then fail its price checks. Nothing was changed. Fetch or "
        "import prices first (`adrpulse backfill START END`, `adrpulse import-prices PATH`), or "
        "run `adrpulse demo` for the synthetic sample."
    )


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    job, note = plan_rebuild(settings)
    print(note, flush=True)
    return report_run(run_job(settings, job))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole pipeline offline on the bundled sample",
        description="Replay the bundled synthetic sample archive through Dagster, dbt and the "
        "checks, then print a summary. No network.",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "run",
        help="the live daily run (Yahoo prices, RSS news, marts)",
        description="Fetch the latest prices and news, rebuild the marts and publish them. "
        "Refuses a home that holds the synthetic demo sample (keep live data in its own "
        "ADRPULSE_HOME) before fetching anything.",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="last session to fetch: an XNYS session, today or earlier (default: the latest "
        "session); a weekend or holiday is refused, naming the previous session",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "build",
        help="rebuild the dbt models from what is stored (no network)",
        description="Run every dbt model and test on the stored raw data, then publish.",
    )
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from scratch (after editing the sessions seed or vars)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "rebuild",
        help="empty the raw tables and replay the whole raw archive",
        description="Rebuild the warehouse from ADRPULSE_HOME/archive, offline. On a home made "
        "by `adrpulse demo` whose archive holds no price fetch, the bundled synthetic sample is "
        "replayed instead. With no price fetch to replay at all, nothing is emptied: the command "
        "says what to run first.",
    )
    p.set_defaults(func=cmd_rebuild)
