"""Readers in another process while builds are published, and the publishing holes closed:
pruning while a reader holds an older build, crashed temporaries, a moved ADRPULSE_HOME."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.publish import CATALOG_NAME, current_build, open_published, publish

REPO = Path(__file__).resolve().parent.parent
MAX_BUILDS = 400

# Build k holds k + 1 rows of value k in marts.t and one row of value k in reference.r, so any
# mix of two builds, or a half-written one, shows up as an inconsistent answer.
READER = """
import json, sys
from pathlib import Path
from warehouse.publish import open_published

published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with out.open("w") as log:
    for _ in range(100_000):
        if stop.exists():
            break
        try:
            con = open_published(published)
            try:
                row = con.execute(
                    "select count(*), min(v), max(v), (select max(v) from reference.r) "
                    "from marts.t"
                ).fetchall()[0]
            finally:
                con.close()
            log.write(json.dumps({"answer": list(row)}) + "\\n")
        except Exception as exc:
            log.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\\n")
        log.flush()
"""


def write_build(con: duckdb.DuckDBPyConnection, k: int) -> None:
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists reference")
    con.execute("create or replace table marts.t as select ? as v from range(?)", [k, k + 1])
    con.execute("create or replace table reference.r as select ? as v", [k])


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_reader_in_another_process_sees_only_complete_builds(tmp_path: Path) -> None:
    published = tmp_path / "published"
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_build(warehouse, 0)
    publish(warehouse, published)
    stop, log = tmp_path / "stop", tmp_path / "reader.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop), str(log)], cwd=REPO
    )
    published_builds = [0]
    try:
        # Publish until the reader has answered from several builds (bounded by MAX_BUILDS).
        for k in range(1, MAX_BUILDS + 1):
            write_build(warehouse, k)
            publish(warehouse, published)
            published_builds.append(k)
            seen = {r["answer"][1] for r in read_log(log) if "answer" in r}
            if len(seen) >= 5:
                break
    finally:
        stop.touch()
        reader.wait(timeout=120)
        warehouse.close()
    records = read_log(log)
    errors = [r["error"] for r in records if "error" in r]
    assert errors == []
    answers = [r["answer"] for r in records]
    assert answers
    for count, low, high, reference in answers:
        assert low == high == reference, "a result mixed two builds"
        assert count == low + 1, "a result came from a half-written build"
        assert low in published_builds
    builds_seen = [a[1] for a in answers]
    # Each result is the previous answer or a newer build's: never back to an older one.
    assert builds_seen == sorted(builds_seen)
    assert len(set(builds_seen)) >= 2, "the reader never overlapped a publish"


def test_pruning_spares_a_build_a_reader_still_holds(tmp_path: Path) -> None:
    published = tmp_path / "published"
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    write_build(warehouse, 0)
    publish(warehouse, published, now=start, keep_builds=2, prune_grace=timedelta(hours=1))
    old_reader = open_published(published)
    # Five quick builds: more than keep_builds, all within the grace period of the first.
    for k in range(1, 6):
        write_build(warehouse, k)
        publish(
            warehouse,
            published,
            now=start + timedelta(minutes=k),
            keep_builds=2,
            prune_grace=timedelta(hours=1),
        )
    assert old_reader.execute("select max(v) from marts.t").fetchall() == [(0,)]
    # Two hours on, the superseded builds beyond the newest two go.
    publish(
        warehouse,
        published,
        now=start + timedelta(hours=2),
        keep_builds=2,
        prune_grace=timedelta(hours=1),
    )
    warehouse.close()
    builds = sorted(p.name for p in (published / "builds").iterdir())
    assert len(builds) == 2
    assert current_build(published).build_id == builds[-1]
    fresh = open_published(published)
    assert fresh.execute("select max(v) from marts.t").fetchall() == [(5,)]
    fresh.close()
    old_reader.close()


def test_publish_removes_what_a_crashed_publish_left(tmp_path: Path) -> None:
    published = tmp_path / "published"
    crashed_dir = published / "builds" / ".20250101T000000000000Z.tmp"
    crashed_dir.mkdir(parents=True)
    (crashed_dir / "marts.t.parquet").write_bytes(b"half")
    crashed_catalog = published / f".{CATALOG_NAME}.20250101T000000000000Z.tmp"
    crashed_catalog.write_bytes(b"half")
    crashed_wal = published / f".{CATALOG_NAME}.20250101T000000000000Z.tmp.wal"
    crashed_wal.write_bytes(b"half")
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_build(warehouse, 1)
    publish(warehouse, published)
    warehouse.close()
    assert not crashed_dir.exists() and not crashed_catalog.exists() and not crashed_wal.exists()
    leftovers = [p.name for p in published.rglob(".*")]
    assert leftovers == []


def test_adrpulse_readers_survive_a_moved_home(tmp_path: Path) -> None:
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_build(warehouse, 3)
    publish(warehouse, tmp_path / "old_home" / "published")
    warehouse.close()
    shutil.move(tmp_path / "old_home", tmp_path / "new_home")
    con = open_published(tmp_path / "new_home" / "published")
    try:
        assert con.execute("select count(*), max(v) from marts.t").fetchall() == [(4, 3)]
    finally:
        con.close()
