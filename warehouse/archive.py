"""The raw archive: every fetch and import kept as received, so the warehouse can be rebuilt
offline.

Layout under an archive root (ADRPULSE_HOME/archive, or the bundled sample archive):

    prices/<YYYY>/<MM>/<fetch_id>.parquet|.csv   bars in long form, one row per (ticker, session)
    prices/<YYYY>/<MM>/<fetch_id>.json           manifest: source, fetch time, request, row count,
                                                 SHA-256 and size of the data file
    news/<YYYY>/<MM>/<fetch_id>.xml              the response body, byte for byte
    news/<YYYY>/<MM>/<fetch_id>.json             manifest: feed, url, HTTP status, validators,
                                                 SHA-256 and size of the body
    analyst/<YYYY>/<MM>/<fetch_id>.parquet       yfinance's Ticker.upgrades_downgrades frames of
                                                 one run, as received (index as a GradeDate
                                                 column, plus a ticker column)
    valuation/<YYYY>/<MM>/<fetch_id>.json        yfinance's Ticker.info dicts of one run, as
                                                 received, by ticker
    analyst|valuation/<YYYY>/<MM>/<fetch_id>.json  manifest: session, tickers asked and failed,
                                                 rows, SHA-256 and size of the data file
    retractions/<fetch_id>.json                  a fetch taken back: when and why

A fetch is complete when its manifest exists: the data file is written first (to a temporary name,
then renamed), the manifest last, so a crash never leaves a manifest pointing at half a file.
Fetch ids sort by fetch time, so replaying manifests in id order replays history in order.

The archive proves itself: every reader checks a data file against its manifest
(`check_archived_file`, `read_news_body`) and refuses a truncated or altered file by name.
Manifests written before checksums existed carry no `*_sha256`/`*_bytes`; they still load,
checked on what they carry (a price file's row count, in warehouse/load.py).

Complete fetches are never rewritten or deleted. A bad one is retracted (`retract_fetch`): a small
record under retractions/ says when and why, and replays skip the fetch; its bytes stay. What an
interrupted write leaves behind (a `.<name>.tmp-<pid>` file, a data file whose manifest never came)
is not part of the archive and is removed by `sweep_partial_writes` once its writer is gone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Generic, TypeVar

import duckdb
import pandas as pd

# The long form every price source is normalized to before it is archived and loaded.
PRICE_COLUMNS: tuple[str, ...] = (
    "ticker",
    "session_date",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "dividends",
    "stock_splits",
    "adj_close_source",
)

# Per-ticker snapshots of Yahoo's quote endpoints, one file per run (assets/analysts/).
SNAPSHOT_KINDS: tuple[str, ...] = ("analyst", "valuation")
# `factors`: daily factor files the user imports (adrpulse import-factors), kept as given.
FACTOR_KIND = "factors"
KINDS: tuple[str, ...] = ("prices", "news", *SNAPSHOT_KINDS, FACTOR_KIND)
RETRACTIONS_DIR = "retractions"

# What a reader of a bad file should do next (CLI output, run failures, docs/operations.md).
NEXT_STEP = (
    "Restore the file from a backup, or take its fetch back with "
    "`adrpulse archive retract FETCH_ID --reason TEXT`, then run `adrpulse rebuild`. "
    "`adrpulse archive verify` checks the whole archive; `adrpulse rebuild --skip-bad` builds "
    "from the good files meanwhile."
)

_HASH_CHUNK = 1 << 20
_FETCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TMP_NAME = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)$")
_DATA_SUFFIXES = frozenset({".parquet", ".csv", ".xml"})
# A snapshot's data file sits beside its manifest under the same stem, so its JSON data file is
# named <fetch_id>.data.json.
SNAPSHOT_JSON_SUFFIX = ".data.json"
# A temporary file whose writer still runs is left alone, unless it is this old (its pid was
# reused, or it was written on another machine sharing the folder).
STALE_TMP_SECONDS = 24 * 3600
# A data file without its manifest is removed only this long after it was written: a writer
# renames the data file and writes the manifest within milliseconds.
ORPHAN_GRACE_SECONDS = 600


class ArchiveFileError(ValueError):
    """One archived file (a data file or a manifest) cannot be trusted; the message names it and
    says what is wrong. Reading it again cannot help: it is never a network error."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        fetch_id: str | None = None,
        kind: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.fetch_id = fetch_id
        self.kind = kind
        super().__init__(f"{path}: {problem}")

    def as_record(self) -> dict[str, str]:
        return {"file": self.path, "fetch_id": self.fetch_id or "", "problem": self.problem}


class ArchiveReplayError(Exception):
    """A replay met bad archive files and stopped; `errors` name each one."""

    def __init__(self, errors: Iterable[ArchiveFileError], outcome: str) -> None:
        self.errors = list(errors)
        listed = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(
            f"{len(self.errors)} bad archive file(s); {outcome}:\n{listed}\n{NEXT_STEP}"
        )


def new_fetch_id(fetched_at: datetime, source: str) -> str:
    """A time-sortable, unique id such as 20250331T220000123456Z-yfinance-3f9a1c."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be zone-aware")
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{source}-{secrets.token_hex(3)}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tmp_path(path: Path) -> Path:
    # The pid in the name lets `sweep_partial_writes` tell a live writer from a dead one.
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so readers see either the old content or the new, never half of it. An
    exception (Ctrl-C included) removes the temporary file; a kill leaves it for the sweep."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _month_dir(root: Path, kind: str, fetched_at: datetime) -> Path:
    utc = fetched_at.astimezone(UTC)
    return root / kind / f"{utc:%Y}" / f"{utc:%m}"


@dataclass(frozen=True)
class PriceFetchManifest:
    fetch_id: str
    source: str
    fetched_at: str  # ISO 8601, UTC
    data_file: str  # relative to the archive root
    format: str  # parquet | csv
    tickers: list[str]
    start: str | None
    end: str | None
    rows: int
    failed_tickers: list[str] = field(default_factory=list)
    # Tickers whose whole stored history this fetch replaces (a restated adjusted series, or an
    # import that supersedes a ticker): the loader deletes their rows first, in one transaction.
    replaces_history_of: list[str] = field(default_factory=list)
    synthetic: bool = False
    note: str = ""
    # Integrity of data_file; None in manifests written before checksums (checked on `rows` only).
    data_sha256: str | None = None
    data_bytes: int | None = None

    @property
    def manifest_file(self) -> str:
        return str(Path(self.data_file).with_suffix(".json"))

    @property
    def fetched_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.fetched_at)


@dataclass(frozen=True)
class NewsFetchManifest:
    fetch_id: str
    feed_name: str
    url: str
    fetched_at: str  # ISO 8601, UTC
    http_status: int | None
    body_file: str | None  # relative to the archive root; None for 304 and transport failures
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    synthetic: bool = False
    # Integrity of body_file; None without a body and in manifests written before checksums.
    body_sha256: str | None = None
    body_bytes: int | None = None

    @property
    def manifest_file(self) -> str:
        # Manifests sit beside the body under the fetch id, whether or not there is a body.
        utc = datetime.fromisoformat(self.fetched_at).astimezone(UTC)
        return f"news/{utc:%Y}/{utc:%m}/{self.fetch_id}.json"

    @property
    def fetched_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.fetched_at)


@dataclass(frozen=True)
class SnapshotFetchManifest:
    """One run's fetch of a per-ticker Yahoo endpoint (kind `analyst`: upgrades_downgrades;
    `valuation`: info), archived as received."""

    fetch_id: str
    source: str  # yfinance | sample
    fetched_at: str  # ISO 8601, UTC
    data_file: str  # relative to the archive root
    format: str  # parquet (analyst) | json (valuation)
    tickers: list[str]  # asked for
    rows: int  # analyst: rows of the frame; valuation: tickers in the JSON object
    session_date: str | None = None  # the XNYS session the snapshot belongs to
    failed_tickers: list[str] = field(default_factory=list)
    synthetic: bool = False
    note: str = ""
    data_sha256: str | None = None
    data_bytes: int | None = None

    @property
    def manifest_file(self) -> str:
        return f"{PurePosixPath(self.data_file).parent}/{self.fetch_id}.json"

    @property
    def fetched_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.fetched_at)


@dataclass(frozen=True)
class FactorImportManifest:
    """One daily factor file the user imported (Fama-French CSV layout), archived byte for byte."""

    fetch_id: str
    source: str  # import
    fetched_at: str  # ISO 8601, UTC: when it was imported
    data_file: str  # relative to the archive root
    format: str  # csv
    model: str  # ff3 | ff5: the factors the file holds
    rows: int  # daily rows
    first_date: str
    last_date: str
    data_sha256: str
    data_bytes: int
    note: str = ""

    @property
    def manifest_file(self) -> str:
        return str(PurePosixPath(self.data_file).with_suffix(".json"))

    @property
    def fetched_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.fetched_at)


Manifest = PriceFetchManifest | NewsFetchManifest | SnapshotFetchManifest | FactorImportManifest
M = TypeVar(
    "M", PriceFetchManifest, NewsFetchManifest, SnapshotFetchManifest, FactorImportManifest
)


def _check_price_frame(bars: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in PRICE_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"price frame lacks columns {missing}")
    return bars.loc[:, list(PRICE_COLUMNS)]


def _write_price_data(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False, float_format="%.10g", date_format="%Y-%m-%d")
    else:
        con = duckdb.connect()
        try:
            con.register("bars", frame)
            # The path is a bound parameter: a home folder named like "O'Brien" must not break
            # (or inject into) the statement.
            con.execute(
                "copy (select * from bars) to ? (format parquet)", [path.as_posix()]
            ).fetchall()
        finally:
            con.close()
    _fsync_file(path)


def write_price_fetch(
    archive_root: Path,
    bars: pd.DataFrame,
    *,
    source: str,
    fetched_at: datetime,
    tickers: list[str],
    start: date | None,
    end: date | None,
    failed_tickers: list[str] | None = None,
    replaces_history_of: list[str] | None = None,
    synthetic: bool = False,
    note: str = "",
    fmt: str = "parquet",
    fetch_id: str | None = None,
) -> PriceFetchManifest:
    """Archive one fetch (or import) of bars in the canonical long form; return its manifest."""
    manifest, _ = _write_price_fetch(
        archive_root,
        bars,
        source=source,
        fetched_at=fetched_at,
        tickers=tickers,
        start=start,
        end=end,
        failed_tickers=failed_tickers,
        replaces_history_of=replaces_history_of,
        synthetic=synthetic,
        note=note,
        fmt=fmt,
        fetch_id=fetch_id,
        reuse_identical=False,
    )
    return manifest


def write_price_import(
    archive_root: Path,
    bars: pd.DataFrame,
    *,
    fetched_at: datetime,
    tickers: list[str],
    start: date | None,
    end: date | None,
    note: str = "",
) -> tuple[PriceFetchManifest, bool]:
    """Archive an import, idempotently: (manifest, True) when the archive already holds the same
    bytes for the same tickers as their newest fetch (an import run again after an interruption),
    so a retried import adds no second full copy. An identical import that something newer has
    overridden since is archived again: importing it must make it win again."""
    return _write_price_fetch(
        archive_root,
        bars,
        source="import",
        fetched_at=fetched_at,
        tickers=tickers,
        start=start,
        end=end,
        failed_tickers=None,
        replaces_history_of=None,
        synthetic=False,
        note=note,
        fmt="parquet",
        fetch_id=None,
        reuse_identical=True,
    )


def _write_price_fetch(
    archive_root: Path,
    bars: pd.DataFrame,
    *,
    source: str,
    fetched_at: datetime,
    tickers: list[str],
    start: date | None,
    end: date | None,
    failed_tickers: list[str] | None,
    replaces_history_of: list[str] | None,
    synthetic: bool,
    note: str,
    fmt: str,
    fetch_id: str | None,
    reuse_identical: bool,
) -> tuple[PriceFetchManifest, bool]:
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown archive format {fmt!r}")
    frame = _check_price_frame(bars).copy()
    frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
    fetch_id = fetch_id or new_fetch_id(fetched_at, source)
    folder = _month_dir(archive_root, "prices", fetched_at)
    folder.mkdir(parents=True, exist_ok=True)
    sweep_partial_writes(archive_root, kinds=("prices",))
    data_path = folder / f"{fetch_id}.{fmt}"
    tmp = _tmp_path(data_path)
    try:
        _write_price_data(frame, tmp, fmt)
        digest, size = file_sha256(tmp), tmp.stat().st_size
        if reuse_identical:
            same = _identical_newest_fetch(archive_root, source, fmt, digest, tickers)
            if same is not None:
                tmp.unlink()
                return same, True
        os.replace(tmp, data_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    manifest = PriceFetchManifest(
        fetch_id=fetch_id,
        source=source,
        fetched_at=fetched_at.astimezone(UTC).isoformat(),
        data_file=data_path.relative_to(archive_root).as_posix(),
        format=fmt,
        tickers=sorted(tickers),
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        rows=len(frame),
        failed_tickers=sorted(failed_tickers or []),
        replaces_history_of=sorted(replaces_history_of or []),
        synthetic=synthetic,
        note=note,
        data_sha256=digest,
        data_bytes=size,
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": "prices", **asdict(manifest)}, indent=2).encode(),
    )
    return manifest, False


def _identical_newest_fetch(
    archive_root: Path, source: str, fmt: str, digest: str, tickers: list[str]
) -> PriceFetchManifest | None:
    """The archived fetch with these very bytes, if nothing archived after it touches its
    tickers (so loading it again would change nothing) and its file is still intact."""
    manifests, _ = scan_price_fetches(archive_root)
    retracted = read_retractions(archive_root)
    current = [m for m in manifests if m.fetch_id not in retracted]
    wanted = sorted(tickers)
    for i, m in enumerate(current):
        if (m.data_sha256, m.source, m.format, m.tickers) != (digest, source, fmt, wanted):
            continue
        touched = set(m.tickers)
        if any(touched & set(later.tickers) | touched & set(later.replaces_history_of)
               for later in current[i + 1:]):
            continue
        try:
            check_price_data(archive_root, m)
        except ArchiveFileError:
            continue  # a damaged copy: archive a fresh one
        return m
    return None


def write_news_fetch(
    archive_root: Path,
    *,
    feed_name: str,
    url: str,
    fetched_at: datetime,
    http_status: int | None,
    body: bytes | None,
    content_type: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    error: str | None = None,
    synthetic: bool = False,
    fetch_id: str | None = None,
) -> NewsFetchManifest:
    """Archive one feed response (body bytes as received, before any parsing)."""
    fetch_id = fetch_id or new_fetch_id(fetched_at, "rss")
    folder = _month_dir(archive_root, "news", fetched_at)
    # This month's folder only: news is polled every two hours, and a long history of news
    # folders is not worth listing each time (`adrpulse archive verify` reports the others).
    sweep_partial_writes(archive_root, folders=[folder])
    body_file = body_sha256 = body_bytes = None
    if body is not None:
        body_path = folder / f"{fetch_id}.xml"
        atomic_write_bytes(body_path, body)
        body_file = body_path.relative_to(archive_root).as_posix()
        body_sha256, body_bytes = hashlib.sha256(body).hexdigest(), len(body)
    manifest = NewsFetchManifest(
        fetch_id=fetch_id,
        feed_name=feed_name,
        url=url,
        fetched_at=fetched_at.astimezone(UTC).isoformat(),
        http_status=http_status,
        body_file=body_file,
        content_type=content_type,
        etag=etag,
        last_modified=last_modified,
        error=error,
        synthetic=synthetic,
        body_sha256=body_sha256,
        body_bytes=body_bytes,
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": "news", **asdict(manifest)}, indent=2).encode(),
    )
    return manifest


def write_snapshot_fetch(
    archive_root: Path,
    kind: str,
    data: pd.DataFrame | dict[str, dict[str, object]],
    *,
    source: str,
    fetched_at: datetime,
    tickers: list[str],
    session_date: date | None,
    failed_tickers: list[str] | None = None,
    synthetic: bool = False,
    note: str = "",
    fetch_id: str | None = None,
) -> SnapshotFetchManifest:
    """Archive one run's answers of a per-ticker endpoint as received: for `analyst` a frame
    (parquet), for `valuation` a {ticker: info} object (JSON, non-finite numbers written as
    NaN/Infinity as Python's json does, so what Yahoo sent stays visible)."""
    if kind not in SNAPSHOT_KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}")
    fetch_id = fetch_id or new_fetch_id(fetched_at, source)
    folder = _month_dir(archive_root, kind, fetched_at)
    folder.mkdir(parents=True, exist_ok=True)
    sweep_partial_writes(archive_root, folders=[folder])
    if kind == "analyst":
        if not isinstance(data, pd.DataFrame):
            raise TypeError("analyst snapshots are frames")
        fmt, data_path, rows = "parquet", folder / f"{fetch_id}.parquet", len(data)
        tmp = _tmp_path(data_path)
        try:
            _write_price_data(data, tmp, "parquet")
            os.replace(tmp, data_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    else:
        if not isinstance(data, dict):
            raise TypeError("valuation snapshots are {ticker: info} objects")
        fmt, data_path, rows = "json", folder / f"{fetch_id}{SNAPSHOT_JSON_SUFFIX}", len(data)
        # default=str: info may hold values JSON has no type for; they are kept as text.
        atomic_write_bytes(data_path, json.dumps(data, indent=1, default=str).encode())
    manifest = SnapshotFetchManifest(
        fetch_id=fetch_id,
        source=source,
        fetched_at=fetched_at.astimezone(UTC).isoformat(),
        data_file=data_path.relative_to(archive_root).as_posix(),
        format=fmt,
        tickers=sorted(tickers),
        rows=rows,
        session_date=session_date.isoformat() if session_date else None,
        failed_tickers=sorted(failed_tickers or []),
        synthetic=synthetic,
        note=note,
        data_sha256=file_sha256(data_path),
        data_bytes=data_path.stat().st_size,
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": kind, **asdict(manifest)}, indent=2).encode(),
    )
    return manifest


def write_factor_import(
    archive_root: Path,
    data: bytes,
    *,
    fetched_at: datetime,
    model: str,
    rows: int,
    first_date: date,
    last_date: date,
    note: str = "",
) -> tuple[FactorImportManifest, bool]:
    """Archive a factor file's bytes as given, with its manifest written last (a file without a
    manifest is a partial write, swept later). Returns the manifest and whether an archived
    import with the same bytes was reused instead (importing the same file twice adds nothing)."""
    digest = hashlib.sha256(data).hexdigest()
    existing, _problems = _scan(archive_root, FACTOR_KIND, FactorImportManifest)
    for manifest in existing:
        if manifest.data_sha256 == digest:
            return manifest, True
    fetch_id = new_fetch_id(fetched_at, "import")
    folder = _month_dir(archive_root, FACTOR_KIND, fetched_at)
    folder.mkdir(parents=True, exist_ok=True)
    sweep_partial_writes(archive_root, folders=[folder])
    data_path = folder / f"{fetch_id}.csv"
    atomic_write_bytes(data_path, data)
    manifest = FactorImportManifest(
        fetch_id=fetch_id,
        source="import",
        fetched_at=fetched_at.astimezone(UTC).isoformat(),
        data_file=data_path.relative_to(archive_root).as_posix(),
        format="csv",
        model=model,
        rows=rows,
        first_date=first_date.isoformat(),
        last_date=last_date.isoformat(),
        data_sha256=digest,
        data_bytes=len(data),
        note=note,
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": FACTOR_KIND, **asdict(manifest)}, indent=2).encode(),
    )
    return manifest, False


def read_factor_data(archive_root: Path, manifest: FactorImportManifest) -> bytes:
    """The archived factor file's bytes, once they match the manifest's size and SHA-256."""
    path = archive_root / manifest.data_file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiveFileError(
            path,
            f"cannot be read ({exc.strerror}): its manifest {manifest.manifest_file} points at it",
            fetch_id=manifest.fetch_id,
            kind=FACTOR_KIND,
        ) from exc
    _check_size_and_digest(
        path,
        manifest.manifest_file,
        size=manifest.data_bytes,
        sha256=manifest.data_sha256,
        actual_size=len(data),
        actual_sha256=hashlib.sha256(data).hexdigest(),
        fetch_id=manifest.fetch_id,
        kind=FACTOR_KIND,
    )
    return data


def check_snapshot_data(archive_root: Path, manifest: SnapshotFetchManifest, kind: str) -> Path:
    """The snapshot's data file, once it exists and matches its manifest's size and SHA-256."""
    path = archive_root / manifest.data_file
    if not path.is_file():
        raise ArchiveFileError(
            path,
            f"is missing: its manifest {manifest.manifest_file} points at it",
            fetch_id=manifest.fetch_id,
            kind=kind,
        )
    _check_size_and_digest(
        path,
        manifest.manifest_file,
        size=manifest.data_bytes,
        sha256=manifest.data_sha256,
        actual_size=path.stat().st_size,
        actual_sha256=file_sha256(path),
        fetch_id=manifest.fetch_id,
        kind=kind,
    )
    return path


# --- reading manifests -----------------------------------------------------------------------

# Fields a manifest must have the JSON type of, beyond being present: what the loader relies on.
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "fetch_id": (str,),
    "fetched_at": (str,),
    "data_file": (str,),
    "format": (str,),
    "tickers": (list,),
    "rows": (int,),
    "replaces_history_of": (list,),
    "data_sha256": (str, type(None)),
    "data_bytes": (int, type(None)),
    "body_file": (str, type(None)),
    "body_sha256": (str, type(None)),
    "body_bytes": (int, type(None)),
}


def _manifest_from(path: Path, kind: str, cls: type[M]) -> M:
    """Parse one manifest file, or raise ArchiveFileError naming it and what is wrong."""
    fetch_id = path.stem

    def bad(problem: str) -> ArchiveFileError:
        return ArchiveFileError(path, problem, fetch_id=fetch_id, kind=kind)

    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"manifest cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise bad(f"manifest is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise bad("manifest is not a JSON object")
    if payload.pop("kind", None) != kind:
        raise bad(f"is not a {kind} manifest (its \"kind\" is not {kind!r})")
    known = {f.name: f for f in dataclasses.fields(cls)}
    required = [
        name
        for name, f in known.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [name for name in required if name not in payload]
    unknown = sorted(set(payload) - set(known))
    if missing or unknown:
        parts = [f"lacks {', '.join(missing)}"] if missing else []
        parts += [f"has unknown fields {', '.join(unknown)}"] if unknown else []
        raise bad(f"manifest {' and '.join(parts)}")
    for name, types in _FIELD_TYPES.items():
        value = payload.get(name)
        # bool is an int to Python, but a row count of `true` is no row count.
        if name in payload and (isinstance(value, bool) or not isinstance(value, types)):
            raise bad(f"manifest field {name} is {value!r}, not a {types[0].__name__}")
    manifest = cls(**payload)
    if manifest.fetch_id != fetch_id:
        raise bad(f"manifest says fetch_id {manifest.fetch_id!r}, but the file is named {fetch_id}")
    data_file = getattr(manifest, "data_file", None) or getattr(manifest, "body_file", None)
    if data_file is not None:
        parts = PurePosixPath(data_file).parts
        if PurePosixPath(data_file).is_absolute() or ".." in parts or parts[:1] != (kind,):
            raise bad(f"manifest points at {data_file!r}, outside the archive's {kind}/ folder")
    if isinstance(manifest, PriceFetchManifest) and manifest.format not in ("parquet", "csv"):
        raise bad(f"manifest has unknown format {manifest.format!r}")
    if isinstance(manifest, SnapshotFetchManifest) and manifest.format not in ("parquet", "json"):
        raise bad(f"manifest has unknown format {manifest.format!r}")
    if isinstance(manifest, FactorImportManifest) and manifest.format != "csv":
        raise bad(f"manifest has unknown format {manifest.format!r}")
    return manifest


def manifest_paths(archive_root: Path, kinds: tuple[str, ...] = KINDS) -> list[Path]:
    """The manifest files of `kinds` (KIND/YYYY/MM/FETCH_ID.json), sorted. A valuation snapshot's
    body is JSON too (FETCH_ID.data.json) and is not a manifest."""
    return [
        path
        for kind in kinds
        for path in sorted((archive_root / kind).glob("*/*/*.json"))
        if not path.name.endswith(SNAPSHOT_JSON_SUFFIX)
    ]


def _scan(archive_root: Path, kind: str, cls: type[M]) -> tuple[list[M], list[ArchiveFileError]]:
    manifests: list[M] = []
    problems: list[ArchiveFileError] = []
    for path in manifest_paths(archive_root, (kind,)):
        try:
            manifests.append(_manifest_from(path, kind, cls))
        except ArchiveFileError as exc:
            problems.append(exc)
    manifests.sort(key=lambda m: m.fetch_id)
    return manifests, problems


def scan_price_fetches(
    archive_root: Path,
) -> tuple[list[PriceFetchManifest], list[ArchiveFileError]]:
    """Every readable price manifest (oldest first) and a problem for each unreadable one."""
    return _scan(archive_root, "prices", PriceFetchManifest)


def scan_news_fetches(
    archive_root: Path,
) -> tuple[list[NewsFetchManifest], list[ArchiveFileError]]:
    """Every readable news manifest (oldest first) and a problem for each unreadable one."""
    return _scan(archive_root, "news", NewsFetchManifest)


def scan_snapshot_fetches(
    archive_root: Path, kind: str
) -> tuple[list[SnapshotFetchManifest], list[ArchiveFileError]]:
    """Every readable manifest of a snapshot kind (oldest first) and a problem for each other."""
    if kind not in SNAPSHOT_KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}")
    return _scan(archive_root, kind, SnapshotFetchManifest)


def scan_factor_imports(
    archive_root: Path,
) -> tuple[list[FactorImportManifest], list[ArchiveFileError]]:
    """Every readable factor-import manifest (oldest first) and a problem for each other."""
    return _scan(archive_root, FACTOR_KIND, FactorImportManifest)


def list_price_fetches(archive_root: Path) -> list[PriceFetchManifest]:
    """Every complete price fetch in the archive, oldest first; an unreadable manifest raises."""
    manifests, problems = scan_price_fetches(archive_root)
    if problems:
        raise problems[0]
    return manifests


def list_news_fetches(archive_root: Path) -> list[NewsFetchManifest]:
    """Every news fetch in the archive (failures included), oldest first; an unreadable manifest
    raises."""
    manifests, problems = scan_news_fetches(archive_root)
    if problems:
        raise problems[0]
    return manifests


# --- checking data files ---------------------------------------------------------------------


def _check_size_and_digest(
    path: Path,
    manifest_file: str,
    *,
    size: int | None,
    sha256: str | None,
    actual_size: int,
    actual_sha256: str | None,
    fetch_id: str,
    kind: str,
) -> None:
    if size is not None and actual_size != size:
        raise ArchiveFileError(
            path,
            f"has {actual_size:,} bytes, its manifest {manifest_file} says {size:,}: the file was "
            "truncated or changed after it was archived",
            fetch_id=fetch_id,
            kind=kind,
        )
    if sha256 is not None and actual_sha256 != sha256:
        raise ArchiveFileError(
            path,
            f"SHA-256 {(actual_sha256 or '')[:12]}… differs from {sha256[:12]}… in its manifest "
            f"{manifest_file}: the bytes changed after they were archived",
            fetch_id=fetch_id,
            kind=kind,
        )


def check_price_data(archive_root: Path, manifest: PriceFetchManifest) -> Path:
    """The price fetch's data file, once it exists and matches its manifest's size and SHA-256
    (when the manifest has them; the row count is checked when the file is read)."""
    path = archive_root / manifest.data_file
    if not path.is_file():
        raise ArchiveFileError(
            path,
            f"is missing: its manifest {manifest.manifest_file} points at it",
            fetch_id=manifest.fetch_id,
            kind="prices",
        )
    _check_size_and_digest(
        path,
        manifest.manifest_file,
        size=manifest.data_bytes,
        sha256=manifest.data_sha256,
        actual_size=path.stat().st_size,
        actual_sha256=file_sha256(path) if manifest.data_sha256 is not None else None,
        fetch_id=manifest.fetch_id,
        kind="prices",
    )
    return path


def read_news_body(archive_root: Path, manifest: NewsFetchManifest) -> bytes | None:
    """The archived body, once it matches its manifest's size and SHA-256 (when it has them)."""
    if manifest.body_file is None:
        return None
    path = archive_root / manifest.body_file
    try:
        body = path.read_bytes()
    except FileNotFoundError as exc:
        raise ArchiveFileError(
            path,
            f"is missing: its manifest {manifest.manifest_file} points at it",
            fetch_id=manifest.fetch_id,
            kind="news",
        ) from exc
    _check_size_and_digest(
        path,
        manifest.manifest_file,
        size=manifest.body_bytes,
        sha256=manifest.body_sha256,
        actual_size=len(body),
        actual_sha256=hashlib.sha256(body).hexdigest() if manifest.body_sha256 else None,
        fetch_id=manifest.fetch_id,
        kind="news",
    )
    return body


# --- retractions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Retraction:
    fetch_id: str
    kind: str  # prices | news
    retracted_at: str  # ISO 8601, UTC
    reason: str
    manifest_file: str  # relative to the archive root


def find_manifest_file(archive_root: Path, fetch_id: str) -> tuple[str, Path] | None:
    """(kind, path) of the manifest file named after `fetch_id`, readable or not."""
    if not _FETCH_ID.match(fetch_id):
        return None
    for kind in KINDS:
        found = sorted((archive_root / kind).glob(f"*/*/{fetch_id}.json"))
        if found:
            return kind, found[0]
    return None


def read_retractions(archive_root: Path) -> dict[str, Retraction]:
    """Every retraction, by fetch id. A record's presence is what retracts a fetch: an unreadable
    record still retracts it (its reason says so), so a damaged record never brings a fetch back."""
    folder = archive_root / RETRACTIONS_DIR
    out: dict[str, Retraction] = {}
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        fetch_id = path.stem
        try:
            payload = json.loads(path.read_bytes().decode("utf-8"))
            out[fetch_id] = Retraction(
                fetch_id=fetch_id,
                kind=str(payload["kind"]),
                retracted_at=str(payload["retracted_at"]),
                reason=str(payload["reason"]),
                manifest_file=str(payload["manifest_file"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            out[fetch_id] = Retraction(
                fetch_id, "?", "", f"(retraction record {path} is unreadable)", ""
            )
    return out


def retract_fetch(
    archive_root: Path, fetch_id: str, reason: str, *, now: datetime | None = None
) -> Retraction:
    """Record that a fetch must not be replayed. Its data file and manifest stay as they are."""
    if not reason.strip():
        raise ValueError("give a reason: it is kept with the retraction")
    found = find_manifest_file(archive_root, fetch_id)
    if found is None:
        raise LookupError(
            f"no fetch {fetch_id!r} in the archive {archive_root}; "
            "`adrpulse archive list` shows the fetch ids"
        )
    existing = read_retractions(archive_root).get(fetch_id)
    if existing is not None:
        raise ValueError(
            f"{fetch_id} was already retracted at {existing.retracted_at}: {existing.reason}"
        )
    kind, manifest_path = found
    record = Retraction(
        fetch_id=fetch_id,
        kind=kind,
        retracted_at=(now or datetime.now(UTC)).astimezone(UTC).isoformat(),
        reason=reason.strip(),
        manifest_file=manifest_path.relative_to(archive_root).as_posix(),
    )
    atomic_write_bytes(
        archive_root / RETRACTIONS_DIR / f"{fetch_id}.json",
        json.dumps(asdict(record), indent=2).encode(),
    )
    return record


# --- leftovers of interrupted writes ---------------------------------------------------------


@dataclass(frozen=True)
class PartialWrite:
    path: Path
    why: str


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _month_folders(archive_root: Path, kinds: Iterable[str]) -> list[Path]:
    return [p for kind in kinds for p in sorted((archive_root / kind).glob("*/*")) if p.is_dir()]


def _manifest_name_of(data_name: str) -> str | None:
    """The manifest file name a data file belongs to; None for a file that is no data file."""
    if data_name.endswith(SNAPSHOT_JSON_SUFFIX):
        return data_name[: -len(SNAPSHOT_JSON_SUFFIX)] + ".json"
    path = PurePosixPath(data_name)
    return f"{path.stem}.json" if path.suffix in _DATA_SUFFIXES else None


def find_partial_writes(
    archive_root: Path,
    *,
    kinds: Iterable[str] = KINDS,
    folders: Iterable[Path] | None = None,
    now: float | None = None,
) -> list[PartialWrite]:
    """What interrupted writes left: temporary files of writers that are gone, and data files
    whose manifest was never written (older than ORPHAN_GRACE_SECONDS). Neither was ever part of
    the archive: no manifest names them, so no replay reads them."""
    now = time.time() if now is None else now
    search = list(folders) if folders is not None else [
        *_month_folders(archive_root, kinds),
        archive_root / RETRACTIONS_DIR,
    ]
    found: list[PartialWrite] = []
    for folder in search:
        try:
            entries = [e for e in folder.iterdir() if e.is_file()]
        except FileNotFoundError:
            continue
        names = {e.name for e in entries}
        for entry in entries:
            try:
                age = now - entry.stat().st_mtime
            except FileNotFoundError:
                continue  # its writer just renamed it
            tmp = _TMP_NAME.match(entry.name)
            if tmp:
                pid = int(tmp.group("pid"))
                if not _pid_alive(pid) or age > STALE_TMP_SECONDS:
                    found.append(
                        PartialWrite(entry, f"temporary file of an interrupted write (pid {pid})")
                    )
            elif (
                _manifest_name_of(entry.name) is not None
                and _manifest_name_of(entry.name) not in names
                and age > ORPHAN_GRACE_SECONDS
            ):
                found.append(
                    PartialWrite(entry, "data file without a manifest (an interrupted write)")
                )
    return found


def sweep_partial_writes(
    archive_root: Path,
    *,
    kinds: Iterable[str] = KINDS,
    folders: Iterable[Path] | None = None,
) -> list[PartialWrite]:
    """Remove what `find_partial_writes` finds; return what was removed."""
    removed = []
    for leftover in find_partial_writes(archive_root, kinds=kinds, folders=folders):
        try:
            leftover.path.unlink()
        except FileNotFoundError:
            continue
        removed.append(leftover)
    return removed



# --- what a replay reads ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayPlan(Generic[M]):
    """The fetches of one kind a replay loads, oldest first, and what it cannot or must not."""

    fetches: list[M]  # readable manifests, retracted ones left out
    problems: list[ArchiveFileError]  # unreadable manifests (a retracted one is not a problem)
    retracted: list[str]  # fetch ids left out because they were retracted

    def in_order(self) -> list[M | ArchiveFileError]:
        """Fetches and problems by fetch id: the order history happened in."""
        items: list[M | ArchiveFileError] = [*self.fetches, *self.problems]
        return sorted(items, key=lambda x: x.fetch_id or "")


def plan_replay(archive_root: Path, kind: str) -> ReplayPlan:
    if kind == "prices":
        manifests, problems = scan_price_fetches(archive_root)
    elif kind == "news":
        manifests, problems = scan_news_fetches(archive_root)  # type: ignore[assignment]
    elif kind in SNAPSHOT_KINDS:
        manifests, problems = scan_snapshot_fetches(archive_root, kind)  # type: ignore[assignment]
    elif kind == FACTOR_KIND:
        manifests, problems = scan_factor_imports(archive_root)  # type: ignore[assignment]
    else:
        raise ValueError(f"unknown archive kind {kind!r}")
    retracted = read_retractions(archive_root)
    return ReplayPlan(
        fetches=[m for m in manifests if m.fetch_id not in retracted],
        problems=[p for p in problems if p.fetch_id not in retracted],
        retracted=sorted(
            {m.fetch_id for m in manifests} & set(retracted)
            | {p.fetch_id for p in problems if p.fetch_id in retracted}
        ),
    )
