"""`adrpulse prepare | settings`: the state folder and the configuration, as a user sees them."""

from __future__ import annotations

import argparse
import json

from assets.settings import SettingError, Settings, settings_table_markdown
from orchestration.commands.common import CliError
from orchestration.tables import format_table


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.prepare import prepare

    try:
        prepare(settings)
    except RuntimeError as exc:  # dbt parse failed: its output names the file
        raise CliError(f"{exc}\nFix the dbt project file it names, then run again.") from exc
    if not args.quiet:
        print(f"State folder ready: {settings.home}")
        print("dbt manifest current (dbt_project/target/manifest.json)")
    return 0


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    if args.markdown:
        print(settings_table_markdown())
        return 0
    if args.dbt_vars:
        # What to pass to a dbt command run by hand against this warehouse.
        print("--vars '" + json.dumps(settings.dbt_vars(), sort_keys=True) + "'")
        return 0
    rows = [
        (s.env, s.shown(value), source, s.doc)
        for s, value, source in settings.describe()
    ]
    print(format_table(["variable", "value", "from", "what it sets"], rows, max_width=70))
    return 0


def load_settings() -> Settings:
    """The settings of this process, or a CliError naming the variable that cannot be used."""
    try:
        return Settings.from_env()
    except SettingError as exc:
        raise CliError(f"{exc}; fix or unset it, then run again (adrpulse settings)") from exc


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare",
        help="create the state folder and refresh the dbt manifest (make setup runs it)",
        description="Create ADRPULSE_HOME (warehouse folder, archive, Dagster instance, reports) "
        "and run `dbt parse` when the dbt project changed since the manifest was written. Every "
        "pipeline command does this itself; run it alone after editing dbt models.",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser(
        "settings",
        help="list every setting: its variable, value and where the value came from",
        description="Every setting of ADR Pulse, declared once in assets/settings.py: its "
        "environment variable, the value in effect, and whether it came from the environment "
        "or the default.",
    )
    p.add_argument(
        "--dbt-vars",
        action="store_true",
        help="print the --vars argument for running dbt by hand against this warehouse",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print the settings table of the README (variable, default, what it sets)",
    )
    p.set_defaults(func=cmd_settings)
