"""Importing a daily factor file and replaying the imported ones, without Dagster.

An import is parsed first (a bad file stops here, naming its line, and nothing is stored), then
archived byte for byte (warehouse/archive.py write_factor_import, with its manifest), then
loaded into raw.daily_factors (warehouse/factors.py). A rebuild parses every archived import
again and reloads them through warehouse.load.rebuild_from_plan, the one rebuild loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assets.factors.fama_french import FactorFile, FactorFileError, parse_factor_text
from warehouse.archive import (
    FACTOR_KIND,
    ArchiveFileError,
    ArchiveReplayError,
    FactorImportManifest,
    plan_replay,
    read_factor_data,
    write_factor_import,
)
from warehouse.factors import (
    FactorLoadStats,
    load_factor_import,
    loaded_factor_import_ids,
)
from warehouse.load import ProgressLog, rebuild_from_plan
from warehouse.schema import FACTOR_TABLES, REBUILD_SCHEMA


def factor_rows(parsed: FactorFile) -> list[tuple[object, ...]]:
    """The parsed rows in warehouse.factors.FACTOR_ROW_COLUMNS order."""
    return [
        (r.session_date, r.mkt_rf, r.smb, r.hml, r.rmw, r.cma, r.rf) for r in parsed.rows
    ]


@dataclass(frozen=True)
class FactorImport:
    parsed: FactorFile
    manifest: FactorImportManifest
    reused: bool  # the same bytes were archived by an earlier import
    load: FactorLoadStats


def import_factor_file(con: Any, archive: Path, path: Path) -> FactorImport:
    """Parse, archive and load one factor file. Raises FactorFileError (nothing stored) for a
    file that is not a daily factor file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FactorFileError(str(path), None, f"cannot be read ({exc.strerror})") from exc
    parsed = parse_factor_text(_text(data, str(path)), str(path))
    manifest, reused = write_factor_import(
        archive,
        data,
        fetched_at=datetime.now(UTC),
        model=parsed.model,
        rows=len(parsed.rows),
        first_date=parsed.first_date,
        last_date=parsed.last_date,
        note=f"imported from {path.resolve()}",
    )
    stats = load_factor_import(con, manifest, factor_rows(parsed))
    return FactorImport(parsed, manifest, reused, stats)


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FactorFileError(name, None, "is not a text (UTF-8) file") from exc


def _archived_rows(archive: Path, manifest: FactorImportManifest) -> list[tuple[object, ...]]:
    """Parse an archived import again; a file that no longer parses is an ArchiveFileError."""
    data = read_factor_data(archive, manifest)
    path = archive / manifest.data_file
    try:
        return factor_rows(parse_factor_text(_text(data, str(path)), str(path)))
    except FactorFileError as exc:
        raise ArchiveFileError(
            path, exc.problem, fetch_id=manifest.fetch_id, kind=FACTOR_KIND
        ) from exc


@dataclass
class FactorReplay:
    loaded: list[FactorLoadStats] = field(default_factory=list)
    skipped: list[ArchiveFileError] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)


def replay_factor_imports(
    con: Any, archive: Path, log: ProgressLog, *, rebuild: bool, skip_bad: bool
) -> FactorReplay:
    """Load the archived imports not loaded yet, oldest first; with `rebuild`, all of them into
    fresh tables swapped in only when every file loaded (rebuild_from_plan). Retracted imports
    are left out."""
    plan = plan_replay(archive, FACTOR_KIND)
    outcome = FactorReplay(retracted=plan.retracted)
    if not rebuild:
        done = loaded_factor_import_ids(con)
        for item in plan.in_order():
            if item.fetch_id in done:
                continue
            try:
                if isinstance(item, ArchiveFileError):
                    raise item
                outcome.loaded.append(
                    load_factor_import(con, item, _archived_rows(archive, item))
                )
            except ArchiveFileError as exc:
                raise ArchiveReplayError(
                    [exc], "the factor imports after it are not loaded"
                ) from exc
        return outcome

    def load_into_staging(item: FactorImportManifest) -> FactorLoadStats:
        rows = _archived_rows(archive, item)
        return load_factor_import(con, item, rows, schema=REBUILD_SCHEMA)

    outcome.loaded, outcome.skipped = rebuild_from_plan(
        con, plan, FACTOR_TABLES, load_into_staging,
        lambda stats: f"factors: {stats.fetch_id} ({stats.rows:,} days)", log,
        skip_bad=skip_bad, what="factor",
    )
    log.info(f"factors: {len(outcome.loaded)} archived imports replayed")
    return outcome
