"""The raw archive: every fetch and import kept as received, so the warehouse can be rebuilt
offline.

Layout under an archive root (ADRPULSE_HOME/archive, or the bundled sample archive):

    prices/<YYYY>/<MM>/<fetch_id>.parquet|.csv   bars in long form, one row per (ticker, session)
    prices/<YYYY>/<MM>/<fetch_id>.json           manifest: source, fetch time, request, row count
    news/<YYYY>/<MM>/<fetch_id>.xml              the response body, byte for byte
    news/<YYYY>/<MM>/<fetch_id>.json             manifest: feed, url, HTTP status, validators

A fetch is complete when its manifest exists: the data file is written first (to a temporary name,
then renamed), the manifest last, so a crash never leaves a manifest pointing at half a file.
Fetch ids sort by fetch time, so replaying manifests in id order replays history in order.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

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


def new_fetch_id(fetched_at: datetime, source: str) -> str:
    """A time-sortable, unique id such as 20250331T220000123456Z-yfinance-3f9a1c."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be zone-aware")
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{source}-{secrets.token_hex(3)}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so readers see either the old content or the new, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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

    @property
    def manifest_file(self) -> str:
        # Manifests sit beside the body under the fetch id, whether or not there is a body.
        utc = datetime.fromisoformat(self.fetched_at).astimezone(UTC)
        return f"news/{utc:%Y}/{utc:%m}/{self.fetch_id}.json"

    @property
    def fetched_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.fetched_at)


def _check_price_frame(bars: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in PRICE_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"price frame lacks columns {missing}")
    return bars.loc[:, list(PRICE_COLUMNS)]


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
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown archive format {fmt!r}")
    frame = _check_price_frame(bars).copy()
    frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
    fetch_id = fetch_id or new_fetch_id(fetched_at, source)
    folder = _month_dir(archive_root, "prices", fetched_at)
    folder.mkdir(parents=True, exist_ok=True)
    data_path = folder / f"{fetch_id}.{fmt}"
    tmp = data_path.with_name(f".{data_path.name}.tmp-{os.getpid()}")
    if fmt == "csv":
        frame.to_csv(tmp, index=False, float_format="%.10g", date_format="%Y-%m-%d")
    else:
        con = duckdb.connect()
        try:
            con.register("bars", frame)
            con.execute(
                f"copy (select * from bars) to '{tmp.as_posix()}' (format parquet)"
            ).fetchall()
        finally:
            con.close()
    os.replace(tmp, data_path)
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
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": "prices", **asdict(manifest)}, indent=2).encode(),
    )
    return manifest


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
    body_file = None
    if body is not None:
        body_path = folder / f"{fetch_id}.xml"
        atomic_write_bytes(body_path, body)
        body_file = body_path.relative_to(archive_root).as_posix()
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
    )
    atomic_write_bytes(
        archive_root / manifest.manifest_file,
        json.dumps({"kind": "news", **asdict(manifest)}, indent=2).encode(),
    )
    return manifest


def _read_manifests(archive_root: Path, kind: str) -> list[dict]:
    base = archive_root / kind
    if not base.exists():
        return []
    out = []
    for path in base.glob("*/*/*.json"):
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"archive manifest {path} is not valid JSON: {exc}") from exc
        if payload.pop("kind", None) != kind:
            raise ValueError(f"archive manifest {path} is not a {kind} manifest")
        out.append(payload)
    return sorted(out, key=lambda m: m["fetch_id"])


def list_price_fetches(archive_root: Path) -> list[PriceFetchManifest]:
    """Every complete price fetch in the archive, oldest first."""
    return [PriceFetchManifest(**m) for m in _read_manifests(archive_root, "prices")]


def list_news_fetches(archive_root: Path) -> list[NewsFetchManifest]:
    """Every news fetch in the archive (failures included), oldest first."""
    return [NewsFetchManifest(**m) for m in _read_manifests(archive_root, "news")]


def read_news_body(archive_root: Path, manifest: NewsFetchManifest) -> bytes | None:
    if manifest.body_file is None:
        return None
    return (archive_root / manifest.body_file).read_bytes()
