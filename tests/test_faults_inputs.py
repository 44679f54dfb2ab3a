"""Faults tier (issue 21): hostile feeds and hostile import files.

Feeds: a loopback server (tests/support/feed_server.py hostile_routes) serves entity bombs, a gzip
bomb, 100 MB bodies, redirect loops, a `file://` redirect, HTML, 10,000 items, a redirect to
another loopback port and a header drip. One child process polls them all through the pipeline's
own path (fetch, archive, parse, tag, load: tests/support/feed_poll.py); each hostile feed fails
with its reason, the others load, nothing oversized is archived, the drip is cut at the deadline,
and the child's peak RSS (wait4) stays under 600 MB.

Imports: `adrpulse import-prices` on files generated in tmp (never committed): non-UTF-8 bytes, a
200 MB line, a million columns, path traversal and SQL in names, a symlink out of the import
folder, NaN/inf, 1900 and 2100, a volume of 1e30, wrong-typed Parquet. Each is rejected by name,
exit status non-zero, no traceback, the archive and the warehouse unchanged.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from orchestration.tools.benchmark.measure import own_peak_command
from tests.support.cli import REPO, isolated_env
from tests.support.faults import TALLY, TRACEBACK, run_command, tree_listing
from tests.support.feed_server import FeedServer, hostile_routes, redirect

pytestmark = pytest.mark.faults

PEAK_RSS_LIMIT_MB = 600
FEED_TOTAL_TIMEOUT = 4.0  # seconds; short, so the header drip is cut quickly
FEED_READ_TIMEOUT = 3.0


# --- hostile feeds -------------------------------------------------------------------------------

# feed name -> (path on the hostile server, expected status, words the reason must contain)
HOSTILE_FEEDS: dict[str, tuple[str, str, str]] = {
    "billion_laughs": ("/billion-laughs.xml", "failed", "entities"),
    "quadratic_blowup": ("/quadratic-blowup.xml", "failed", "entities"),
    "external_entity": ("/external-entity.xml", "failed", "entities"),
    "gzip_bomb_1gb": ("/gzip-bomb-1gb.xml", "failed", "body larger than"),
    "body_100mb": ("/huge-100mb.xml", "failed", "Content-Length"),
    "body_100mb_unannounced": ("/huge-100mb-unannounced.xml", "failed", "body larger than"),
    "redirect_loop": ("/loop", "failed", "redirects"),
    "redirect_loop_two_steps": ("/loop-a", "failed", "redirects"),
    "redirect_to_file": ("/to-file", "failed", "non-http(s) URL not allowed"),
    "html_page": ("/html-page", "failed", "HTML page"),
    "html_as_rss": ("/html-as-rss.xml", "failed", "HTML page"),
    "other_loopback_port": ("/to-other-port", "failed", "refused"),
    "header_drip": ("/header-drip.xml", "failed", f"longer than {FEED_TOTAL_TIMEOUT:g}s"),
    "items_10000": ("/items-10000.xml", "ok", ""),  # big but valid: loaded, within bounds
}


@dataclass
class ChildRun:
    returncode: int
    peak_rss_mb: float
    outcomes: dict[str, dict]
    stderr: str


def _run_measured(args: list[str], env: dict[str, str], out: Path, err: Path) -> ChildRun:
    """Run a child under the benchmark's launcher, which reads the child's own peak RSS from
    wait4. Reaped from pytest itself, the child would report at least pytest's own high-water
    mark (ru_maxrss carries over fork and exec), which late in a full suite is over 600 MB."""
    report = out.with_suffix(".peak.json")
    with open(out, "w") as stdout, open(err, "w") as stderr:
        subprocess.run(own_peak_command(report, args), cwd=REPO, env=env, stdout=stdout,
                       stderr=stderr, start_new_session=True, check=False)
    measured = json.loads(report.read_text())
    outcomes = {}
    for line in out.read_text().splitlines():
        record = json.loads(line)
        outcomes[record["feed"]] = record
    return ChildRun(measured["returncode"], measured["peak_rss_kb"] / 1024, outcomes,
                    err.read_text())


def test_hostile_feeds_fail_by_name_within_the_memory_bound(tmp_path: Path) -> None:
    TALLY.ran = True
    with FeedServer() as other, FeedServer(hostile_routes()) as server:
        server.routes["/to-other-port"] = redirect(other.url("/rss20.xml"))
        feeds = tmp_path / "feeds.csv"
        lines = ["name,url,tickers,allow_private_network",
                 f"control_rss,{server.url('/rss20.xml')},,true"]
        lines += [f"{name},{server.url(path)},,true" for name, (path, _, _) in
                  HOSTILE_FEEDS.items()]
        feeds.write_text("\n".join(lines) + "\n")
        home = tmp_path / "home"
        child = _run_measured(
            [sys.executable, "-m", "tests.support.feed_poll", str(feeds), str(home),
             "--total-timeout", str(FEED_TOTAL_TIMEOUT), "--read-timeout", str(FEED_READ_TIMEOUT)],
            isolated_env(home), tmp_path / "out.jsonl", tmp_path / "err.txt",
        )
        assert not other.requests_to("/rss20.xml"), "the redirect to another port was followed"

    assert child.returncode == 0, child.stderr[-4000:]
    TALLY.feed_peak_rss_mb = child.peak_rss_mb
    assert TRACEBACK not in child.stderr
    assert child.outcomes["control_rss"]["status"] == "ok"
    problems = []
    for name, (_, status, words) in HOSTILE_FEEDS.items():
        outcome = child.outcomes.get(name)
        TALLY.hostile_tried += 1
        if outcome is None or outcome["status"] != status or words not in (outcome["error"] or ""):
            problems.append(f"{name}: {outcome}")
            continue
        TALLY.hostile_rejected += 1
    assert not problems, "\n".join(problems)
    assert child.outcomes["items_10000"]["new"] == 10_000
    drip = child.outcomes["header_drip"]["seconds"]
    assert FEED_TOTAL_TIMEOUT - 0.5 <= drip <= FEED_TOTAL_TIMEOUT + 5, drip
    # Only the bodies that were accepted are archived; nothing oversized reached the disk.
    archived = tree_listing(home / "archive")
    assert max(archived.values()) <= 5_000_000, max(archived.values())
    peaks = {name: outcome.get("peak_rss_mb") for name, outcome in child.outcomes.items()}
    assert child.peak_rss_mb < PEAK_RSS_LIMIT_MB, (
        f"peak RSS {child.peak_rss_mb:.0f} MB; the child's peak after each feed: {peaks}")


# --- hostile import files ------------------------------------------------------------------------

HEADER = "ticker,date,open,high,low,close,adj_close,volume,dividends,splits\n"
GOOD_ROW = "BABA,2025-03-03,130.0,132.0,129.0,131.0,131.0,1000000,0,0\n"
BIG_LINE_BYTES = 200 * 1024 * 1024
MANY_COLUMNS = 1_000_000


def _write_in_chunks(path: Path, parts: list[bytes | tuple[bytes, int]]) -> None:
    """Write `parts` (bytes, or (chunk, total) for `total` bytes of `chunk` repeated) without
    holding a big file in memory."""
    with open(path, "wb") as fh:
        for part in parts:
            if isinstance(part, bytes):
                fh.write(part)
                continue
            chunk, total = part
            while total > 0:
                fh.write(chunk[:total])
                total -= min(total, len(chunk))


def _non_utf8(folder: Path) -> tuple[Path, str]:
    (folder / "BABA.csv").write_bytes(
        b"date,open,high,low,close,volume\n2025-03-03,130,132,129,131,1000\n"
        b"2025-03-04,130,132,129,131,1000\xff\xfe\n")
    return folder, "BABA.csv:3: not UTF-8"


def _line_of_200_mb(folder: Path) -> tuple[Path, str]:
    # One field far beyond csv.field_size_limit (128 KiB), as a broken export might write.
    path = folder / "long_line.csv"
    _write_in_chunks(path, [HEADER.encode(), GOOD_ROW.encode(), b'BABA,"',
                            (b"x" * (1024 * 1024), BIG_LINE_BYTES), b'",1,1,1,1,1,1,0,0\n'])
    return path, "long_line.csv:3"


def _a_million_columns(folder: Path) -> tuple[Path, str]:
    path = folder / "wide.csv"
    extra = ",".join(f"c{i}" for i in range(MANY_COLUMNS - 10))
    _write_in_chunks(path, [HEADER.rstrip("\n").encode() + b"," + extra.encode() + b"\n",
                            GOOD_ROW.rstrip("\n").encode() + b"," * (MANY_COLUMNS - 10) + b"\n"])
    return path, "wide.csv:1"


def _traversal_name(folder: Path) -> tuple[Path, str]:
    name = "%2e%2e%2f%2e%2e%2fetc%2fpasswd.csv"  # ../../etc/passwd, percent-encoded
    (folder / name).write_text("date,open,high,low,close,volume\n2025-03-03,1,1,1,1,1\n")
    return folder, name


def _traversal_path(folder: Path) -> tuple[Path, str]:
    # A relative path climbing out of the import folder to a file that is not an import.
    target = folder / ".." / ".." / ".." / ".." / ".." / ".." / "etc" / "hostname"
    return target, "hostname"


def _sql_file_name(folder: Path) -> tuple[Path, str]:
    name = "x'); DROP TABLE raw.daily_bars; --.csv"
    (folder / name).write_text("date,open,high,low,close,volume\n2025-03-03,1,1,1,1,1\n")
    return folder, name


def _sql_ticker(folder: Path) -> tuple[Path, str]:
    path = folder / "sql_ticker.csv"
    path.write_text(HEADER + "BABA'; DROP TABLE raw.daily_bars; --,2025-03-03,1,1,1,1,1,1,0,0\n")
    return path, "sql_ticker.csv:2"


def _symlink_out(folder: Path) -> tuple[Path, str]:
    outside = folder.parent / f"{folder.name}_outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("root:x:0:0:SECRET-FIRST-LINE\n")
    (folder / "BABA.csv").symlink_to(secret)
    return folder, "BABA.csv"


def _nan_and_inf(folder: Path) -> tuple[Path, str]:
    path = folder / "nan_inf.csv"
    path.write_text(HEADER + GOOD_ROW + "BABA,2025-03-04,nan,132,129,131,131,1000,0,0\n"
                    + "BABA,2025-03-05,130,132,129,inf,131,1000,0,0\n"
                    + "BABA,2025-03-06,130,132,129,131,131,-inf,0,0\n")
    return path, "nan_inf.csv:3"


def _ancient_and_future(folder: Path) -> tuple[Path, str]:
    path = folder / "dates.csv"
    path.write_text(HEADER + GOOD_ROW + "BABA,1900-01-02,130,132,129,131,131,1000,0,0\n"
                    + "BABA,2100-01-04,130,132,129,131,131,1000,0,0\n")
    return path, "dates.csv:3"


def _huge_volume(folder: Path) -> tuple[Path, str]:
    path = folder / "volume.csv"
    path.write_text(HEADER + GOOD_ROW + "BABA,2025-03-04,130,132,129,131,131,1e30,0,0\n")
    return path, "volume.csv:3"


def _wrong_typed_parquet(folder: Path) -> tuple[Path, str]:
    path = folder / "typed.parquet"
    pd.DataFrame({
        "ticker": [7, 8],  # integers, not symbols
        "date": [20250303, 20250304],  # integers, not dates
        "open": ["a lot", "more"],  # text, not prices
        "high": [True, False],
        "low": [[1.0], [2.0]],  # lists
        "close": [{"x": 1.0}, {"x": 2.0}],  # structs
        "volume": ["1000", "2000"],
    }).to_parquet(path)
    return path, "typed.parquet row 1"


def _wide_parquet(folder: Path) -> tuple[Path, str]:
    path = folder / "wide.parquet"
    frame = pd.DataFrame({"ticker": ["BABA"], "date": ["2025-03-03"], "open": [1.0],
                          "high": [1.0], "low": [1.0], "close": [1.0], "volume": [1]})
    extra = pd.DataFrame({f"c{i}": [0.0] for i in range(5_000)})
    pd.concat([frame, extra], axis=1).to_parquet(path)
    return path, "wide.parquet: 5,007 columns"


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[Path], tuple[Path, str]]  # folder -> (the path to import, words named)


HOSTILE_IMPORTS = [
    Hostile("non-UTF-8 bytes", _non_utf8),
    Hostile("a 200 MB line", _line_of_200_mb),
    Hostile("a million columns", _a_million_columns),
    Hostile("path traversal in a file name", _traversal_name),
    Hostile("path traversal in the path", _traversal_path),
    Hostile("SQL in a file name", _sql_file_name),
    Hostile("SQL in a ticker", _sql_ticker),
    Hostile("a symlink out of the import folder", _symlink_out),
    Hostile("NaN and inf", _nan_and_inf),
    Hostile("1900 and 2100 dates", _ancient_and_future),
    Hostile("a volume of 1e30", _huge_volume),
    Hostile("wrong-typed Parquet", _wrong_typed_parquet),
    Hostile("a Parquet of 5,000 columns", _wide_parquet),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


@pytest.fixture(scope="module")
def stored_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding real (not synthetic) bars: one archived fetch, loaded, as an import of
    the command itself would leave it; no Dagster run needed to refuse a file."""
    from datetime import UTC, date, datetime

    from warehouse.archive import list_price_fetches, write_price_fetch
    from warehouse.connection import warehouse_connection
    from warehouse.load import load_price_fetch

    home = tmp_path_factory.mktemp("faults_imports") / "home"
    bars = pd.DataFrame({
        "ticker": ["BABA", "BABA"], "session_date": [date(2025, 3, 3), date(2025, 3, 4)],
        "open": [130.0, 131.0], "high": [132.0, 133.0], "low": [129.0, 130.0],
        "close": [131.0, 132.0], "adj_close": [131.0, 132.0], "volume": [1000, 1100],
        "dividends": [0.0, 0.0], "stock_splits": [0.0, 0.0],
        "adj_close_source": ["provider", "provider"],
    })
    write_price_fetch(home / "archive", bars, source="import", fetched_at=datetime.now(UTC),
                      tickers=["BABA"], start=date(2025, 3, 3), end=date(2025, 3, 4))
    with warehouse_connection(home / "warehouse.duckdb") as con:
        for manifest in list_price_fetches(home / "archive"):
            load_price_fetch(con, home / "archive", manifest)
        con.execute("checkpoint")
    return home


@pytest.mark.parametrize("hostile", HOSTILE_IMPORTS, ids=[h.name for h in HOSTILE_IMPORTS])
def test_a_hostile_import_is_rejected_by_name_and_stores_nothing(
    hostile: Hostile, tmp_path: Path, stored_home: Path
) -> None:
    TALLY.ran = True
    TALLY.hostile_tried += 1
    folder = tmp_path / "import"
    folder.mkdir()
    path, named = hostile.make(folder)
    archive_before = tree_listing(stored_home / "archive")
    warehouse_before = _digest(stored_home / "warehouse.duckdb")
    try:
        result = run_command(stored_home, "import-prices", str(path), timeout=300)
    finally:
        for big in folder.glob("*"):
            if big.is_file() and big.stat().st_size > 1_000_000:
                big.unlink()  # keep the disk bounded: the 200 MB line goes at once
    assert result.returncode != 0, result.output[-2000:]
    assert TRACEBACK not in result.output, result.output[-4000:]
    assert named in result.stderr, result.stderr[-2000:]
    assert len(result.stderr) < 20_000, "the refusal should name the problem, not echo the file"
    assert "SECRET-FIRST-LINE" not in result.output
    assert tree_listing(stored_home / "archive") == archive_before
    assert _digest(stored_home / "warehouse.duckdb") == warehouse_before
    TALLY.hostile_rejected += 1


def test_a_parquet_file_is_judged_by_its_footer_before_its_rows_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small Parquet file can declare more rows than memory holds: the row count in its
    footer refuses it (the limit lowered here, so the test writes a small file)."""
    from assets.prices import importer

    path = tmp_path / "many_rows.parquet"
    pd.DataFrame({"ticker": ["BABA"] * 50, "date": ["2025-03-03"] * 50, "open": [1.0] * 50,
                  "high": [1.0] * 50, "low": [1.0] * 50, "close": [1.0] * 50,
                  "volume": [1] * 50}).to_parquet(path)
    monkeypatch.setattr(importer, "_MAX_PARQUET_ROWS", 10)
    monkeypatch.setattr(importer.pd, "read_parquet", None)  # reading the rows would fail
    with pytest.raises(importer.PriceImportError, match="many_rows.parquet: 50 rows, more than"):
        importer.read_price_import(path, universe_tickers={"BABA"})
