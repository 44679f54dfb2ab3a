"""Checking the whole raw archive without loading it (`adrpulse archive verify`, and the check a
rebuild makes before it starts).

Each fetch is checked as a load would check it, but into a throw-away in-memory DuckDB: its
manifest parses, its data file exists, has the size and SHA-256 the manifest records and, for
prices, reads as typed bars with the manifest's row count and no repeated (ticker, session); for
analyst actions and valuation snapshots, reads with the manifest's row or ticker count.
Manifests written before checksums are checked on what they carry: a price file's row count, a
news body's presence. Retracted fetches are not checked: no replay reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.archive import (
    KINDS,
    ArchiveFileError,
    FactorImportManifest,
    NewsFetchManifest,
    PartialWrite,
    PriceFetchManifest,
    SnapshotFetchManifest,
    find_partial_writes,
    plan_replay,
    read_factor_data,
    read_news_body,
)
from warehouse.load import stage_price_fetch
from warehouse.snapshots import read_valuation_fetch, stage_analyst_fetch

# progress(done, total): called every PROGRESS_EVERY fetches and at the end.
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 100


@dataclass
class KindCounts:
    fetches: int = 0  # manifests found, readable or not, retracted or not
    verified: int = 0  # checked and good (legacy ones included)
    no_checksum: int = 0  # of the verified: manifest without checksum, checked on what it has
    retracted: int = 0
    bad: int = 0


@dataclass
class VerifyReport:
    archive: Path
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    bad: list[ArchiveFileError] = field(default_factory=list)
    leftovers: list[PartialWrite] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad

    @property
    def total(self) -> int:
        return sum(c.fetches for c in self.counts.values())


def _check_price(con: duckdb.DuckDBPyConnection, root: Path, m: PriceFetchManifest) -> bool:
    """True when the manifest has a checksum. Raises ArchiveFileError."""
    stage_price_fetch(con, root, m)
    con.execute("drop table if exists staged_bars")
    return m.data_sha256 is not None


def _check_news(root: Path, m: NewsFetchManifest) -> bool:
    """True when the manifest has a checksum, or needs none (no body). Raises ArchiveFileError."""
    read_news_body(root, m)
    return m.body_file is None or m.body_sha256 is not None


def _check_snapshot(
    con: duckdb.DuckDBPyConnection, root: Path, kind: str, m: SnapshotFetchManifest
) -> bool:
    """Snapshots always carry a checksum. Raises ArchiveFileError."""
    if kind == "analyst":
        stage_analyst_fetch(con, root, m)
        con.execute("drop table if exists staged_actions")
    else:
        read_valuation_fetch(root, m)
    return True


def verify_archive(
    archive_root: Path, progress: Progress | None = None, every: int = PROGRESS_EVERY
) -> VerifyReport:
    """Check every fetch of the archive against its manifest; nothing is loaded or changed."""
    report = VerifyReport(archive_root)
    plans = {kind: plan_replay(archive_root, kind) for kind in KINDS}
    total = sum(len(p.fetches) + len(p.problems) + len(p.retracted) for p in plans.values())
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress is not None and (done % every == 0 or done == total):
            progress(done, total)

    con = duckdb.connect()
    try:
        for kind, plan in plans.items():
            counts = report.counts[kind]
            counts.fetches = len(plan.fetches) + len(plan.problems) + len(plan.retracted)
            counts.retracted = len(plan.retracted)
            for _ in plan.retracted:
                tick()
            for problem in plan.problems:
                report.bad.append(problem)
                counts.bad += 1
                tick()
            for manifest in plan.fetches:
                try:
                    if isinstance(manifest, PriceFetchManifest):
                        checksummed = _check_price(con, archive_root, manifest)
                    elif isinstance(manifest, SnapshotFetchManifest):
                        checksummed = _check_snapshot(con, archive_root, kind, manifest)
                    elif isinstance(manifest, FactorImportManifest):
                        # Size and SHA-256; the layout was checked when it was imported.
                        read_factor_data(archive_root, manifest)
                        checksummed = True
                    else:
                        checksummed = _check_news(archive_root, manifest)
                except ArchiveFileError as exc:
                    report.bad.append(exc)
                    counts.bad += 1
                else:
                    counts.verified += 1
                    counts.no_checksum += not checksummed
                tick()
    finally:
        con.close()
    report.bad.sort(key=lambda e: (e.fetch_id or "", e.path))
    report.leftovers = find_partial_writes(archive_root)
    return report
