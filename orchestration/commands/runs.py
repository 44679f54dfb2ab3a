"""`adrpulse runs free-slots`: who holds the pool slots, and freeing those of dead runs."""

from __future__ import annotations

import argparse

from assets.settings import Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_table

COLUMNS = ["pool", "limit", "run", "job", "status", "step", "use", "process"]


def cmd_free_slots(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration import run_slots
    from orchestration.prepare import dagster_instance, prepare_home
    from orchestration.run_liveness import Verdict

    dagster_home = prepare_home(settings)
    with dagster_instance(settings) as instance:
        states = run_slots.pool_states(instance)
        infos = {
            run_id: run_slots.inspect_run(instance, run_id)
            for run_id in sorted({u.run_id for s in states for u in s.uses})
        }
        rows = [
            (
                state.pool,
                "" if state.limit is None else state.limit,
                use.run_id,
                infos[use.run_id].job_name,
                infos[use.run_id].status or "deleted",
                use.step_key,
                use.use,
                f"{infos[use.run_id].liveness.verdict.value}: {infos[use.run_id].liveness.reason}",
            )
            for state in states
            for use in state.uses
        ]
        print(f"Pool slots (DAGSTER_HOME={dagster_home})")
        if not rows:
            print("No pool slot is held, assigned or queued.")
            if args.run:
                raise CliError(f"run {args.run} holds no pool slot and has no queued step")
            return 0
        print(format_table(COLUMNS, rows, max_width=72))

        if args.run:
            if args.run not in infos:
                raise CliError(f"run {args.run} holds no pool slot and has no queued step")
            info = infos[args.run]
            if info.liveness.verdict is Verdict.ALIVE:
                raise CliError(
                    f"{info.describe()} is alive: stop it (or wait for it) rather than freeing "
                    "its slots"
                )
            if not info.liveness.dead:
                # the operator vouches that the run is gone: it is marked failed like a dead one
                info = run_slots.RunInfo(
                    info.run_id,
                    info.job_name,
                    info.status,
                    run_slots.Liveness(
                        run_slots.Verdict.DEAD,
                        f"the operator freed it ({info.liveness.reason})",
                        mark_ended=True,
                    ),
                )
            to_free = [info]
        else:
            to_free = [i for i in infos.values() if i.liveness.dead]

        if args.dry_run:
            for info in to_free:
                print(f"Would free the slots of {info.describe()}.")
            return 0
        freed = []
        for info in to_free:
            freed.extend(run_slots.free_run(instance, info, states, out=print))
        unknown = [i for i in infos.values() if i.liveness.verdict is Verdict.UNKNOWN]
        left = [i for i in unknown if i.run_id not in {f.run.run_id for f in freed}]
        print(
            f"{len({f.run.run_id for f in freed})} run(s) freed, "
            f"{sum(1 for i in infos.values() if i.liveness.verdict is Verdict.ALIVE)} alive, "
            f"{len(left)} unknown."
        )
        for info in left:
            print(
                f"Run {info.run_id}: {info.liveness.reason}. If it is not running any more: "
                f"{run_slots.RECOVERY_COMMAND} --run {info.run_id}"
            )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "runs",
        help="Dagster runs: pool slots held by runs that are gone",
        description="Look after the Dagster runs of ADRPULSE_HOME/dagster.",
    )
    runs_sub = p.add_subparsers(dest="runs_command", required=True, metavar="SUBCOMMAND")
    q = runs_sub.add_parser(
        "free-slots",
        help="list the pool slots and free those of runs that are no longer alive",
        description=(
            "List every pool slot (pool \"warehouse\": one step at a time writes the warehouse) "
            "held, assigned or queued for, with its run and whether that run's process is still "
            "alive; then free the slots of dead runs. A run is dead when its status is not "
            "STARTING, STARTED or CANCELING, or when the process recorded for it (the adrpulse "
            "command that launched it, or the run worker Dagster records) is gone; a dead run "
            "that still claims to be running is marked failed. A run on another host or without "
            "a recorded process is 'unknown' and left alone unless named with --run. Every "
            "command that launches a run does the same for dead runs first."
        ),
        epilog="Example: adrpulse runs free-slots --dry-run",
    )
    q.add_argument("--dry-run", action="store_true", help="list and tell, free nothing")
    q.add_argument(
        "--run",
        metavar="RUN_ID",
        help="free the slots of this run even if its liveness is unknown (not if it is alive)",
    )
    q.set_defaults(func=cmd_free_slots)
