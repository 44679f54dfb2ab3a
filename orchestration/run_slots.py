"""Pool slots never outlive their run (issue 21).

Assets that write the warehouse declare pool="warehouse" and dagster.yaml limits every pool to
one slot. Dagster frees a step's slot when the step ends in its process; when that process dies
(kill -9, OOM killer, full disk) the slot stays claimed by a run that will never end, and every
later run waits for it forever. This module:

- frees the slots of runs that are no longer alive (orchestration/run_liveness.py says which),
  marking a run that still claims to be running as failed, and says so, one line per run and pool;
- before a CLI run starts, waits until the pools of its job have a free slot, saying which run
  holds them, and gives up on Ctrl-C, SIGTERM or after the wait timeout (`--wait-timeout`,
  ADRPULSE_POOL_WAIT_TIMEOUT, 10 minutes by default) with the command that frees a dead run's slot;
- records the launching process on every CLI run (tag adrpulse/process) so a later command can
  tell whether it is still alive;
- guards the wait of Dagster's in-process executor once a run has started
  (orchestration/pool_guard.py): Dagster 1.13 busy-waits there at 100% CPU and swallows SIGINT
  and SIGTERM.

The CLI's `adrpulse runs free-slots` lists the slots and frees those of dead runs on demand.
Dagster is imported inside the functions: `adrpulse --help` stays quick.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from orchestration.commands.common import CliError
from orchestration.run_liveness import (
    PROCESS_TAG,
    Liveness,
    LocalProcesses,
    ProcessIdentity,
    ProcessProbe,
    Verdict,
    WorkerEvent,
    judge_run,
    worker_event_from_message,
)

if TYPE_CHECKING:
    from dagster import DagsterInstance, JobDefinition

    from assets.settings import Settings

RECOVERY_COMMAND = "adrpulse runs free-slots"
POLL_SECONDS = 1.0
# The commands that launch a run get --wait-timeout (names as registered in orchestration/cli).
RUN_COMMANDS = ("demo", "run", "build", "rebuild", "import-prices", "backfill", "fetch-news")
# How many of a run's newest engine events to search for the pid of its worker.
WORKER_EVENT_SCAN = 500

Printer = Callable[[str], None]


def print_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- the wait timeout: --wait-timeout, else ADRPULSE_POOL_WAIT_TIMEOUT, else 10 minutes --------
_cli_wait_timeout: float | None = None


class _WaitTimeoutAction(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        global _cli_wait_timeout
        try:
            seconds = float(values)
        except ValueError:
            parser.error(f"{option_string}: {values!r} is not a number of seconds")
        if seconds < 0 or seconds != seconds:
            parser.error(f"{option_string}: must be 0 (no limit) or a positive number of seconds")
        _cli_wait_timeout = seconds
        setattr(namespace, self.dest, seconds)


def add_wait_timeout_option(sub: argparse._SubParsersAction) -> None:
    """Add --wait-timeout to every subcommand that launches a run."""
    for name in RUN_COMMANDS:
        parser = sub.choices.get(name)
        if parser is not None:
            parser.add_argument(
                "--wait-timeout",
                metavar="SECONDS",
                action=_WaitTimeoutAction,
                help="how long to wait for a pool slot held by another run before giving up "
                "(default: ADRPULSE_POOL_WAIT_TIMEOUT; 0 waits without limit)",
            )


def wait_timeout_seconds() -> float:
    if _cli_wait_timeout is not None:
        return _cli_wait_timeout
    from assets.settings import Settings

    return Settings.from_env().pool_wait_timeout_seconds


# --- who uses the pools ------------------------------------------------------------------------
@dataclass(frozen=True)
class SlotUse:
    """A step of a run in a pool: holding a slot, assigned one, or queued for one."""

    pool: str
    run_id: str
    step_key: str
    use: str  # "holds" | "assigned" | "queued"

    @property
    def occupies(self) -> bool:
        """Holding or assigned: the slot is not available to another run."""
        return self.use in ("holds", "assigned")


@dataclass(frozen=True)
class PoolState:
    pool: str
    limit: int | None  # None: no limit
    uses: tuple[SlotUse, ...]


def pool_states(instance: DagsterInstance, pools: Iterable[str] | None = None) -> list[PoolState]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    keys = sorted(set(pools) if pools is not None else storage.get_concurrency_keys())
    states = []
    for key, info in storage.get_concurrency_infos(keys).items():
        held = {(s.run_id, s.step_key) for s in info.claimed_slots}
        uses = [SlotUse(key, run_id, step_key or "", "holds") for run_id, step_key in sorted(held)]
        for pending in info.pending_steps:
            if (pending.run_id, pending.step_key) in held:
                continue
            use = "assigned" if pending.assigned_timestamp is not None else "queued"
            uses.append(SlotUse(key, pending.run_id, pending.step_key, use))
        states.append(PoolState(key, info.limit, tuple(uses)))
    return states


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    job_name: str
    status: str | None
    liveness: Liveness

    def describe(self) -> str:
        job = f"job {self.job_name}, " if self.job_name else ""
        return f"run {self.run_id} ({job}{self.status or 'deleted'}: {self.liveness.reason})"


def _worker_event(instance: DagsterInstance, run_id: str) -> WorkerEvent | None:
    from dagster import DagsterEventType

    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=WORKER_EVENT_SCAN, ascending=False
    ).records
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        data = getattr(event, "engine_event_data", None) if event else None
        pid_value = data.metadata.get("pid") if data is not None else None
        if pid_value is None:
            continue
        try:
            pid = int(getattr(pid_value, "value", pid_value))
        except (TypeError, ValueError):
            continue
        found = worker_event_from_message(event.message or "", pid, entry.timestamp)
        if found is not None:
            return found
    return None


def inspect_run(
    instance: DagsterInstance, run_id: str, probe: ProcessProbe | None = None
) -> RunInfo:
    probe = probe or LocalProcesses()
    run = instance.get_run_by_id(run_id)
    if run is None:
        return RunInfo(run_id, "", None, judge_run(None, None, None, probe))
    status = run.status.value
    launcher = ProcessIdentity.from_tags(run.tags, run_id)
    worker = _worker_event(instance, run_id) if launcher is None else None
    return RunInfo(run_id, run.job_name, status, judge_run(status, launcher, worker, probe))


# --- freeing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Freed:
    pool: str
    run: RunInfo
    uses: tuple[str, ...]  # "holds", "assigned", "queued" of the run's steps in the pool
    marked: str | None  # "failed" / "canceled" when the run's status was corrected

    def line(self) -> str:
        what = (
            f"freed the {self.pool} pool slot"
            if {"holds", "assigned"} & set(self.uses)
            else f"dropped the queued steps in pool {self.pool}"
        )
        job = f" (job {self.run.job_name})" if self.run.job_name else ""
        marked = f"; marked the run {self.marked}" if self.marked else ""
        return (
            f"Pool slots: {what} of run {self.run.run_id}{job}: "
            f"{self.run.liveness.reason}{marked}."
        )


def _mark_ended(instance: DagsterInstance, run_id: str, reason: str, pools: Sequence[str]) -> str:
    """Record that a run whose process is gone has ended; '' if its status changed meanwhile."""
    from dagster import DagsterRunStatus

    run = instance.get_run_by_id(run_id)
    if run is None:
        return ""
    message = (
        f"ADR Pulse: {reason}, so this run can no longer finish or free its pool slots "
        f"({', '.join(pools)}). Its slots were freed and the run marked ended. Launch it again."
    )
    if run.status == DagsterRunStatus.CANCELING:
        instance.report_run_canceled(run, message)
        return "canceled"
    if run.status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED):
        instance.report_run_failed(run, message)
        return "failed"
    return ""


def free_run(
    instance: DagsterInstance,
    info: RunInfo,
    states: Sequence[PoolState],
    out: Printer | None = print_stderr,
) -> list[Freed]:
    """Mark a dead run ended if its status says otherwise, free its slots and pending steps in
    every pool, and print one line per pool."""
    pools = {s.pool: tuple(u.use for u in s.uses if u.run_id == info.run_id) for s in states}
    pools = {pool: uses for pool, uses in pools.items() if uses}
    marked = None
    if info.liveness.mark_ended:
        marked = _mark_ended(instance, info.run_id, info.liveness.reason, sorted(pools)) or None
    instance.event_log_storage.free_concurrency_slots_for_run(info.run_id)
    freed = [Freed(pool, info, uses, marked) for pool, uses in sorted(pools.items())]
    if out is not None:
        for item in freed:
            out(item.line())
    return freed


def free_dead_slots(
    instance: DagsterInstance,
    pools: Iterable[str] | None = None,
    exclude_run_ids: Iterable[str] = (),
    probe: ProcessProbe | None = None,
    out: Printer | None = print_stderr,
) -> list[Freed]:
    """Free the slots (and queued steps) of every run that is no longer alive, in `pools` or in
    every pool. A run whose liveness is unknown (no process recorded, another host) is left."""
    probe = probe or LocalProcesses()
    states = pool_states(instance, pools)
    excluded = set(exclude_run_ids)
    run_ids = sorted({u.run_id for s in states for u in s.uses} - excluded)
    freed: list[Freed] = []
    for run_id in run_ids:
        info = inspect_run(instance, run_id, probe)
        if info.liveness.dead:
            # every pool of the run: its slots are freed in all of them at once
            all_states = states if pools is None else pool_states(instance)
            freed.extend(free_run(instance, info, all_states, out))
    return freed


# --- waiting for a slot ------------------------------------------------------------------------
@dataclass(frozen=True)
class Blocked:
    """A pool whose slots are all taken by other runs."""

    pool: str
    limit: int
    holders: tuple[tuple[SlotUse, RunInfo], ...]

    def describe(self) -> str:
        if not self.holders:
            return f"pool {self.pool} (limit {self.limit}, no slot free)"
        held = "; ".join(
            f"step {use.step_key} of {info.describe()}" for use, info in self.holders
        )
        return f"pool {self.pool} (limit {self.limit}), held by {held}"

    def recovery(self) -> str:
        unknown = [i.run_id for _, i in self.holders if i.liveness.verdict is Verdict.UNKNOWN]
        if unknown:
            return (
                f"If run {unknown[0]} is no longer running, free its slot with: "
                f"{RECOVERY_COMMAND} --run {unknown[0]}"
            )
        return (
            f"Wait for that run to finish, or stop it; `{RECOVERY_COMMAND}` lists the pool slots "
            "and frees those of dead runs"
        )


def blocked_pools(
    instance: DagsterInstance,
    pools: Iterable[str],
    exclude_run_id: str | None = None,
    probe: ProcessProbe | None = None,
) -> list[Blocked]:
    probe = probe or LocalProcesses()
    blocked = []
    for state in pool_states(instance, pools):
        if state.limit is None:
            continue
        occupying = [u for u in state.uses if u.occupies and u.run_id != exclude_run_id]
        if len(occupying) < state.limit:
            continue
        infos: dict[str, RunInfo] = {}
        holders = []
        for use in occupying:
            if use.run_id not in infos:
                infos[use.run_id] = inspect_run(instance, use.run_id, probe)
            holders.append((use, infos[use.run_id]))
        blocked.append(Blocked(state.pool, state.limit, tuple(holders)))
    return blocked


class _Stopped(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise _Stopped in the main thread for the duration (whatever they did
    before, even if inherited as ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise _Stopped(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 120 else f"{value / 60:g} min"


def wait_for_pools(
    instance: DagsterInstance,
    pools: Iterable[str],
    what: str,
    timeout: float,
    probe: ProcessProbe | None = None,
    out: Printer = print_stderr,
    poll_seconds: float = POLL_SECONDS,
) -> None:
    """Return once every pool of `pools` has a slot free for a new run; before each look, free
    the slots of dead runs. Raises CliError after `timeout` seconds (0: no limit) or on SIGINT or
    SIGTERM, naming the pool and the run that holds it."""
    pools = sorted(set(pools))
    if not pools:
        return
    deadline = time.monotonic() + timeout if timeout > 0 else None
    announced = ""
    blocked: list[Blocked] = []
    limit = f"up to {_seconds(timeout)}" if timeout > 0 else "without a time limit"
    try:
        with _signals_raise():
            while True:
                free_dead_slots(instance, pools, probe=probe, out=out)
                blocked = blocked_pools(instance, pools, probe=probe)
                if not blocked:
                    if announced:
                        out(f"Pool slots: {', '.join(pools)} free, starting {what}.")
                    return
                text = "; ".join(b.describe() for b in blocked)
                if text != announced:
                    out(f"Pool slots: {what} waits for {text}. Waiting {limit} (Ctrl-C stops).")
                    announced = text
                if deadline is not None and time.monotonic() >= deadline:
                    raise CliError(
                        f"gave up after {_seconds(timeout)} waiting for {text}. "
                        f"{blocked[0].recovery()}; or wait longer with --wait-timeout SECONDS."
                    )
                pause = poll_seconds
                if deadline is not None:
                    pause = max(0.0, min(pause, deadline - time.monotonic()))
                time.sleep(pause)
    except (_Stopped, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, _Stopped) else signal.SIGINT
        text = "; ".join(b.describe() for b in blocked) or "a pool slot"
        raise CliError(
            f"stopped by {signal.Signals(signum).name} while waiting for {text}; {what} was not "
            f"started. {blocked[0].recovery() if blocked else ''}".rstrip()
        ) from None


# --- launching a CLI run -----------------------------------------------------------------------
def job_pools(job: JobDefinition) -> set[str]:
    return {op.pool for op in job.graph.iterate_op_defs() if getattr(op, "pool", None)}


@dataclass
class Launch:
    """What run_job passes to execute_in_process: the run id chosen up front and the tags that
    record this process on the run."""

    run_id: str
    tags: dict[str, str] = field(default_factory=dict)


@contextmanager
def launching(
    instance: DagsterInstance,
    job: JobDefinition,
    timeout: float | None = None,
    out: Printer = print_stderr,
) -> Iterator[Launch]:
    """Around a CLI run: free dead runs' slots and wait for the job's pools first; record this
    process on the run; guard Dagster's own wait during the run. Raises CliError when the wait
    is given up, before the run or during it."""
    from orchestration import pool_guard

    timeout = wait_timeout_seconds() if timeout is None else timeout
    run_id = str(uuid.uuid4())
    free_dead_slots(instance, out=out)
    wait_for_pools(instance, job_pools(job), f"job {job.name}", timeout, out=out)
    identity = LocalProcesses().identity()
    pool_guard.install()
    with pool_guard.wait_options(timeout, out) as options:
        yield Launch(run_id, {PROCESS_TAG: identity.to_tag(run_id)})
    if options.abort_message:
        raise CliError(f"run {run_id} of job {job.name}: {options.abort_message}")


def free_dead_slots_at_start(settings: Settings, out: Printer = print_stderr) -> list[Freed]:
    """For `adrpulse ui`: free the slots of dead runs before the daemon launches new ones."""
    from orchestration.prepare import dagster_instance

    with dagster_instance(settings) as instance:
        return free_dead_slots(instance, out=out)
