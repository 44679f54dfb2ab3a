"""Pool slots never outlive their run (issue 21), on a real Dagster instance in a temporary
DAGSTER_HOME.

- in this process: freeing the slots of dead runs, leaving live and unknown ones, and the wait
  for a pool (gives up after its timeout, naming the holder and the recovery command);
- Dagster's own wait inside a run (tests/support/pool_helpers.py run-tiny, in a subprocess): no busy
  loop, SIGTERM ends it, a holder that dies is freed, the wait timeout fails the run;
- the CLI (`adrpulse fetch-news` against a loopback feed server, the cheapest real job that takes
  the warehouse pool): a run SIGKILLed while its step holds the warehouse slot leaks the slot;
  `adrpulse runs free-slots --dry-run` lists it as dead; the next `adrpulse fetch-news` frees it,
  says so and completes. A command waiting for a slot held by a live run says what it waits for,
  stops on SIGTERM within seconds and gives up after --wait-timeout.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from orchestration import run_slots
from orchestration.commands.common import CliError
from orchestration.prepare import sqlite_dagster_yaml
from orchestration.run_liveness import PROCESS_TAG, LocalProcesses, ProcessIdentity
from tests.support.cli import REPO, isolated_env, run_cli
from tests.support.feed_server import RSS20, RSS_TYPE, FeedServer, Route
from tests.support.pool_helpers import POOL, claim, started_run, tiny_job_def


def _prepare_home(home: Path) -> Path:
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(sqlite_dagster_yaml(dagster_home))
    return dagster_home


# --- in this process -------------------------------------------------------------------------


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.from_config(str(_prepare_home(tmp_path))) as inst:
        yield inst


def _dead_identity() -> ProcessIdentity:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = LocalProcesses().identity(child.pid)
    child.wait()
    return identity


def _tags(identity: ProcessIdentity, run_id: str) -> dict[str, str]:
    return {PROCESS_TAG: identity.to_tag(run_id)}


def _holders(instance: dg.DagsterInstance) -> set[str]:
    info = instance.event_log_storage.get_concurrency_info(POOL)
    return {s.run_id for s in info.claimed_slots} | {p.run_id for p in info.pending_steps}


def test_the_guard_fixes_a_real_dagster_bug() -> None:
    """Canary: Dagster 1.13's interval to the next claim check is never positive, so its
    in-process loop never sleeps while a step waits for a slot. When this fails, Dagster has
    fixed it and orchestration/pool_guard.py may go."""
    from dagster._core.execution.plan.instance_concurrency_context import (
        InstanceConcurrencyContext,
    )

    context = InstanceConcurrencyContext.__new__(InstanceConcurrencyContext)
    context._pending_claims = {"step"}
    context._pending_timeouts = {"step": time.time() + 10}
    assert context.interval_to_next_pending_claim_check() <= 0


def test_frees_the_slot_of_a_run_whose_process_is_gone_and_marks_it_failed(
    instance: dg.DagsterInstance,
) -> None:
    dead = str(uuid.uuid4())
    started_run(instance, _tags(_dead_identity(), dead), dead)
    claim(instance, dead)
    lines: list[str] = []

    freed = run_slots.free_dead_slots(instance, out=lines.append)

    assert [(f.pool, f.run.run_id, f.marked) for f in freed] == [(POOL, dead, "failed")]
    assert len(lines) == 1
    assert f"freed the {POOL} pool slot of run {dead} (job tiny_pool_job)" in lines[0]
    assert "is gone; marked the run failed" in lines[0]
    assert _holders(instance) == set()
    run = instance.get_run_by_id(dead)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(dead, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "can no longer finish or free its pool slots" in failure[0].message


def test_leaves_live_and_unknown_runs_and_frees_ended_ones(instance: dg.DagsterInstance) -> None:
    alive = str(uuid.uuid4())
    started_run(instance, _tags(LocalProcesses().identity(), alive), alive)
    claim(instance, alive)
    unknown = started_run(instance)  # no process recorded
    instance.event_log_storage.claim_concurrency_slot(POOL, unknown, "queued_step")  # queued
    ended = started_run(instance)
    instance.report_run_failed(instance.get_run_by_id(ended), "ended normally")
    instance.event_log_storage.claim_concurrency_slot(POOL, ended, "queued_step")
    assert _holders(instance) == {alive, unknown, ended}

    lines: list[str] = []
    freed = run_slots.free_dead_slots(instance, out=lines.append)

    assert [(f.run.run_id, f.marked) for f in freed] == [(ended, None)]
    assert lines == [
        f"Pool slots: dropped the queued steps in pool {POOL} of run {ended} "
        "(job tiny_pool_job): the run is FAILURE."
    ]
    assert _holders(instance) == {alive, unknown}
    states = {u.run_id: u.use for u in run_slots.pool_states(instance)[0].uses}
    assert states == {alive: "holds", unknown: "queued"}


def test_the_wait_gives_up_after_its_timeout_naming_the_holder(
    instance: dg.DagsterInstance,
) -> None:
    holder = started_run(instance)  # no process recorded: alive as far as anyone can tell
    claim(instance, holder)
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(CliError) as raised:
        run_slots.wait_for_pools(
            instance, [POOL], "job x", timeout=0.5, out=lines.append, poll_seconds=0.1
        )
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert message.startswith("gave up after 0.5 s waiting for pool warehouse (limit 1)")
    assert f"run {holder} (job tiny_pool_job, STARTED" in message
    assert f"adrpulse runs free-slots --run {holder}" in message
    assert lines and lines[0].startswith("Pool slots: job x waits for pool warehouse")


def test_the_wait_frees_a_dead_holder_and_returns(instance: dg.DagsterInstance) -> None:
    dead = str(uuid.uuid4())
    started_run(instance, _tags(_dead_identity(), dead), dead)
    claim(instance, dead)
    lines: list[str] = []
    run_slots.wait_for_pools(instance, [POOL], "job x", timeout=5, out=lines.append)
    assert len(lines) == 1 and dead in lines[0] and POOL in lines[0]


def test_free_slots_command_leaves_unknown_runs_unless_named_and_refuses_live_ones(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    alive = str(uuid.uuid4())
    started_run(instance, _tags(LocalProcesses().identity(), alive), alive)
    claim(instance, alive)
    unknown = started_run(instance)  # launched elsewhere, no process recorded
    instance.event_log_storage.claim_concurrency_slot(POOL, unknown, "tiny_pool_asset")

    listing = run_cli(tmp_path, "runs", "free-slots")
    assert listing.returncode == 0, listing.stderr[-3000:]
    lines = listing.stdout.splitlines()
    assert re.match(r"pool\s+limit\s+run\s+job\s+status\s+step\s+use\s+process$", lines[1])
    assert any(re.match(rf"warehouse\s+1\s+{alive}\s+.*holds\s+alive: process", x) for x in lines)
    assert any(re.match(rf"warehouse\s+1\s+{unknown}\s+.*queued\s+unknown: ", x) for x in lines)
    assert "0 run(s) freed, 1 alive, 1 unknown." in listing.stdout
    assert f"adrpulse runs free-slots --run {unknown}" in listing.stdout
    assert _holders(instance) == {alive, unknown}

    refused = run_cli(tmp_path, "runs", "free-slots", "--run", alive)
    assert refused.returncode == 1
    assert f"run {alive}" in refused.stderr and "is alive" in refused.stderr

    forced = run_cli(tmp_path, "runs", "free-slots", "--run", unknown)
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert (
        f"Pool slots: dropped the queued steps in pool {POOL} of run {unknown} (job "
        "tiny_pool_job): the operator freed it (the run is STARTED and no process of it is "
        "recorded); marked the run failed." in forced.stdout
    )
    assert _holders(instance) == {alive}
    run = instance.get_run_by_id(unknown)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE


def test_job_pools() -> None:
    assert run_slots.job_pools(tiny_job_def()) == {POOL}


# --- subprocesses ------------------------------------------------------------------------------


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**isolated_env(home, home / "dagster"), **extra}


class Lines:
    """The merged output of a subprocess, line by line, read by a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self._queue.put(None)  # stays at the end
                break
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.seen))

    def rest(self, timeout: float) -> str:
        """Everything until the process exits (and closes its output)."""
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        while (line := self._queue.get()) is not None:
            self.seen.append(line)
        self._queue.put(None)
        return "\n".join(self.seen)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        process_group=0,  # its own group: SIGKILL reaches whatever it started
    )


@contextmanager
def live_holder(home: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process that holds the warehouse slot for a STARTED run recorded as itself."""
    process = _spawn([sys.executable, "-m", "tests.support.pool_helpers", "hold"], _env(home))
    lines = Lines(process)
    try:
        run_id = lines.wait_for(r"^HOLDING (\S+)", timeout=120).group(1)
        yield process, run_id
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        lines.rest(timeout=30)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _claimed_by(dagster_home: Path) -> set[str]:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        info = instance.event_log_storage.get_concurrency_info(POOL)
        return {slot.run_id for slot in info.claimed_slots}


def test_a_run_waiting_in_dagster_sleeps_and_stops_on_sigterm(tmp_path: Path) -> None:
    _prepare_home(tmp_path)
    with live_holder(tmp_path) as (_, holder):
        run = _spawn(
            [sys.executable, "-m", "tests.support.pool_helpers", "run-tiny"], _env(tmp_path)
        )
        lines = Lines(run)
        lines.wait_for(rf"waits for pool warehouse .*held by .*run {holder}", timeout=120)
        before = _cpu_seconds(run.pid)
        time.sleep(3)
        cpu_share = (_cpu_seconds(run.pid) - before) / 3
        assert cpu_share < 0.3, f"the wait is busy: {cpu_share:.0%} of a core"
        run.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output = lines.rest(timeout=20)
        assert time.monotonic() - started < 10
        assert "interrupted while step tiny_pool_asset waited for pool warehouse" in output
        assert re.search(r"^RESULT \S+ False$", output, re.M), output[-3000:]
        assert run.returncode == 1


def test_a_run_waiting_in_dagster_gets_the_slot_when_its_holder_dies(tmp_path: Path) -> None:
    _prepare_home(tmp_path)
    with live_holder(tmp_path) as (holder_process, holder):
        run = _spawn(
            [sys.executable, "-m", "tests.support.pool_helpers", "run-tiny"], _env(tmp_path)
        )
        lines = Lines(run)
        lines.wait_for(rf"waits for pool warehouse .*run {holder}", timeout=120)
        os.killpg(holder_process.pid, signal.SIGKILL)
        lines.wait_for(rf"freed the warehouse pool slot of run {holder}", timeout=30)
        lines.wait_for(r"^RESULT \S+ True$", timeout=60)
    assert _claimed_by(tmp_path / "dagster") == set()


def test_a_run_waiting_in_dagster_fails_after_the_wait_timeout(tmp_path: Path) -> None:
    _prepare_home(tmp_path)
    with live_holder(tmp_path):
        env = _env(tmp_path, ADRPULSE_POOL_WAIT_TIMEOUT="2")
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.pool_helpers", "run-tiny"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    assert result.returncode == 1
    assert "gave up after 2 s: step tiny_pool_asset waited for pool warehouse" in result.stderr


# --- the CLI -----------------------------------------------------------------------------------


def test_a_command_waiting_for_a_slot_says_so_stops_on_sigterm_and_times_out(
    tmp_path: Path,
) -> None:
    _prepare_home(tmp_path)
    with live_holder(tmp_path) as (_, holder):
        command = _spawn([sys.executable, "-m", "orchestration.cli", "fetch-news"], _env(tmp_path))
        lines = Lines(command)
        lines.wait_for(
            rf"^Pool slots: job poll_news waits for pool warehouse \(limit 1\), held by step "
            rf"tiny_pool_asset of run {holder} \(job tiny_pool_job, STARTED: process \d+ on host "
            r".* is running\)\. Waiting up to 10 min \(Ctrl-C stops\)\.$",
            timeout=180,
        )
        command.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output = lines.rest(timeout=30)
        assert time.monotonic() - started < 5
        assert command.returncode == 1
        assert re.search(
            rf"adrpulse fetch-news: stopped by SIGTERM while waiting for pool warehouse .*"
            rf"run {holder} .*job poll_news was not started",
            output,
        ), output[-3000:]

        timed_out = run_cli(tmp_path, "fetch-news", "--wait-timeout", "1", timeout=300)
    assert timed_out.returncode == 1
    assert "gave up after 1 s waiting for pool warehouse (limit 1), held by step " in (
        timed_out.stderr
    )
    assert f"run {holder}" in timed_out.stderr
    assert "adrpulse runs free-slots" in timed_out.stderr


def test_a_killed_cli_run_leaks_its_slot_and_the_next_command_frees_it(tmp_path: Path) -> None:
    dagster_home = _prepare_home(tmp_path)
    hang = Route(
        body=RSS20.encode(), headers={"Content-Type": RSS_TYPE}, delay_before_headers=300
    )
    with FeedServer({"/hang.xml": hang, "/rss20.xml": Route(
        body=RSS20.encode(), headers={"Content-Type": RSS_TYPE}
    )}) as server:  # fmt: skip
        hanging = tmp_path / "hanging_feeds.csv"
        hanging.write_text(
            f"name,url,tickers,allow_private_network\nhang,{server.url('/hang.xml')},BABA,true\n"
        )
        fine = tmp_path / "feeds.csv"
        fine.write_text(
            f"name,url,tickers,allow_private_network\nrss20,{server.url('/rss20.xml')},BABA,true\n"
        )

        env = _env(tmp_path, ADRPULSE_FEEDS=str(hanging), ADRPULSE_FEED_READ_TIMEOUT="300")
        victim = _spawn([sys.executable, "-m", "orchestration.cli", "fetch-news"], env)
        victim_lines = Lines(victim)  # drains its output
        try:
            deadline = time.monotonic() + 240
            claimed: set[str] = set()
            while not claimed and time.monotonic() < deadline and victim.poll() is None:
                time.sleep(0.2)
                if (dagster_home / "storage").exists():
                    claimed = _claimed_by(dagster_home)
            assert claimed, "the fetch-news run never claimed the warehouse slot"
            os.killpg(victim.pid, signal.SIGKILL)
        finally:
            if victim.poll() is None:
                os.killpg(victim.pid, signal.SIGKILL)
            victim_lines.rest(timeout=30)
        (victim_run,) = claimed
        time.sleep(0.5)
        assert _claimed_by(dagster_home) == {victim_run}, "the kill did not leak the slot"

        listing = run_cli(tmp_path, "runs", "free-slots", "--dry-run")
        assert listing.returncode == 0, listing.stderr[-3000:]
        row = next(line for line in listing.stdout.splitlines() if victim_run in line)
        assert re.match(
            rf"warehouse\s+1\s+{victim_run}\s+poll_news\s+STARTED\s+\S+\s+holds\s+dead: "
            r"process \d+ on host \S+ is gone",
            row,
        ), listing.stdout
        assert f"Would free the slots of run {victim_run}" in listing.stdout
        assert _claimed_by(dagster_home) == {victim_run}

        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ADRPULSE_FEEDS", str(fine))
            after = run_cli(tmp_path, "fetch-news", timeout=600)
    assert after.returncode == 0, after.stdout[-2000:] + after.stderr[-4000:]
    freed = [line for line in after.stderr.splitlines() if line.startswith("Pool slots:")]
    assert freed == [
        f"Pool slots: freed the warehouse pool slot of run {victim_run} (job poll_news): "
        f"process {_pid_in(freed[0])} on host {os.uname().nodename} is gone; marked the run "
        "failed."
    ], after.stderr[-3000:]
    assert "rss20  ok" in after.stdout
    assert _claimed_by(dagster_home) == set()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(victim_run)
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE


def _pid_in(line: str) -> str:
    match = re.search(r"process (\d+) on host", line)
    return match.group(1) if match else "?"


def test_free_slots_help() -> None:
    result = run_cli(Path("/nonexistent-home-not-used"), "runs", "free-slots", "--help")
    assert result.returncode == 0
    assert "usage: adrpulse runs free-slots" in result.stdout
    assert "--dry-run" in result.stdout and "--run RUN_ID" in result.stdout
    build = run_cli(Path("/nonexistent-home-not-used"), "build", "--help")
    assert "--wait-timeout SECONDS" in build.stdout
