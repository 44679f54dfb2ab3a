"""The liveness rules that decide whether a run holding a pool slot is still alive
(orchestration/run_liveness.py): a fake process table, and the real one for this process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchestration.run_liveness import (
    PROCESS_TAG,
    LocalProcesses,
    ProcessIdentity,
    Verdict,
    WorkerEvent,
    judge_process,
    judge_run,
    worker_event_from_message,
)

HOST = "box"
BOOT = "boot-1"


class FakeProbe:
    """Processes by pid: (start ticks, start time in epoch seconds)."""

    def __init__(self, processes: dict[int, tuple[int, float]], host: str = HOST) -> None:
        self.processes = processes
        self.host = host

    def hostname(self) -> str:
        return self.host

    def boot_id(self) -> str:
        return BOOT

    def start_ticks(self, pid: int) -> int | None:
        return self.processes[pid][0] if pid in self.processes else None

    def start_time(self, pid: int) -> float | None:
        return self.processes[pid][1] if pid in self.processes else None


def cli(pid: int = 100, ticks: int | None = 5000, host: str = HOST, boot: str = BOOT):
    return ProcessIdentity(pid=pid, host=host, boot_id=boot, start_ticks=ticks)


PROBE = FakeProbe({100: (5000, 1_000.0), 200: (7000, 2_000.0)})


@pytest.mark.parametrize(
    ("status", "verdict", "mark_ended"),
    [
        (None, Verdict.DEAD, False),  # the run was deleted
        ("SUCCESS", Verdict.DEAD, False),
        ("FAILURE", Verdict.DEAD, False),
        ("CANCELED", Verdict.DEAD, False),
        ("NOT_STARTED", Verdict.DEAD, False),
        ("QUEUED", Verdict.DEAD, False),
    ],
)
def test_a_run_that_is_not_running_is_dead_whatever_its_process(
    status: str | None, verdict: Verdict, mark_ended: bool
) -> None:
    judged = judge_run(status, cli(), None, PROBE)  # process 100 is alive: not asked
    assert (judged.verdict, judged.mark_ended) == (verdict, mark_ended)


@pytest.mark.parametrize("status", ["STARTING", "STARTED", "CANCELING"])
def test_a_running_run_with_its_launching_process_alive_is_alive(status: str) -> None:
    judged = judge_run(status, cli(), None, PROBE)
    assert judged.verdict is Verdict.ALIVE
    assert "process 100 on host box" in judged.reason


def test_a_started_run_whose_process_is_gone_is_dead_and_must_be_marked_ended() -> None:
    judged = judge_run("STARTED", cli(pid=300), None, PROBE)
    assert judged.verdict is Verdict.DEAD
    assert judged.mark_ended
    assert judged.reason == "process 300 on host box is gone"


def test_a_reused_pid_is_not_the_run_process() -> None:
    judged = judge_run("STARTED", cli(pid=200, ticks=5000), None, PROBE)
    assert judged.verdict is Verdict.DEAD and judged.mark_ended
    assert "now belongs to another process" in judged.reason


def test_a_restarted_machine_means_the_process_is_gone() -> None:
    judged = judge_process(cli(boot="boot-0"), PROBE)
    assert judged.verdict is Verdict.DEAD
    assert "restarted" in judged.reason


def test_a_process_on_another_host_is_unknown_not_dead() -> None:
    judged = judge_run("STARTED", cli(host="elsewhere"), None, PROBE)
    assert judged.verdict is Verdict.UNKNOWN
    assert not judged.dead


def test_the_launching_process_wins_over_worker_events() -> None:
    worker = WorkerEvent(pid=300, timestamp=5_000.0, exited=False)  # gone, but not asked
    assert judge_run("STARTED", cli(), worker, PROBE).verdict is Verdict.ALIVE


def test_runs_launched_elsewhere_are_judged_by_their_run_worker() -> None:
    alive = WorkerEvent(pid=200, timestamp=2_000.5, exited=False)
    assert judge_run("STARTED", None, alive, PROBE).verdict is Verdict.ALIVE
    gone = WorkerEvent(pid=300, timestamp=2_000.5, exited=False)
    assert judge_run("STARTED", None, gone, PROBE).dead
    exited = WorkerEvent(pid=200, timestamp=2_000.5, exited=True)
    assert judge_run("STARTED", None, exited, PROBE).dead
    # pid 200 started long after the event that named it: another process
    reused = WorkerEvent(pid=200, timestamp=1_500.0, exited=False)
    judged = judge_run("STARTED", None, reused, PROBE)
    assert judged.dead and judged.mark_ended


def test_a_running_run_without_any_recorded_process_is_unknown() -> None:
    judged = judge_run("STARTED", None, None, PROBE)
    assert judged.verdict is Verdict.UNKNOWN
    assert "no process of it is recorded" in judged.reason


def test_worker_events_are_recognised_by_their_message() -> None:
    assert worker_event_from_message("Started process for run (pid: 7).", 7, 1.0) == WorkerEvent(
        7, 1.0, False
    )
    assert worker_event_from_message("Executing steps in process (pid: 7)", 7, 1.0)
    assert worker_event_from_message("Process for run exited (pid: 7).", 7, 1.0).exited
    assert worker_event_from_message("Capturing logs for process (pid: 7).", 7, 1.0) is None


def test_the_process_tag_round_trips_and_names_its_run() -> None:
    identity = cli()
    tags = {PROCESS_TAG: identity.to_tag("run-a")}
    assert ProcessIdentity.from_tags(tags, "run-a") == identity
    # a re-execution from the UI copies the tags of the run it re-executes
    assert ProcessIdentity.from_tags(tags, "run-b") is None
    assert ProcessIdentity.from_tags({PROCESS_TAG: "{not json"}, "run-a") is None
    assert ProcessIdentity.from_tags({PROCESS_TAG: '{"run_id": "run-a"}'}, "run-a") is None
    assert ProcessIdentity.from_tags({}, "run-a") is None


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
def test_the_real_process_table() -> None:
    local = LocalProcesses()
    me = local.identity()
    assert me.pid == os.getpid() and me.start_ticks and me.boot_id
    assert judge_process(me, local).verdict is Verdict.ALIVE
    # the same pid with another start time: a reused pid
    other = ProcessIdentity(me.pid, me.host, me.boot_id, me.start_ticks + 1)
    assert judge_process(other, local).dead

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child_identity = local.identity(child.pid)
    child.wait()  # reaped: the pid is gone
    assert judge_process(child_identity, local).dead

    started = local.start_time(os.getpid())
    assert started is not None
    worker = WorkerEvent(os.getpid(), started + 1.0, exited=False)
    assert judge_run("STARTED", None, worker, local).verdict is Verdict.ALIVE
