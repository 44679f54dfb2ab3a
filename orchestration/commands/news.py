"""`adrpulse fetch-news`: poll every news feed once, through Dagster, and say how each one went."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from assets.settings import Settings
from orchestration.commands.common import report_run, run_job
from orchestration.commands.live_guard import refuse_sample_home
from orchestration.tables import format_table, plural

FEED_TABLE_COLUMNS = ["feed", "result", "new", "updated", "http", "reason"]
_RESULT_WORDS = {"ok": "ok", "warning": "warning", "not_modified": "not modified",
                 "failed": "FAILED"}


def fetch_outcomes(result: Any) -> list[dict[str, Any]] | None:
    """The per-fetch rows raw_news recorded in its raw/news_fetches materialization, or None
    when the run produced none (it failed before loading)."""
    from assets.raw_news import NEWS_FETCHES

    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key != NEWS_FETCHES:
            continue
        table = materialization.metadata.get("fetches")
        if table is not None:
            return [dict(record.data) for record in table.records]
    return None


def feed_rows(outcomes: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """One table row per feed: a failure shows its reason, a warning what was odd."""
    return [
        (
            o["feed_name"],
            _RESULT_WORDS.get(o["status"], o["status"]),
            o["new_items"],
            o["updated_items"],
            o["http_status"],
            o["error"] or "",
        )
        for o in outcomes
    ]


def summary_line(outcomes: Sequence[dict[str, Any]]) -> str:
    counts = {status: 0 for status in _RESULT_WORDS}
    for o in outcomes:
        counts[o["status"]] = counts.get(o["status"], 0) + 1
    new = sum(o["new_items"] for o in outcomes)
    updated = sum(o["updated_items"] for o in outcomes)
    parts = [f"{counts[s]} {_RESULT_WORDS[s].lower()}" for s in _RESULT_WORDS if counts[s]]
    return (f"{plural(len(outcomes), 'feed')} polled: {', '.join(parts) or 'none'}; "
            f"{plural(new, 'new item')}, {updated} updated.")


def every_feed_failed_line(outcomes: Sequence[dict[str, Any]]) -> str:
    """What follows "Run ... succeeded." when no feed answered: the run did its job (each failure
    is recorded with its reason), but there is no news, so the command exits 1."""
    return (
        f"The run succeeded, but every feed failed ({len(outcomes)} of {len(outcomes)}): no news "
        "was fetched. Check the network and the reasons above (exit status 1)."
    )


def cmd_fetch_news(args: argparse.Namespace, settings: Settings) -> int:
    refuse_sample_home(settings)
    print(f"Polling every feed in {settings.feeds_path} once (job poll_news).")
    result = run_job(settings, "poll_news")
    outcomes = fetch_outcomes(result)
    if outcomes is not None:
        print()
        print(format_table(FEED_TABLE_COLUMNS, feed_rows(outcomes), max_width=72))
        print(summary_line(outcomes))
    status = report_run(result)
    if status == 0 and outcomes and all(o["status"] == "failed" for o in outcomes):
        print(every_feed_failed_line(outcomes))
        return 1
    return status


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fetch-news",
        help="poll every news feed once and show how each one went",
        description=(
            "Poll every feed of the feed list (ADRPULSE_FEEDS, default "
            "dbt_project/seeds/news_feeds.csv) once, as the Dagster job poll_news, so the run "
            "shows in the UI. Each response is archived under ADRPULSE_HOME/archive, parsed, "
            "tagged and loaded into the raw news tables; a feed that fails (timeout, HTTP error, "
            "not a feed, malformed XML) is recorded with its reason and the others carry on. "
            "Prints one line per feed, then the news checks. Exit status 1 when the run failed, "
            "or when it succeeded but every feed failed (no news: the network?). Refuses a home "
            "that holds the synthetic demo sample before polling anything."
        ),
    )
    p.set_defaults(func=cmd_fetch_news)
