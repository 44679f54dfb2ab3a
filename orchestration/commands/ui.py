"""`adrpulse ui`: the Dagster webserver and daemon on this machine."""

from __future__ import annotations

import argparse

from assets.settings import Settings


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.prepare import child_env, prepare
    from orchestration.ui_server import ManagedDagsterDev

    prepare(settings)
    # Free the slots of dead runs before the daemon launches new runs.
    from orchestration.run_slots import free_dead_slots_at_start

    free_dead_slots_at_start(settings)
    print(
        "Starting the Dagster UI (webserver and daemon), "
        f"DAGSTER_HOME={settings.dagster_home} ...\n"
        "The schedules run only once started (`adrpulse schedules status`, `adrpulse schedules "
        "start`; docs/operations.md).",
        flush=True,
    )
    return ManagedDagsterDev(args.host, args.port, env=child_env(settings)).run()


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
