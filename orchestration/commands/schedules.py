"""`adrpulse schedules status | start | stop`: turn the schedules on and off on the instance.

The schedules are STOPPED by default (orchestration/schedules.py): `make ui` starts the daemon,
and a daemon that fetched live data on its own into whatever home it was given (the demo's, by
default) did exactly what a user did not ask for. Starting them is a decision, recorded on the
Dagster instance under ADRPULSE_HOME (its schedule state, as the UI's toggle records it), so it
survives restarts; `start` refuses a home that holds the synthetic sample.

The state is keyed by the code location's name, which `dagster dev -m orchestration.definitions`
(and `dagster-daemon run -m ...`) derive from the module: the location loaded here carries the
same name, so the daemon and the UI see what this command sets.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from assets.settings import REPO_ROOT, Settings
from orchestration.commands.common import CliError
from orchestration.commands.live_guard import refuse_sample_home
from orchestration.tables import format_table

CODE_LOCATION_MODULE = "orchestration.definitions"
# What `dagster dev -m orchestration.definitions` names the code location (tests check it).
CODE_LOCATION_NAME = CODE_LOCATION_MODULE
COLUMNS = ["schedule", "job", "cron (New York)", "status"]


@contextmanager
def remote_repository(instance: Any) -> Iterator[Any]:
    """The code location's repository as the daemon sees it, loaded in this process."""
    from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=CODE_LOCATION_MODULE,
            working_directory=str(REPO_ROOT),
        ),
        location_name=CODE_LOCATION_NAME,
    )
    with origin.create_location(instance) as location:
        yield location.get_repository(SINGLETON_REPOSITORY_NAME)


def _is_running(instance: Any, schedule: Any) -> bool:
    stored = instance.get_instigator_state(schedule.get_remote_origin_id(), schedule.selector_id)
    return schedule.get_current_instigator_state(stored).is_running


def status_rows(instance: Any, schedules: Sequence[Any]) -> list[tuple[str, str, str, str]]:
    return [
        (
            s.name,
            s.job_name,
            s.cron_schedule,
            "RUNNING" if _is_running(instance, s) else "STOPPED",
        )
        for s in schedules
    ]


def _select(repository: Any, names: Sequence[str]) -> list[Any]:
    schedules = {s.name: s for s in repository.get_schedules()}
    unknown = [n for n in names if n not in schedules]
    if unknown:
        raise CliError(
            f"no schedule named {', '.join(unknown)}; the schedules are "
            + ", ".join(sorted(schedules))
        )
    return [schedules[n] for n in names] if names else sorted(
        schedules.values(), key=lambda s: s.name
    )


def cmd_schedules(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.prepare import dagster_instance, prepare

    if args.action == "start":
        # Checked before loading anything: a sample home never gets live schedules.
        refuse_sample_home(
            settings, "the schedules would fetch live prices and news into it, so they stay stopped"
        )
    prepare(settings)
    with dagster_instance(settings) as instance, remote_repository(instance) as repository:
        selected = _select(repository, args.names)
        for schedule in selected:
            running = _is_running(instance, schedule)
            if args.action == "start" and not running:
                instance.start_schedule(schedule)
                print(f"Started {schedule.name}")
            elif args.action == "stop" and running:
                instance.stop_schedule(
                    schedule.get_remote_origin_id(), schedule.selector_id, schedule
                )
                print(f"Stopped {schedule.name}")
        print(f"Schedules of ADRPULSE_HOME={settings.home} (DAGSTER_HOME={settings.dagster_home})")
        print(format_table(COLUMNS, status_rows(instance, selected)))
    if args.action != "stop":
        print(
            "Schedules tick only while the daemon runs (`make ui`, or the service in "
            "docs/operations.md)."
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedules",
        help="show, start or stop the schedules (stopped by default)",
        description=(
            "The daily run (daily_after_close, 18:00 New York on XNYS sessions) and the news "
            "poll (news_every_two_hours) are STOPPED until you start them. `start` records the "
            "choice on the Dagster instance under ADRPULSE_HOME, as the UI's toggle does, so it "
            "survives restarts; it refuses a home that holds the synthetic demo sample. The "
            "schedules tick only while the daemon runs (`make ui`, or the service in "
            "docs/operations.md)."
        ),
        epilog="Example: ADRPULSE_HOME=~/adrpulse-live adrpulse schedules start",
    )
    p.add_argument("action", choices=["status", "start", "stop"], help="what to do")
    p.add_argument(
        "names", nargs="*", metavar="SCHEDULE", help="only these schedules (default: all)"
    )
    p.set_defaults(func=cmd_schedules)
