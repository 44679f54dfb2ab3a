"""Is the process of a Dagster run still alive? The liveness rules behind freeing pool slots.

A run holds its pool slots (concurrency slots in Dagster's event log storage) until its step
frees them. When the run's process dies abruptly (kill -9, OOM killer, full disk) nothing frees
them, and Dagster 1.13 has no run-worker heartbeat for runs on this machine (the default run
launcher cannot check a worker's health; `execute_in_process` runs have no launcher at all). So
ADR Pulse judges a run by two things:

- its status: a run that is not STARTING, STARTED or CANCELING runs no step, so it holds nothing;
- its process, which ADR Pulse can check on this machine:
  - a run launched by the `adrpulse` CLI carries the tag `adrpulse/process` naming the launching
    process: pid, host, boot id and the process start time in clock ticks since boot (field 22 of
    /proc/PID/stat), so a pid reused by another process, or a machine restarted since, is not
    mistaken for the run's process;
  - any other run (launched from the UI or by the daemon's schedules) is judged by the pid of its
    run worker that Dagster records in the run's engine events ("Started process for run (pid:
    N)", "Executing steps in process (pid: N)"), the process start time against the event's time
    guarding against pid reuse.

Pure except `LocalProcesses`, which reads /proc; the rules take a probe so tests can fake one.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

PROCESS_TAG = "adrpulse/process"

# Statuses in which a run may be executing a step, and so hold a pool slot legitimately.
IN_FLIGHT_STATUSES = frozenset({"STARTING", "STARTED", "CANCELING"})

# Engine-event messages that name the process running a run's steps (Dagster 1.13: _cli/api.py,
# _grpc/impl.py, _core/executor/in_process.py and multiprocess.py).
WORKER_STARTED_PREFIXES = (
    "Started process for run (pid:",
    "Started process for resuming job (pid:",
    "Executing steps in process (pid:",
    "Executing steps using multiprocess executor: parent process (pid:",
)
WORKER_EXITED_PREFIX = "Process for run exited (pid:"

# /proc/stat's btime has a resolution of one second, clock ticks of 1/CLK_TCK: a process whose
# start time is later than the engine event that named it by more than this is another process.
START_TIME_TOLERANCE_SECONDS = 2.0


class Verdict(Enum):
    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"  # cannot tell from this machine: never freed automatically


@dataclass(frozen=True)
class Liveness:
    verdict: Verdict
    reason: str  # for people: "process 4242 on host a is gone"
    # True when the run's status still says it is running although it is not: the run must be
    # marked failed (or canceled) as well as having its slots freed.
    mark_ended: bool = False

    @property
    def dead(self) -> bool:
        return self.verdict is Verdict.DEAD


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, told apart from a later process that reuses its pid."""

    pid: int
    host: str
    boot_id: str
    start_ticks: int | None

    def describe(self) -> str:
        return f"process {self.pid} on host {self.host}"

    def to_tag(self, run_id: str) -> str:
        return json.dumps({"run_id": run_id, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_tags(cls, tags: Mapping[str, str], run_id: str) -> ProcessIdentity | None:
        """The launching process recorded on run `run_id`, or None. A tag naming another run is
        ignored: re-executing a run from the UI copies its tags to the new run."""
        raw = tags.get(PROCESS_TAG)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            if data.get("run_id") != run_id:
                return None
            ticks = data.get("start_ticks")
            return cls(
                pid=int(data["pid"]),
                host=str(data["host"]),
                boot_id=str(data.get("boot_id") or ""),
                start_ticks=int(ticks) if ticks is not None else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class WorkerEvent:
    """The newest engine event of a run that names its worker process."""

    pid: int
    timestamp: float  # seconds since the epoch
    exited: bool  # "Process for run exited"


class ProcessProbe(Protocol):
    def hostname(self) -> str: ...

    def boot_id(self) -> str: ...

    def start_ticks(self, pid: int) -> int | None:
        """Start time of a live (not zombie) process in clock ticks since boot; None if there is
        no such process. Platforms without /proc answer 0 for any live pid."""
        ...

    def start_time(self, pid: int) -> float | None:
        """Start time of a live process in seconds since the epoch, None if gone or unknown."""
        ...


class LocalProcesses:
    """The processes of this machine, from /proc (Linux); elsewhere only whether a pid exists."""

    def __init__(self, proc: Path = Path("/proc")) -> None:
        self.proc = proc

    def hostname(self) -> str:
        return socket.gethostname()

    def boot_id(self) -> str:
        try:
            return (self.proc / "sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            return ""

    def _stat_fields(self, pid: int) -> list[str] | None:
        try:
            stat = (self.proc / str(pid) / "stat").read_text()
        except OSError:
            return None
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):  # a zombie has exited; only its exit status is left
            return None
        return fields

    def start_ticks(self, pid: int) -> int | None:
        if pid <= 0:
            return None
        if not self.proc.is_dir():
            return 0 if _pid_exists(pid) else None
        fields = self._stat_fields(pid)
        # field 22 of /proc/PID/stat is the 20th after "(comm)" (state is the 3rd field)
        return int(fields[19]) if fields is not None else None

    def start_time(self, pid: int) -> float | None:
        ticks = self.start_ticks(pid)
        if not ticks:
            return None
        try:
            btime = next(
                int(line.split()[1])
                for line in (self.proc / "stat").read_text().splitlines()
                if line.startswith("btime ")
            )
        except (OSError, StopIteration, ValueError):
            return None
        return btime + ticks / os.sysconf("SC_CLK_TCK")

    def identity(self, pid: int | None = None) -> ProcessIdentity:
        pid = os.getpid() if pid is None else pid
        return ProcessIdentity(pid, self.hostname(), self.boot_id(), self.start_ticks(pid))


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def judge_process(identity: ProcessIdentity, probe: ProcessProbe) -> Liveness:
    """Whether the recorded launching process of a run still runs."""
    who = identity.describe()
    if identity.host != probe.hostname():
        return Liveness(Verdict.UNKNOWN, f"{who}: another host, cannot check it from here")
    boot_id = probe.boot_id()
    if identity.boot_id and boot_id and identity.boot_id != boot_id:
        return Liveness(Verdict.DEAD, f"{who} is gone: the machine has restarted since", True)
    ticks = probe.start_ticks(identity.pid)
    if ticks is None:
        return Liveness(Verdict.DEAD, f"{who} is gone", True)
    if identity.start_ticks is not None and ticks and ticks != identity.start_ticks:
        return Liveness(
            Verdict.DEAD, f"{who} is gone (pid {identity.pid} now belongs to another process)", True
        )
    return Liveness(Verdict.ALIVE, f"{who} is running")


def judge_worker(event: WorkerEvent, probe: ProcessProbe) -> Liveness:
    """Whether the run worker named by a run's engine events still runs (on this machine: the
    default run launcher starts run workers next to the daemon and the webserver)."""
    who = f"run worker process {event.pid}"
    if event.exited:
        return Liveness(Verdict.DEAD, f"{who} has exited", True)
    if probe.start_ticks(event.pid) is None:
        return Liveness(Verdict.DEAD, f"{who} is gone", True)
    started = probe.start_time(event.pid)
    if started is not None and started > event.timestamp + START_TIME_TOLERANCE_SECONDS:
        return Liveness(
            Verdict.DEAD, f"{who} is gone (pid {event.pid} now belongs to another process)", True
        )
    return Liveness(Verdict.ALIVE, f"{who} is running")


def judge_run(
    status: str | None,
    launcher: ProcessIdentity | None,
    worker: WorkerEvent | None,
    probe: ProcessProbe,
) -> Liveness:
    """Whether a run that holds pool slots is still alive.

    status: the run's DagsterRunStatus value, None if the run no longer exists.
    launcher: the CLI process recorded in the run's tags, if any.
    worker: the newest engine event naming the run's worker process, if any.
    """
    if status is None:
        return Liveness(Verdict.DEAD, "the run no longer exists")
    if status not in IN_FLIGHT_STATUSES:
        return Liveness(Verdict.DEAD, f"the run is {status}")
    if launcher is not None:
        return judge_process(launcher, probe)
    if worker is not None:
        return judge_worker(worker, probe)
    return Liveness(Verdict.UNKNOWN, f"the run is {status} and no process of it is recorded")


def worker_event_from_message(message: str, pid: int, timestamp: float) -> WorkerEvent | None:
    """A WorkerEvent for an engine event's message, None if the message names no run worker."""
    if message.startswith(WORKER_EXITED_PREFIX):
        return WorkerEvent(pid, timestamp, exited=True)
    if message.startswith(WORKER_STARTED_PREFIXES):
        return WorkerEvent(pid, timestamp, exited=False)
    return None
