"""The archive proves itself: checksums and row counts in every manifest, checked on every load
and by `verify_archive`; rebuilds that swap in fresh raw tables only when every file loaded;
retractions; idempotent imports; no leftovers from interrupted writes; a home path with a quote.

Offline and without Dagster or dbt: the archive writers, the loaders and the replays of
assets/prices/live.py and assets/news/ingest.py on tmp_path archives and warehouses.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from assets.news.ingest import read_news_config, replay_news
from assets.prices.live import replay_archive
from orchestration.tools.sample_data.locations import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_FEEDS_PATH,
    DEFAULT_UNIVERSE_PATH,
)
from tests.support.bars import flat_bars
from warehouse.archive import (
    ORPHAN_GRACE_SECONDS,
    RETRACTIONS_DIR,
    ArchiveFileError,
    ArchiveReplayError,
    atomic_write_bytes,
    find_partial_writes,
    list_price_fetches,
    plan_replay,
    read_news_body,
    read_retractions,
    retract_fetch,
    scan_price_fetches,
    write_news_fetch,
    write_price_fetch,
    write_price_import,
)
from warehouse.connection import warehouse_connection
from warehouse.load import load_price_fetch, load_price_fetches
from warehouse.verify import verify_archive

T0 = datetime(2025, 3, 3, 23, 0, tzinfo=UTC)
DAYS = [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5), date(2025, 3, 6)]
LOG = logging.getLogger("test_archive_integrity")
NEWS_ALIASES = DEFAULT_UNIVERSE_PATH.parent / "news_aliases.csv"


def archive_fetch(root: Path, ticker: str, close: float, hours: int, fmt: str = "parquet"):
    return write_price_fetch(
        root,
        flat_bars(ticker, DAYS, close),
        source="test",
        fetched_at=T0 + timedelta(hours=hours),
        tickers=[ticker],
        start=DAYS[0],
        end=DAYS[-1],
        fmt=fmt,
    )


def raw_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    names = ["daily_bars", "price_fetches", "news_fetches", "news_items", "news_item_tags"]
    return {n: con.execute(f"select * from raw.{n} order by all").fetchall() for n in names}


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def flip_a_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def strip_checksums(manifest_path: Path) -> None:
    """Make a manifest look like one written before checksums existed."""
    payload = json.loads(manifest_path.read_text())
    for key in ("data_sha256", "data_bytes", "body_sha256", "body_bytes"):
        payload.pop(key, None)
    manifest_path.write_text(json.dumps(payload, indent=2))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- manifests carry checksums ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_price_manifest_records_sha256_size_and_rows(tmp_path: Path, fmt: str) -> None:
    m = archive_fetch(tmp_path, "BABA", 100.0, 0, fmt)
    data = tmp_path / m.data_file
    on_disk = json.loads((tmp_path / m.manifest_file).read_text())
    assert on_disk["data_sha256"] == sha(data) == m.data_sha256
    assert on_disk["data_bytes"] == data.stat().st_size
    assert on_disk["rows"] == len(DAYS)


def test_news_manifest_records_sha256_and_size(tmp_path: Path) -> None:
    body = b"<rss><channel><title>t</title></channel></rss>"
    m = write_news_fetch(tmp_path, feed_name="f", url="http://x", fetched_at=T0, http_status=200,
                         body=body)
    on_disk = json.loads((tmp_path / m.manifest_file).read_text())
    assert (on_disk["body_sha256"], on_disk["body_bytes"]) == (
        hashlib.sha256(body).hexdigest(), len(body)
    )
    no_body = write_news_fetch(tmp_path, feed_name="f", url="http://x", fetched_at=T0,
                               http_status=304, body=None)
    assert (no_body.body_sha256, no_body.body_bytes) == (None, None)


# --- loading refuses bad files by name, and changes nothing -----------------------------------


def test_a_truncated_parquet_file_is_refused_by_name(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    good = archive_fetch(archive, "BABA", 100.0, 0)
    bad = archive_fetch(archive, "BABA", 555.0, 1)
    truncate(archive / bad.data_file)
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        load_price_fetch(con, archive, good)
        before = raw_tables(con)
        with pytest.raises(ArchiveFileError, match="truncated or changed") as exc:
            load_price_fetch(con, archive, bad)
        assert exc.value.path == str(archive / bad.data_file)
        assert raw_tables(con) == before


def test_a_truncated_csv_without_checksum_is_caught_by_its_row_count(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    m = archive_fetch(archive, "BABA", 100.0, 0, fmt="csv")
    strip_checksums(archive / m.manifest_file)
    data = archive / m.data_file
    lines = data.read_text().splitlines(keepends=True)
    data.write_text("".join(lines[:-2]))  # two whole bars short: still a valid CSV
    [legacy] = list_price_fetches(archive)
    assert legacy.data_sha256 is None
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        with pytest.raises(ArchiveFileError, match=r"has 2 rows, its manifest .* says 4") as exc:
            load_price_fetch(con, archive, legacy)
        assert exc.value.path == str(data)
        assert raw_tables(con)["daily_bars"] == []


def test_old_manifests_without_checksum_still_load(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    m = archive_fetch(archive, "BABA", 100.0, 0, fmt="csv")
    news = write_news_fetch(archive, feed_name="f", url="http://x", fetched_at=T0,
                            http_status=200, body=b"<rss/>")
    strip_checksums(archive / m.manifest_file)
    strip_checksums(archive / news.manifest_file)
    [legacy] = list_price_fetches(archive)
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        assert load_price_fetch(con, archive, legacy).rows == len(DAYS)
    [legacy_news] = plan_replay(archive, "news").fetches
    assert legacy_news.body_sha256 is None
    assert read_news_body(archive, legacy_news) == b"<rss/>"
    report = verify_archive(archive)
    assert report.ok
    assert (report.counts["prices"].no_checksum, report.counts["news"].no_checksum) == (1, 1)


def test_the_bundled_sample_archive_verifies() -> None:
    report = verify_archive(DEFAULT_ARCHIVE_DIR)
    assert report.ok, report.bad
    assert report.counts["prices"].verified == len(list_price_fetches(DEFAULT_ARCHIVE_DIR))
    assert report.leftovers == []


def test_a_manifest_with_bad_json_or_a_bad_path_is_named(tmp_path: Path) -> None:
    good = archive_fetch(tmp_path, "BABA", 100.0, 0)
    broken = archive_fetch(tmp_path, "JD", 30.0, 1)
    escaping = archive_fetch(tmp_path, "PDD", 90.0, 2)
    (tmp_path / broken.manifest_file).write_text('{"kind": "prices", "fetch_id": ')
    payload = json.loads((tmp_path / escaping.manifest_file).read_text())
    payload["data_file"] = "../../etc/passwd"
    (tmp_path / escaping.manifest_file).write_text(json.dumps(payload))

    manifests, problems = scan_price_fetches(tmp_path)
    assert [m.fetch_id for m in manifests] == [good.fetch_id]
    assert {(p.path, p.fetch_id) for p in problems} == {
        (str(tmp_path / broken.manifest_file), broken.fetch_id),
        (str(tmp_path / escaping.manifest_file), escaping.fetch_id),
    }
    assert any("not valid JSON" in p.problem for p in problems)
    assert any("outside the archive" in p.problem for p in problems)
    with pytest.raises(ArchiveFileError, match=broken.fetch_id):
        list_price_fetches(tmp_path)


def test_verify_names_every_kind_of_damage(tmp_path: Path) -> None:
    truncated = archive_fetch(tmp_path, "BABA", 100.0, 0)
    missing = archive_fetch(tmp_path, "JD", 30.0, 1, fmt="csv")
    bad_json = archive_fetch(tmp_path, "PDD", 90.0, 2)
    fine = archive_fetch(tmp_path, "NIO", 5.0, 3)
    flipped = write_news_fetch(tmp_path, feed_name="f", url="http://x", fetched_at=T0,
                               http_status=200, body=b"<rss><title>Alibaba</title></rss>")
    truncate(tmp_path / truncated.data_file)
    (tmp_path / missing.data_file).unlink()
    (tmp_path / bad_json.manifest_file).write_text("{not json")
    flip_a_byte(tmp_path / flipped.body_file, 15)
    seen: list[tuple[int, int]] = []

    report = verify_archive(tmp_path, progress=lambda d, t: seen.append((d, t)), every=2)

    assert not report.ok
    assert {(Path(e.path).name, e.fetch_id) for e in report.bad} == {
        (f"{truncated.fetch_id}.parquet", truncated.fetch_id),
        (f"{missing.fetch_id}.csv", missing.fetch_id),
        (f"{bad_json.fetch_id}.json", bad_json.fetch_id),
        (f"{flipped.fetch_id}.xml", flipped.fetch_id),
    }
    problems = {e.fetch_id: e.problem for e in report.bad}
    assert "is missing" in problems[missing.fetch_id]
    assert "SHA-256" in problems[flipped.fetch_id]
    assert report.counts["prices"].verified == 1  # `fine`
    assert fine.fetch_id not in problems
    assert seen == [(2, 5), (4, 5), (5, 5)]


# --- rebuilds: all or nothing ----------------------------------------------------------------


def _loaded_warehouse(tmp_path: Path, archive: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with warehouse_connection(path) as con:
        load_price_fetches(con, archive, list_price_fetches(archive))
        con.execute("insert into raw.price_checks_passed values ('x', now())")
    return path


def test_a_rebuild_with_a_bad_file_leaves_the_raw_tables_as_they_were(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    first = archive_fetch(archive, "BABA", 100.0, 0)
    second = archive_fetch(archive, "BABA", 101.0, 1, fmt="csv")
    warehouse = _loaded_warehouse(tmp_path, archive)
    with warehouse_connection(warehouse) as con:
        before = raw_tables(con)
    truncate(archive / second.data_file)
    with warehouse_connection(warehouse) as con:
        with pytest.raises(ArchiveReplayError) as exc:
            replay_archive(con, archive, rebuild=True, log=LOG)
        assert [e.fetch_id for e in exc.value.errors] == [second.fetch_id]
        assert str(archive / second.data_file) in str(exc.value)
        assert "left as they were" in str(exc.value)
        assert raw_tables(con) == before
        assert con.execute("select count(*) from raw.price_checks_passed").fetchall() == [(1,)]
        staging = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw_rebuild'"
        ).fetchall()
        assert staging == [(0,)]
    assert first.fetch_id in {r[0] for r in before["price_fetches"]}


def test_a_rebuild_with_skip_bad_loads_the_good_files_and_lists_the_bad(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    good = archive_fetch(archive, "BABA", 100.0, 0)
    bad = archive_fetch(archive, "JD", 30.0, 1)
    later = archive_fetch(archive, "PDD", 90.0, 2)
    warehouse = _loaded_warehouse(tmp_path, archive)
    (archive / bad.manifest_file).write_text("{")
    with warehouse_connection(warehouse) as con:
        outcome = replay_archive(con, archive, rebuild=True, log=LOG, skip_bad=True)
        fetches = {r[0] for r in con.execute("select fetch_id from raw.price_fetches").fetchall()}
        tickers = {r[0] for r in con.execute("select ticker from raw.daily_bars").fetchall()}
    assert [e.fetch_id for e in outcome.skipped] == [bad.fetch_id]
    assert [m.fetch_id for m in outcome.loaded] == [good.fetch_id, later.fetch_id]
    assert fetches == {good.fetch_id, later.fetch_id}
    assert tickers == {"BABA", "PDD"}


def test_a_news_rebuild_with_flipped_bytes_changes_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    config = read_news_config(DEFAULT_UNIVERSE_PATH, NEWS_ALIASES, DEFAULT_FEEDS_PATH)
    sample = plan_replay(DEFAULT_ARCHIVE_DIR, "news").fetches
    with_body = [m for m in sample if m.body_file][:3]
    for m in with_body:
        write_news_fetch(archive, feed_name=m.feed_name, url=m.url, fetched_at=m.fetched_at_dt,
                         http_status=m.http_status, body=read_news_body(DEFAULT_ARCHIVE_DIR, m),
                         content_type=m.content_type, fetch_id=m.fetch_id)
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        replay_news(con, archive, config, rebuild=True, log=LOG)
        before = raw_tables(con)
        assert before["news_items"]
        flip_a_byte(archive / with_body[1].body_file, 300)
        with pytest.raises(ArchiveReplayError) as exc:
            replay_news(con, archive, config, rebuild=True, log=LOG)
        assert [e.fetch_id for e in exc.value.errors] == [with_body[1].fetch_id]
        assert raw_tables(con) == before


def test_an_incremental_load_stops_at_the_first_bad_file(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    first = archive_fetch(archive, "BABA", 100.0, 0)
    bad = archive_fetch(archive, "BABA", 101.0, 1)
    archive_fetch(archive, "BABA", 102.0, 2)
    (archive / bad.data_file).unlink()
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        with pytest.raises(ArchiveReplayError, match="1 fetches before it are loaded, the 1 after"):
            replay_archive(con, archive, rebuild=False, log=LOG)
        loaded = [r[0] for r in con.execute("select fetch_id from raw.price_fetches").fetchall()]
    # The later fetch must not load before the bad one: it would lose to it once restored.
    assert loaded == [first.fetch_id]


# --- retractions -----------------------------------------------------------------------------


def test_a_retracted_fetch_keeps_its_bytes_and_a_rebuild_leaves_it_out(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    good = archive_fetch(archive, "BABA", 100.0, 0)
    wrong = archive_fetch(archive, "BABA", 999.0, 1)
    files = [archive / wrong.data_file, archive / wrong.manifest_file]
    hashes = [sha(f) for f in files]
    warehouse = _loaded_warehouse(tmp_path, archive)

    record = retract_fetch(archive, wrong.fetch_id, "vendor sent closes x10")

    assert [sha(f) for f in files] == hashes
    assert (archive / RETRACTIONS_DIR / f"{wrong.fetch_id}.json").is_file()
    assert read_retractions(archive)[wrong.fetch_id].reason == "vendor sent closes x10"
    assert record.kind == "prices" and record.manifest_file == wrong.manifest_file
    with pytest.raises(ValueError, match="already retracted"):
        retract_fetch(archive, wrong.fetch_id, "again")
    with pytest.raises(LookupError, match="no fetch"):
        retract_fetch(archive, "20990101T000000000000Z-test-000000", "typo")
    with pytest.raises(ValueError, match="reason"):
        retract_fetch(archive, good.fetch_id, "  ")

    with warehouse_connection(warehouse) as con:
        assert con.execute("select max(close) from raw.daily_bars").fetchall() == [(999.0,)]
        outcome = replay_archive(con, archive, rebuild=True, log=LOG)
        closes = con.execute("select distinct close from raw.daily_bars").fetchall()
        fetch_ids = con.execute("select fetch_id from raw.price_fetches").fetchall()
    assert outcome.retracted == [wrong.fetch_id]
    assert closes == [(100.0,)]
    assert fetch_ids == [(good.fetch_id,)]
    # Retracted files are not checked, and a retracted bad manifest is no problem either.
    (archive / wrong.manifest_file).write_text("{")
    assert verify_archive(archive).ok


# --- interrupted writes and idempotent imports ------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_interrupted_writes_are_swept_by_the_next_write(tmp_path: Path) -> None:
    folder = tmp_path / "prices" / "2025" / "03"
    folder.mkdir(parents=True)
    dead_tmp = folder / f".20250303T230000000000Z-import-aaaaaa.parquet.tmp-{_dead_pid()}"
    live_tmp = folder / f".20250303T230000000000Z-import-bbbbbb.parquet.tmp-{os.getpid()}"
    orphan = folder / "20250303T230000000000Z-import-cccccc.parquet"
    fresh_orphan = folder / "20250303T230000000000Z-import-dddddd.parquet"
    for path in (dead_tmp, live_tmp, orphan, fresh_orphan):
        path.write_bytes(b"half a file")
    old = time.time() - ORPHAN_GRACE_SECONDS - 60
    os.utime(orphan, (old, old))

    assert {p.path for p in find_partial_writes(tmp_path)} == {dead_tmp, orphan}
    m = archive_fetch(tmp_path, "BABA", 100.0, 0)

    assert not dead_tmp.exists() and not orphan.exists()
    assert live_tmp.exists() and fresh_orphan.exists()  # a writer may still be at work
    assert (tmp_path / m.data_file).exists()


def test_an_interrupted_atomic_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the bytes go to disk

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_importing_the_same_bars_again_reuses_the_archived_copy(tmp_path: Path) -> None:
    frame = flat_bars("BABA", DAYS, 100.0)
    kw = {"tickers": ["BABA"], "start": DAYS[0], "end": DAYS[-1]}
    first, reused = write_price_import(tmp_path, frame, fetched_at=T0, **kw)
    assert not reused
    again, reused = write_price_import(tmp_path, frame, fetched_at=T0 + timedelta(hours=1), **kw)
    assert reused and again == first
    assert len(list((tmp_path / "prices").rglob("*.parquet"))) == 1
    # Something newer for BABA since: importing the same file again must make it win again.
    archive_fetch(tmp_path, "BABA", 150.0, 2)
    third, reused = write_price_import(tmp_path, frame, fetched_at=T0 + timedelta(hours=3), **kw)
    assert not reused and third.fetch_id != first.fetch_id
    # A retracted import is not reused either.
    retract_fetch(tmp_path, third.fetch_id, "test")
    fourth, reused = write_price_import(tmp_path, frame, fetched_at=T0 + timedelta(hours=4), **kw)
    assert not reused and fourth.fetch_id not in (first.fetch_id, third.fetch_id)
    assert [p for p in tmp_path.rglob("*") if ".tmp-" in p.name] == []


# --- a home path with a quote ----------------------------------------------------------------


def test_a_home_path_with_a_quote_archives_and_loads(tmp_path: Path) -> None:
    home = tmp_path / "o'brien's home"
    archive = home / "archive"
    m = archive_fetch(archive, "BABA", 100.0, 0, fmt="parquet")
    news = write_news_fetch(archive, feed_name="f", url="http://x", fetched_at=T0,
                            http_status=200, body=b"<rss/>")
    retract_fetch(archive, news.fetch_id, "test")
    with warehouse_connection(home / "warehouse.duckdb") as con:
        assert load_price_fetch(con, archive, m).rows == len(DAYS)
    assert verify_archive(archive).ok
