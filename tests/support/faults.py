"""The faults tier's tools (tests/test_faults_*.py): killing a command at a line of its own log,
running one with a deadline, snapshots of what readers and the warehouse hold, and the tally the
tier prints at the end of the session (tests/conftest.py, pytest_terminal_summary).

Every command runs as `python -m orchestration.cli ...` in its own session (process group), so a
SIGKILL or a timeout reaches what it started too (dbt, DuckDB threads, Dagster's helpers).
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tests.support.cli import REPO, isolated_env
from warehouse.publish import open_published_build

TRACEBACK = "Traceback (most recent call last)"


@dataclass
class FaultTally:
    """What the tier survived, for its one-line summary."""

    kill_points: int = 0  # commands SIGKILLed at a kill point whose home then fully recovered
    hostile_tried: int = 0  # hostile feeds and import files thrown at ADR Pulse
    hostile_rejected: int = 0  # ... of which refused (or contained) with a named reason
    disk_full: int = 0  # disk-full runs that failed cleanly and succeeded once space was freed
    rows_lost: int = 0  # raw rows lost or duplicated by a crash, over every kill point
    feed_peak_rss_mb: float | None = None  # the hostile feeds' poll, in its own process
    ran: bool = False

    def summary_line(self) -> str:
        peak = (
            f", hostile feeds polled in {self.feed_peak_rss_mb:.0f} MB peak RSS"
            if self.feed_peak_rss_mb is not None else ""
        )
        return (
            f"faults tier: {self.kill_points} kill points survived, "
            f"{self.disk_full} disk-full run(s) recovered, {self.hostile_tried} hostile inputs "
            f"tried, {self.hostile_rejected} rejected or contained{peak}, "
            f"rows lost: {self.rows_lost}"
        )


TALLY = FaultTally()


# --- running commands --------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """Where to SIGKILL a command: the first line matching `pattern`, on its stdout or stderr,
    or (with `log_glob`) in a log file under ADRPULSE_HOME that appears during the run (dbt's
    own log, whose progress the CLI does not echo)."""

    name: str
    pattern: str
    log_glob: str | None = None


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Killed:
    point: KillPoint
    line: str  # the line that triggered the kill
    lines: list[str] = field(default_factory=list)  # everything seen until the process ended
    returncode: int | None = None
    seconds: float = 0.0


def _spawn(home: Path, args: tuple[str, ...], env: dict[str, str] | None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "orchestration.cli", *args],
        cwd=REPO,
        env={**isolated_env(home), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group: SIGKILL reaches dbt and the rest
    )


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def run_command(
    home: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> Finished:
    """Run `adrpulse ARGS` to the end; a command still running after `timeout` seconds is a
    hang: its whole group is killed and the test fails, showing what it printed."""
    started = time.monotonic()
    process = _spawn(home, args, env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"adrpulse {' '.join(args)} hung: still running after {timeout:g} s\n"
            f"{stdout[-3000:]}\n{stderr[-3000:]}"
        ) from None
    finally:
        _kill_group(process)  # nothing it started may outlive it
    return Finished(process.returncode, stdout, stderr, time.monotonic() - started)


def _pump(stream, name: str, lines: queue.Queue) -> None:
    for line in stream:
        lines.put((name, line.rstrip("\n")))
    lines.put((name, None))


def _tail_new_logs(home: Path, pattern: str, existing: set[Path], lines: queue.Queue,
                   stop: threading.Event) -> None:
    """Follow the log files matching `pattern` that did not exist when the command started,
    line by line, as they grow."""
    offsets: dict[Path, int] = {}
    partial: dict[Path, str] = {}
    while not stop.is_set():
        for path in home.glob(pattern):
            if path in existing:
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    fh.seek(offsets.get(path, 0))
                    chunk = fh.read()
                    offsets[path] = fh.tell()
            except OSError:
                continue
            text = partial.get(path, "") + chunk
            *complete, partial[path] = text.split("\n")
            for line in complete:
                lines.put((str(path), line))
        stop.wait(0.05)


def run_until(
    home: Path,
    *args: str,
    point: KillPoint,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> Killed:
    """Run `adrpulse ARGS` and SIGKILL its process group at the first line matching the kill
    point. Fails when the command ends, or `timeout` passes, before that line appears."""
    started = time.monotonic()
    existing = set(home.glob(point.log_glob)) if point.log_glob else set()
    process = _spawn(home, args, env)
    lines: queue.Queue = queue.Queue()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_pump, args=(process.stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, "stderr", lines), daemon=True),
    ]
    if point.log_glob:
        threads.append(threading.Thread(
            target=_tail_new_logs, args=(home, point.log_glob, existing, lines, stop),
            daemon=True))
    for thread in threads:
        thread.start()
    regex = re.compile(point.pattern)
    seen: list[str] = []
    open_streams = 2
    trigger: str | None = None
    try:
        while open_streams and trigger is None:
            remaining = timeout - (time.monotonic() - started)
            if remaining <= 0:
                break
            try:
                source, line = lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                open_streams -= 1
                continue
            if source in ("stdout", "stderr"):
                seen.append(line)
            elif regex.search(line):
                seen.append(f"[{Path(source).name}] {line[:300]}")
            if (point.log_glob is None) == (source in ("stdout", "stderr")) \
                    and regex.search(line):
                trigger = line
    finally:
        _kill_group(process)
        process.wait(timeout=60)
        stop.set()
    for thread in threads[:2]:
        thread.join(timeout=30)
    while not lines.empty():
        source, line = lines.get_nowait()
        if line is not None and source in ("stdout", "stderr"):
            seen.append(line)
    if trigger is None:
        tail = "\n".join(seen[-60:])
        raise AssertionError(
            f"adrpulse {' '.join(args)} never reached the kill point {point.name!r} "
            f"(/{point.pattern}/) in {timeout:g} s; exit status {process.returncode}:\n{tail}"
        )
    return Killed(point, trigger, seen, process.returncode, time.monotonic() - started)


# --- what readers and the warehouse hold --------------------------------------------------------


def published_build_id(home: Path) -> str:
    con, build = open_published_build(home / "published")
    con.close()
    return build.build_id


def published_marts(home: Path, ignore: tuple[str, ...] = ("built_at",)) -> dict[str, list]:
    """Every published mart's rows, ordered, without the `ignore` columns."""
    con, build = open_published_build(home / "published")
    try:
        marts = {}
        for table in build.tables:
            if table.schema != "marts":
                continue
            columns = [
                row[0] for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table.name],
                ).fetchall()
                if row[0] not in ignore
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            marts[table.name] = con.execute(
                f'select {select} from marts."{table.name}" order by all'
            ).fetchall()
        return marts
    finally:
        con.close()


def _frozen(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _exact_part(row: tuple) -> tuple:
    """A row without its floats (NULL and NaN kept as markers): the order and identity of a row.
    Each mart's grain is unique without its measures, so this orders rows the same way in two
    builds whatever the floats' last bits."""
    return tuple(
        ("float", math.isnan(v)) if isinstance(v, float) else ("value", repr(_frozen(v)))
        for v in row
    )


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        # DuckDB sums in parallel: the same build can differ in the last bits of a double.
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return _frozen(a) == _frozen(b)


def mart_differences(got: dict[str, list], want: dict[str, list]) -> list[str]:
    """What differs between two sets of marts, table by table: rows, values (floats equal to
    1e-9 relative, since parallel sums may order their additions differently)."""
    problems = []
    if sorted(got) != sorted(want):
        problems.append(f"published marts {sorted(got)} != {sorted(want)}")
    for name in sorted(set(got) & set(want)):
        mine = sorted(got[name], key=_exact_part)
        theirs = sorted(want[name], key=_exact_part)
        if len(mine) != len(theirs):
            problems.append(f"marts.{name}: {len(mine)} rows, expected {len(theirs)}")
            continue
        for a, b in zip(mine, theirs, strict=True):
            if len(a) != len(b) or not all(_same(x, y) for x, y in zip(a, b, strict=True)):
                problems.append(f"marts.{name}: row {a} differs from the expected {b}")
                break
    return problems


@dataclass(frozen=True)
class RawBars:
    rows: int
    keys: frozenset[tuple[str, object]]

    def lost_or_duplicated(self, reference: RawBars) -> int:
        """Rows of `reference` missing here, plus keys stored more than once here."""
        return len(reference.keys - self.keys) + (self.rows - len(self.keys))


def raw_bars(home: Path) -> RawBars:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select count(*) from raw.daily_bars").fetchall()[0][0]
        keys = frozenset(con.execute("select ticker, session_date from raw.daily_bars").fetchall())
    finally:
        con.close()
    return RawBars(int(rows), keys)


def tree_listing(root: Path) -> dict[str, int]:
    """Every file under `root` (relative path -> size): what an 'unchanged' archive keeps."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()
    }


def leftovers(home: Path) -> list[Path]:
    """Temporary files a crashed publish or archive write leaves behind."""
    published = home / "published"
    found = list((published / "builds").glob(".*.tmp")) if (published / "builds").exists() else []
    found += list(published.glob(".catalog.duckdb.*.tmp*"))
    return found


@dataclass
class Timer:
    seconds: float = 0.0

    def __enter__(self) -> Timer:
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self._started


def iter_chunks(total: int, chunk: bytes) -> Iterator[bytes]:
    """`total` bytes made of `chunk` repeated (the last one cut), for files and bodies too big to
    hold in memory."""
    sent = 0
    while sent < total:
        piece = chunk[: total - sent]
        sent += len(piece)
        yield piece
