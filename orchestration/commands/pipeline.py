"""`adrpulse demo | run | build | rebuild | ui`: the pipeline as a whole."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from assets.settings import SAMPLE_ARCHIVE_DIR, Settings
from orchestration.commands.common import CliError, report_run, run_job
from orchestration.commands.live_guard import refuse_sample_home
from orchestration.commands.prices import plan_as_of
from orchestration.commands.query import published_reader
from orchestration.tables import format_table, plural

# What the demo shows of each mart: a few lines a reader can check against the story. Each
# `limit` query breaks ties by its key, so two demos print the same lines (a news event and a
# catalogued event on the same day give one ticker the same CAR twice).
SUMMARY_QUERIES: list[tuple[str, str]] = [
    (
        "Alerts on the latest session, with the headlines of days -1 and 0 (marts.fct_alerts; "
        "adrpulse alerts)",
        """select a.ticker, a.session_date, a.abnormal_return,
                  a.standardized_abnormal_return as sar, h.relative_day as day,
                  h.sentiment_label as sentiment, h.headline
           from marts.fct_alerts a
           left join marts.fct_alert_headlines h using (alert_id)
           order by abs(a.standardized_abnormal_return) desc, a.ticker, h.published_at""",
    ),
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
           order by abs(car) desc, event_id, ticker limit 5""",
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
        "ADR premiums to the Hong Kong lines, latest session with one (marts.fct_adr_premium; "
        "docs/dual_listings.md)",
        """select adr_ticker, home_ticker, session_date, premium_same_day as premium,
                  premium_zscore as z_60, lead_lag_beta
           from marts.fct_adr_premium
           where premium_same_day is not null
           qualify row_number() over (partition by adr_ticker order by session_date desc) = 1
           order by abs(premium_zscore) desc nulls last, adr_ticker""",
    ),
    (
        "Which line reacted first to the Xi symposium (marts.fct_dual_listing_event_reactions)",
        """select adr_ticker, home_ticker, first_reacting_ticker as first, home_day_zero_date,
                  adr_day_zero_date, home_abnormal_return, adr_abnormal_return
           from marts.fct_dual_listing_event_reactions
           where event_id = 'xi_symposium'
           order by home_abnormal_return desc nulls last, adr_ticker limit 5""",
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
           order by return_ytd desc, ticker limit 5""",
    ),
]


def print_summary(settings: Settings) -> None:
    """Rows per published table (as recorded when the build was published, as `adrpulse sql
    --list` shows them) and a few telling lines of each mart, all from one opening of the build."""
    from warehouse.publish import PUBLISHED_SCHEMAS

    with published_reader(settings) as reader:
        counts = sorted(
            (f"{table.schema}.{table.name}", table.rows)
            for table in reader.build.tables
            if table.schema in PUBLISHED_SCHEMAS
        )
        summaries = [(title, reader.run(sql)[-1]) for title, sql in SUMMARY_QUERIES]
    print("\nPublished tables")
    print(format_table(["table", "rows"], counts))
    for title, result in summaries:
        print(f"\n{title}")
        print(format_table(result.columns, result.rows))


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
    if args.target == "spark":
        return build_spark_target(args, settings)
    from assets.dbt_models import DBT_ASSETS_NAME

    config = {
        "ops": {
            DBT_ASSETS_NAME: {"config": {"full_refresh": args.full_refresh}},
            "build_gate": {"config": {"force": args.force}},
        }
    }
    result = run_job(settings, "build_marts", config)
    status = report_run(result)
    if status != 0 and gate_failed(result):
        print(
            "\nNothing was built or published: blocking checks fail on the stored data (above, "
            "with the rows and the fetch that stored them, and the next step). "
            + published_now(settings)
            + "\nFix the data and run `adrpulse build` again, or build past the checks with "
            "`adrpulse build --force` (the published build then records them).",
            file=sys.stderr,
        )
    elif status == 0 and args.force and gate_failed(result, severity="WARN"):
        print(
            "\nBuilt and published PAST FAILED BLOCKING CHECKS (--force): the published build "
            "records them (adrpulse sql --list, the report's banner)."
        )
    return status


def build_spark_target(args: argparse.Namespace, settings: Settings) -> int:
    """`adrpulse build --target spark`: the portable models on a local Spark, from the stored raw
    data (assets/spark_target.py). Nothing is checked by the gate or published: the DuckDB
    build stays the published one."""
    from assets.spark_target import build_on_spark, spark_unavailable
    from warehouse.connection import WarehouseBusyError

    if args.force or args.full_refresh:
        raise CliError(
            "--force and --full-refresh apply to the DuckDB build; the spark target always "
            "rebuilds its tables whole. Run `adrpulse build --target spark` without them."
        )
    missing = spark_unavailable()
    if missing:
        raise CliError(f"cannot build the spark target: {missing}")
    if not settings.warehouse_path.exists():
        raise CliError(
            f"the warehouse {settings.warehouse_path} does not exist yet: the spark target reads "
            "its raw tables. Run `adrpulse demo` or `adrpulse run` first."
        )
    print(f"Exporting the raw tables of {settings.warehouse_path} to {settings.spark_dir / 'raw'}")
    started = time.monotonic()
    try:
        build = build_on_spark(settings, say=print)
    except WarehouseBusyError as exc:
        raise CliError(f"cannot export the raw tables for Spark: {exc}") from exc
    models = build.models
    print(
        f"\nSpark target: {len(models.tagged)} of {models.total} models are portable (tag spark) "
        f"and were built with their data tests; the others are DuckDB-only yet (docs/scaling.md)."
    )
    if build.returncode != 0:
        print(
            f"The Spark build failed (dbt's messages above; Spark's own log: {build.spark_log}).",
            file=sys.stderr,
        )
        return 1
    print(
        f"Built in {time.monotonic() - started:.0f} s: Parquet tables under "
        f"{settings.spark_dir / 'warehouse'} (<schema>.db/<table>/). The DuckDB warehouse and "
        "the published marts are unchanged."
    )
    return 0


def gate_failed(result: Any, severity: str = "ERROR") -> bool:
    """Whether the run's build gate failed (with this severity: ERROR stopped the build)."""
    from assets.build_gate import GATE_CHECK

    return any(
        e.check_name == GATE_CHECK
        and not e.passed
        and getattr(e.severity, "value", e.severity) == severity
        for e in result.get_asset_check_evaluations()
    )


def published_now(settings: Settings) -> str:
    """Which build readers still see (the gate stopped this one before publishing)."""
    from warehouse.publish import current_build

    try:
        build = current_build(settings.published_dir)
    except FileNotFoundError:
        return "Nothing is published yet."
    return f"Readers still see the published build {build.build_id}, unchanged."


def skipped_archive_files(result: Any) -> list[dict[str, str]]:
    """The bad archive files a `--skip-bad` rebuild left out, from its raw materializations."""
    from assets.archive_errors import BAD_FILES_KEY

    skipped: list[dict[str, str]] = []
    for event in result.get_asset_materialization_events():
        value = event.materialization.metadata.get(BAD_FILES_KEY)
        if value is not None:
            skipped += list(value.value)
    return skipped


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
    from warehouse.archive import plan_replay

    archive = settings.archive_dir
    # Retracted fetches are left out; an unreadable manifest still counts (the verify that
    # follows names it, and --skip-bad decides).
    price_plan, news_plan = plan_replay(archive, "prices"), plan_replay(archive, "news")
    prices = len(price_plan.fetches) + len(price_plan.problems)
    news = len(news_plan.fetches) + len(news_plan.problems)
    sample = sample_fetches_in(settings.warehouse_path)
    if prices:
        note = (
            f"Rebuilding from {archive}: {plural(prices, 'price fetch', 'price fetches')}, "
            f"{plural(news, 'news fetch', 'news fetches')}."
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
    held = f" (only {plural(news, 'news fetch', 'news fetches')})" if news else ""
    raise CliError(
        f"nothing to rebuild from: {archive} holds no price fetch{held}, and a rebuild would "
        "empty the raw tables and then fail its price checks. Nothing was changed. Fetch or "
        "import prices first (`adrpulse backfill START END`, `adrpulse import-prices PATH`), or "
        "run `adrpulse demo` for the synthetic sample."
    )


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    """Decide what to replay (plan_rebuild), then verify that archive first: a bad file stops
    the rebuild before the warehouse is opened. The run itself replays into staging tables and
    swaps them in only when every file loaded (assets/prices/live.py, assets/news/ingest.py), so a
    file damaged in between is caught too."""
    from assets.source_mode import SKIP_BAD_TAG
    from orchestration.commands.archive import print_bad_files, run_verify
    from warehouse.archive import NEXT_STEP

    job, note = plan_rebuild(settings)
    print(note, flush=True)
    archive = settings.archive_dir if job == REBUILD_JOB else SAMPLE_ARCHIVE_DIR
    if archive.is_dir():
        report = run_verify(archive, every=200)
        if report.bad:
            print(f"\n{len(report.bad):,} bad archive file(s):")
            print_bad_files(archive, report.bad)
            if not args.skip_bad:
                print(
                    "\nNothing was rebuilt: the warehouse is unchanged.\n" + NEXT_STEP,
                    file=sys.stderr,
                )
                return 1
            print("--skip-bad: rebuilding from the good files; these are left out.\n")
    tags = {SKIP_BAD_TAG: "true"} if args.skip_bad else None
    result = run_job(settings, job, tags=tags)
    status = report_run(result)
    skipped = skipped_archive_files(result)
    if skipped:
        print(f"\nSkipped {len(skipped):,} bad archive file(s) (--skip-bad):", file=sys.stderr)
        for record in skipped:
            print(f"  {record['file']}: {record['problem']}", file=sys.stderr)
        built = "The raw tables and the marts were" if status == 0 else "The raw tables were"
        print(
            f"{built} rebuilt from the other files only. Restore or retract the files above, "
            "then run `adrpulse rebuild` again.",
            file=sys.stderr,
        )
        return 1
    return status


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
        description="Re-run the blocking data checks over what is stored, then run every dbt "
        "model and test on it and publish. A failed blocking check (its rows are printed) stops "
        "the build: nothing is built or published, and the exit status is 1.",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="build and publish even though blocking checks fail; the published build records "
        "the failed checks (adrpulse sql --list, the report)",
    )
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from scratch (after editing the sessions seed or vars)",
    )
    p.add_argument(
        "--target",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb (default): the warehouse, checked and published. spark: the models made "
        "portable so far (tag spark) on a local Apache Spark, read from the warehouse's raw "
        "tables exported as Parquet, written as Parquet under ADRPULSE_HOME/spark/warehouse; "
        "needs `make setup-spark` and Java 17 (docs/scaling.md)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "rebuild",
        help="replay the whole raw archive into fresh raw tables, then the marts",
        description="Rebuild the warehouse from ADRPULSE_HOME/archive, offline. The archive is "
        "verified first (as `adrpulse archive verify`); the raw tables are replayed into staging "
        "tables and replace the current ones in one transaction only when every file loaded. A "
        "bad file fails the rebuild, names the file and leaves the warehouse unchanged. "
        "Retracted fetches (`adrpulse archive retract`) are left out. On a home made by "
        "`adrpulse demo` whose archive holds no price fetch, the bundled synthetic sample is "
        "replayed instead. With no price fetch to replay at all, nothing is changed: the "
        "command says what to run first.",
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="load the good files, rebuild the marts from them, list the bad ones and exit 1",
    )
    p.set_defaults(func=cmd_rebuild)
