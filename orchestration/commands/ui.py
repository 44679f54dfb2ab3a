"""`adrpulse ui`: the Dagster webserver and daemon on this machine."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration.settings import Settings


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.dbt_project import ensure_manifest
    from orchestration.instance import prepare_environment

    prepare_environment(settings)
    ensure_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    os.execv(command[0], command)  # replaces this process: signals go straight to dagster dev
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ui",
        help="start the Dagster UI (webserver and daemon)",
        description="Run dagster dev with DAGSTER_HOME under ADRPULSE_HOME.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_ui)
