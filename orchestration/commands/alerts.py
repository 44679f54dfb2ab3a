"""`adrpulse alerts [--since DATE]`: the alerts raised by the builds, with their headlines."""

from __future__ import annotations

import argparse
import json
from datetime import date

from assets.settings import Settings
from orchestration.commands.common import CliError
from orchestration.commands.query import query_published
from orchestration.tables import format_table

COLUMNS = ["session", "ticker", "group", "abnormal_return", "sar", "headlines", "delivery"]
ALERTS_SQL = """
    select session_date, ticker, group_name, abnormal_return, standardized_abnormal_return,
           headline_count, delivery_status, delivery_error, headlines_json
    from raw.alert_log
    where session_date >= cast(getvariable('since') as date)
    order by session_date desc, abs(standardized_abnormal_return) desc, ticker
"""


def _since(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _delivery(status: str, error: str | None) -> str:
    return f"{status}: {error}" if error and status != "sent" else status


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    _, tables = query_published(
        settings,
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'alert_log'",
    )
    if not tables[0][0]:
        raise CliError(
            "the published build has no alert history yet (it predates alerts): run "
            "`adrpulse build` (or `adrpulse demo`) first"
        )
    since = args.since or date.min
    _, rows = query_published(settings, ALERTS_SQL, {"since": since.isoformat()})
    where = f" since {args.since}" if args.since else ""
    if not rows:
        print(f"No alerts{where}.")
        return 0
    print(f"{len(rows)} alert(s){where}, latest session first "
          "(|standardised abnormal return| >= the threshold of the build that raised it):\n")
    print(format_table(
        COLUMNS,
        [
            (r[0], r[1], r[2] or "", f"{r[3] * 100:+.2f}%", round(r[4], 2), r[5],
             _delivery(r[6], r[7]))
            for r in rows
        ],
        max_width=60,
    ))
    for r in rows:
        headlines = json.loads(r[8])
        print(f"\n{r[1]} {r[0]}: " + ("headlines of days -1 and 0" if headlines
                                      else "no headline tagged on days -1 and 0"))
        if headlines:
            print(format_table(
                ["day", "sentiment", "headline", "link"],
                [
                    (h["relative_day"],
                     f"{h['sentiment_label']} {h['sentiment_score']:+.2f}"
                     if h["sentiment_score"] is not None else "not scored",
                     h["headline"], h["url"] or "")
                    for h in headlines
                ],
                max_width=80,
            ))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "alerts",
        help="list the alerts (significant abnormal moves) with their headlines",
        description=(
            "Print the alerts the builds raised, latest session first: each ticker whose "
            "absolute standardised abnormal return on the latest session of a build was at "
            "least ADRPULSE_ALERT_SAR_THRESHOLD, its group, abnormal return, the headlines "
            "tagged to it over days -1 and 0 with their sentiment and links, and whether it "
            "was delivered to ADRPULSE_ALERT_WEBHOOK. Reads the published catalog (no lock on "
            "the warehouse)."
        ),
    )
    p.add_argument("--since", type=_since, metavar="DATE",
                   help="only alerts on sessions on or after DATE (YYYY-MM-DD)")
    p.set_defaults(func=cmd_alerts)
