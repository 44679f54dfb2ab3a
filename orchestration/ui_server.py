"""`dagster dev` (webserver, daemon and code servers) as one managed process group.

Why not simply exec `dagster dev`: it maps SIGTERM onto whatever SIGINT does. A process started in
the background of a non-interactive shell inherits SIGINT as *ignored*, so `dagster dev` then
ignores SIGTERM too, and killing it, or its process group, leaves the webserver, the daemon and the
gRPC code servers running. Here `dagster dev` runs in its own process group with SIGINT and SIGTERM
at their defaults; on Ctrl-C or SIGTERM this process interrupts `dagster dev`, waits until every
process of its group has exited, and kills whatever is left after a grace period.

Linux only: group members are read from /proc (zombies do not count as running).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, NamedTuple

import httpx

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READY_TIMEOUT_SECONDS = 180.0
# dagster dev itself waits up to 60 s for the webserver and then for the daemon.
STOP_GRACE_SECONDS = 75.0
KILL_GRACE_SECONDS = 10.0
_POLL_SECONDS = 0.5


CODE_LOCATION_MODULE = "orchestration.definitions"
# Dagster 1.13 marks `dagster dev` superseded by `dg dev` (from a package this project does not
# install) and says so with a SupersessionWarning on every start, in the user's terminal. The
# filter is given to that one process (-W), not to the environment its children inherit.
DEV_SUPERSESSION_FILTER = "ignore:Function `dev_command` is superseded:FutureWarning"


def dagster_dev_command(host: str, port: int, module: str = CODE_LOCATION_MODULE) -> list[str]:
    return [
        sys.executable,
        "-W",
        DEV_SUPERSESSION_FILTER,
        "-m",
        "dagster",
        "dev",
        "-m",
        module,
        "--host",
        host,
        "--port",
        str(port),
    ]


def browse_url(host: str, port: int) -> str:
    """The address to open: a wildcard bind is reached on loopback."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in reachable:
        reachable = f"[{reachable}]"
    return f"http://{reachable}:{port}"


class ProcessInfo(NamedTuple):
    pid: int
    ppid: int
    pgid: int
    session: int
    state: str


def process_table() -> list[ProcessInfo]:
    """Every live (not zombie) process, from /proc."""
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        state = fields[0]
        if state not in ("Z", "X"):
            table.append(
                ProcessInfo(int(entry.name), int(fields[1]), int(fields[2]), int(fields[3]), state)
            )
    return table


def group_members(pgid: int) -> list[int]:
    """PIDs of the live (not zombie) processes in process group `pgid`."""
    return sorted(p.pid for p in process_table() if p.pgid == pgid)


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def wait_for_group_exit(pgid: int, timeout: float) -> bool:
    """Wait until no live process is left in the group; True if it emptied in time."""
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def start_process_group(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: int | None = None,
    stderr: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new process group, with SIGINT and SIGTERM at their
    defaults even if this process inherited them ignored."""

    def _restore_default_signals() -> None:
        for sig in FORWARDED_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    return subprocess.Popen(
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        process_group=0,
        preexec_fn=_restore_default_signals,
    )


# CSI sequences (colours, cursor moves): what Dagster's services and dbt write to a terminal.
ANSI_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")


def forward_without_colours(source: IO[bytes], sink: IO[bytes]) -> None:
    """Copy `source` to `sink` line by line, without ANSI escape sequences, until end of file."""
    for line in iter(source.readline, b""):
        try:
            sink.write(ANSI_ESCAPE.sub(b"", line))
            sink.flush()
        except (BrokenPipeError, ValueError):  # our own reader went away: keep draining
            pass


def _plain_pipe(stream: IO[str]) -> bool:
    """True when `stream` is redirected (a file, a pipe, the journal): its copy gets no colours."""
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return False


def _wait_for_leader_and_group(process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process.poll() is None or group_members(process.pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def stop_process_group(
    process: subprocess.Popen[bytes],
    grace_seconds: float = STOP_GRACE_SECONDS,
    kill_grace_seconds: float = KILL_GRACE_SECONDS,
) -> int:
    """SIGINT to the leader (dagster dev), which stops the webserver, daemon and code servers it
    started; then SIGTERM and finally SIGKILL to whatever is left in the group. Signalling the
    whole group at once is not as clean: dagster dev restarts a code server it sees exit.
    Returns the leader's exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    if not _wait_for_leader_and_group(process, grace_seconds):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            signal_group(process.pid, sig)
            if _wait_for_leader_and_group(process, kill_grace_seconds):
                break
    return process.wait(timeout=kill_grace_seconds)


def wait_until_answering(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = READY_TIMEOUT_SECONDS,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll `url` until it answers 200; False if the process exits, a stop is requested or
    `timeout` passes first."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None or should_stop():
                return False
            try:
                if client.get(url).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(_POLL_SECONDS)
    return False


class ManagedDagsterDev:
    """Run `dagster dev` in its own process group until it exits or this process is told to
    stop (SIGINT or SIGTERM), then stop the whole group."""

    def __init__(self, host: str, port: int, env: Mapping[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        self.env = env
        self.url = browse_url(host, port)
        self.stop_signal: int | None = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        previous = {sig: signal.getsignal(sig) for sig in FORWARDED_SIGNALS}
        for sig in FORWARDED_SIGNALS:
            signal.signal(sig, self._on_signal)
        try:
            # Dagster's services colour their log lines whatever their output is: when ours is
            # redirected (a file, `| tee`, systemd's journal), their output passes through here
            # and loses the escape codes. On a terminal it goes straight through.
            pipes = {name: _plain_pipe(getattr(sys, name)) for name in ("stdout", "stderr")}
            process = start_process_group(
                dagster_dev_command(self.host, self.port),
                self.env,
                stdout=subprocess.PIPE if pipes["stdout"] else None,
                stderr=subprocess.PIPE if pipes["stderr"] else None,
            )
            forwarders = [
                threading.Thread(
                    target=forward_without_colours,
                    args=(getattr(process, name), getattr(sys, name).buffer),
                    daemon=True,
                )
                for name, piped in pipes.items()
                if piped
            ]
            for forwarder in forwarders:
                forwarder.start()
            try:
                return self._supervise(process)
            finally:
                if process.poll() is None or group_members(process.pid):
                    print("Stopping the Dagster UI ...", file=sys.stderr, flush=True)
                    stop_process_group(process)
                for forwarder in forwarders:
                    forwarder.join(timeout=KILL_GRACE_SECONDS)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _supervise(self, process: subprocess.Popen[bytes]) -> int:
        stopping = lambda: self.stop_signal is not None  # noqa: E731
        if wait_until_answering(f"{self.url}/server_info", process, should_stop=stopping):
            print(f"Dagster UI ready on {self.url} (Ctrl-C stops it)", flush=True)
        elif process.poll() is None and not stopping():
            print(
                f"Dagster UI not answering on {self.url} after {READY_TIMEOUT_SECONDS:.0f} s;"
                " still waiting (Ctrl-C stops it)",
                file=sys.stderr,
                flush=True,
            )
        while process.poll() is None and not stopping():
            time.sleep(_POLL_SECONDS)
        if self.stop_signal is not None:
            return 0  # asked to stop: a clean stop is a success (systemd, make)
        return process.returncode or 0
