"""`adrpulse report`: write the HTML report from the published marts, without a Dagster run.

It reads the same published build as `adrpulse sql`, so it works while a run is writing. The
pipeline regenerates the same report after each publish (asset published/report).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assets.settings import Settings
from orchestration.commands.common import CliError


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from assets.reporting.write import write_report
    from warehouse.publish import open_published

    reports_dir = Path(args.output) if args.output else settings.reports_dir
    try:
        con = open_published(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    try:
        files = write_report(con, reports_dir)
    except ValueError as exc:
        raise CliError(f"cannot build the report: {exc}") from exc
    finally:
        con.close()
    print(files.html_path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write the HTML report from the published marts and print its path",
        description="Write adrpulse_report.html and its chart PNGs (ADRPULSE_HOME/reports by "
        "default) from the last published build. No Dagster run; safe while a run is writing.",
    )
    p.add_argument("--output", metavar="DIR", help="folder to write to (default: the reports dir)")
    p.set_defaults(func=cmd_report)
