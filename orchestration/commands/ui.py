"""`adrpulse ui`: the Dagster webserver and daemon on this machine."""

from __future__ import annotations

import argparse
import os

from orchestration.settings import Settings


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.dbt_project import ensure_manifest
    from orchestration.instance import prepare_environment
    from orchestration.ui_server import ManagedDagsterDev

    dagster_home = prepare_environment(settings)
    # Pool slots (issue 21): free the slots of dead runs before the daemon launches new runs.
    from orchestration.run_slots import free_dead_slots_at_start

    free_dead_slots_at_start()
    ensure_manifest()
    print(
        f"Starting the Dagster UI (webserver and daemon), DAGSTER_HOME={dagster_home} ...",
        flush=True,
    )
    return ManagedDagsterDev(args.host, args.port, env=dict(os.environ)).run()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ui",
        help="start the Dagster UI (webserver and daemon)",
        description=(
            "Run dagster dev (webserver, daemon, code server) with DAGSTER_HOME under "
            "ADRPULSE_HOME until Ctrl-C or SIGTERM, which stop all of its processes."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_ui)
