"""Start, query and stop the Dagster UI in tests, on loopback, leaving no process behind.

Each server runs in its own session (`start_new_session`), so every process it spawns (dagster
dev, webserver, daemon, code servers, run workers) can be found by session id and, whatever
happens in a test, stopped by the fixture that started it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assets.settings import REPO_ROOT
from orchestration.ui_server import ProcessInfo, process_table
from tests.support.cli import isolated_env

# The repository root (not tests/): `python -m orchestration.cli` from there runs this checkout's
# code, not the one the venv's editable install points to.
REPO = REPO_ROOT
OUTPUT_DIR = Path(__file__).resolve().parent / "output"  # git-ignored
LOOPBACK = "127.0.0.1"
CODE_LOCATION_MODULE = "orchestration.definitions"
SERVER_START_TIMEOUT = 240.0
SERVER_STOP_TIMEOUT = 120.0
_POLL_SECONDS = 0.5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((LOOPBACK, port)) == 0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class UiProcess:
    """A server started by a test: the session leader and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def session(self) -> int:
        return self.process.pid

    def session_processes(self) -> list[ProcessInfo]:
        return [p for p in process_table() if p.session == self.session]

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _start(
    command: Sequence[str], env: dict[str, str], log_path: Path, port: int, ignore_sigint: bool
) -> UiProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As in the background of a non-interactive shell, where SIGINT arrives ignored.
            preexec_fn=_ignore_sigint if ignore_sigint else None,
        )
    return UiProcess(process, port, log_path)


def start_adrpulse_ui(home: Path, log_path: Path, ignore_sigint: bool = True) -> UiProcess:
    """`adrpulse ui` (what `make ui` runs): dagster dev, so webserver and daemon."""
    port = free_port()
    command = [sys.executable, "-m", "orchestration.cli", "ui", "--host", LOOPBACK]
    command += ["--port", str(port)]
    return _start(command, isolated_env(home), log_path, port, ignore_sigint)


def start_webserver(home: Path, dagster_home: Path, log_path: Path) -> UiProcess:
    """A bare dagster-webserver (no daemon: schedules do not tick, queued runs do not start)."""
    port = free_port()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    command = [str(webserver), "-m", CODE_LOCATION_MODULE, "-h", LOOPBACK, "-p", str(port)]
    return _start(command, isolated_env(home, dagster_home), log_path, port, ignore_sigint=False)


def wait_for_server_info(ui: UiProcess, timeout: float = SERVER_START_TIMEOUT) -> dict[str, Any]:
    """Poll /server_info until the webserver answers; fail with the server's log otherwise."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if ui.process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {ui.process.returncode}:\n{ui.log_tail()}"
                )
            try:
                response = client.get(f"{ui.url}/server_info")
                if response.status_code == 200:
                    return response.json()
            except httpx.HTTPError:
                pass
            time.sleep(_POLL_SECONDS)
    message = f"{ui.url}/server_info not answering after {timeout:.0f} s"
    raise AssertionError(f"{message}:\n{ui.log_tail()}")


def wait_for_log_line(ui: UiProcess, text: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in ui.log_tail(chars=1_000_000):
            return True
        time.sleep(_POLL_SECONDS)
    return False


def wait_for_no_session_processes(ui: UiProcess, timeout: float) -> list[ProcessInfo]:
    """Wait until nothing of the server's session runs; returns what is left (empty if none)."""
    deadline = time.monotonic() + timeout
    left = ui.session_processes()
    while left and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        left = ui.session_processes()
    return left


def terminate(ui: UiProcess, timeout: float = SERVER_STOP_TIMEOUT) -> int | None:
    """SIGTERM to the session leader only, as a service manager or `kill` sends it; returns its
    exit status, or None if it did not exit in time."""
    if ui.process.poll() is None:
        ui.process.send_signal(signal.SIGTERM)
    try:
        return ui.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def kill_session(ui: UiProcess) -> None:
    """Last resort for a fixture's teardown: SIGKILL everything left in the session."""
    for info in ui.session_processes():
        with contextlib.suppress(ProcessLookupError):
            os.kill(info.pid, signal.SIGKILL)
    if ui.process.poll() is None:
        ui.process.kill()
    ui.process.wait(timeout=10)


def shut_down(ui: UiProcess) -> None:
    """Teardown: stop the server politely, then make sure nothing of it is left."""
    terminate(ui)
    if wait_for_no_session_processes(ui, timeout=15.0):
        kill_session(ui)


class GraphQLClient:
    """The webserver's GraphQL endpoint; raises on transport and GraphQL errors."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.endpoint = f"{base_url}/graphql"
        self.client = httpx.Client(timeout=timeout, trust_env=False)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            self.endpoint, json={"query": query, "variables": variables or {}}
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def close(self) -> None:
        self.client.close()
