"""`adrpulse archive list | verify | retract`: what the raw archive holds, whether every file still
matches its manifest, and taking a bad fetch or import back out of future rebuilds.

None of them opens the warehouse or starts a Dagster run, so they work while the pipeline runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.settings import Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_table, plural

if TYPE_CHECKING:  # the warehouse modules load when a command runs, not at import
    from warehouse.archive import (
        ArchiveFileError,
        FactorImportManifest,
        NewsFetchManifest,
        PriceFetchManifest,
        Retraction,
        SnapshotFetchManifest,
    )
    from warehouse.verify import VerifyReport

LIST_COLUMNS = [
    "fetch id", "kind", "source", "fetched at (UTC)", "tickers / feed", "rows", "status"
]
_TICKERS_SHOWN = 4
UNREADABLE = "UNREADABLE manifest"


def _archive_root(args: argparse.Namespace, settings: Settings) -> Path:
    given = getattr(args, "archive", None)
    root = Path(given).expanduser() if given else settings.archive_dir
    if not root.is_dir():
        raise CliError(
            f"no archive at {root}: nothing was fetched or imported into this ADRPULSE_HOME yet"
        )
    return root


def _relative(root: Path, path: str) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


# --- list ------------------------------------------------------------------------------------


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _tickers(tickers: Sequence[str]) -> str:
    shown = ", ".join(tickers[:_TICKERS_SHOWN])
    more = len(tickers) - _TICKERS_SHOWN
    return f"{shown} +{more}" if more > 0 else shown


def _retracted(r: Retraction) -> str:
    return f"RETRACTED {r.retracted_at[:10]}: {r.reason}"


def _price_row(m: PriceFetchManifest, retractions: dict[str, Retraction]) -> tuple[Any, ...]:
    if m.fetch_id in retractions:
        status = _retracted(retractions[m.fetch_id])
    else:
        parts = []
        if m.failed_tickers:
            parts.append(f"{plural(len(m.failed_tickers), 'ticker')} failed")
        if m.replaces_history_of:
            parts.append("replaces the history of " + _tickers(m.replaces_history_of))
        if m.synthetic:
            parts.append("synthetic")
        status = "; ".join(["ok", *parts])
    return (m.fetch_id, "prices", m.source, _when(m.fetched_at), _tickers(m.tickers), m.rows,
            status)


def _news_row(m: NewsFetchManifest, retractions: dict[str, Retraction]) -> tuple[Any, ...]:
    if m.fetch_id in retractions:
        status = _retracted(retractions[m.fetch_id])
    elif m.http_status == 304:
        status = "not modified"
    elif m.body_file is not None and m.http_status is not None and 200 <= m.http_status < 300:
        status = "ok"
    else:
        status = f"failed: {m.error or f'HTTP {m.http_status}'}"
    return (m.fetch_id, "news", "feed", _when(m.fetched_at), m.feed_name, None, status)


def _snapshot_row(
    m: SnapshotFetchManifest, kind: str, retractions: dict[str, Retraction]
) -> tuple[Any, ...]:
    if m.fetch_id in retractions:
        status = _retracted(retractions[m.fetch_id])
    else:
        parts = [f"session {m.session_date}"] if m.session_date else []
        if m.failed_tickers:
            parts.append(f"{plural(len(m.failed_tickers), 'ticker')} failed")
        if m.synthetic:
            parts.append("synthetic")
        status = "; ".join(["ok", *parts])
    return (m.fetch_id, kind, m.source, _when(m.fetched_at), _tickers(m.tickers), m.rows, status)


def _factor_row(m: FactorImportManifest, retractions: dict[str, Retraction]) -> tuple[Any, ...]:
    if m.fetch_id in retractions:
        status = _retracted(retractions[m.fetch_id])
    else:
        status = f"ok; {m.model} {m.first_date}..{m.last_date}"
    return (m.fetch_id, "factors", m.source, _when(m.fetched_at), "", m.rows, status)


def _unreadable_row(
    error: ArchiveFileError, kind: str, retractions: dict[str, Retraction]
) -> tuple[Any, ...]:
    fetch_id = error.fetch_id or ""
    status = (
        _retracted(retractions[fetch_id]) if fetch_id in retractions else UNREADABLE
    )
    return (fetch_id, kind, "", "", "", None, status)


def cmd_archive_list(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.archive import (
        FACTOR_KIND,
        read_retractions,
        scan_factor_imports,
        scan_news_fetches,
        scan_price_fetches,
        scan_snapshot_fetches,
    )

    root = _archive_root(args, settings)
    retractions = read_retractions(root)
    rows: list[tuple[Any, ...]] = []
    counts = {"prices": 0, "news": 0, "analyst": 0, "valuation": 0, FACTOR_KIND: 0}
    if args.kind in ("all", "prices"):
        prices, bad = scan_price_fetches(root)
        rows += [_price_row(m, retractions) for m in prices]
        rows += [_unreadable_row(e, "prices", retractions) for e in bad]
        counts["prices"] = len(prices) + len(bad)
    if args.kind in ("all", "news"):
        news, bad = scan_news_fetches(root)
        rows += [_news_row(m, retractions) for m in news]
        rows += [_unreadable_row(e, "news", retractions) for e in bad]
        counts["news"] = len(news) + len(bad)
    for kind in ("analyst", "valuation"):
        if args.kind in ("all", kind):
            snapshots, bad = scan_snapshot_fetches(root, kind)
            rows += [_snapshot_row(m, kind, retractions) for m in snapshots]
            rows += [_unreadable_row(e, kind, retractions) for e in bad]
            counts[kind] = len(snapshots) + len(bad)
    if args.kind in ("all", FACTOR_KIND):
        imports, bad = scan_factor_imports(root)
        rows += [_factor_row(m, retractions) for m in imports]
        rows += [_unreadable_row(e, FACTOR_KIND, retractions) for e in bad]
        counts[FACTOR_KIND] = len(imports) + len(bad)
    rows.sort(key=lambda r: r[0])
    shown = rows[-args.last:] if args.last > 0 else rows
    held = [
        f"{counts[kind]:,} {what}"
        for kind, what in (
            ("prices", "price fetches and imports"),
            ("news", "news fetches"),
            ("analyst", "analyst-action fetches"),
            ("valuation", "valuation snapshots"),
            (FACTOR_KIND, "factor imports"),
        )
        if args.kind in ("all", kind) and (counts[kind] or kind in ("prices", "news"))
    ]
    print(f"Archive {root}: {', '.join(held)}; {len(retractions):,} retracted.")
    if not rows:
        return 0
    print(format_table(LIST_COLUMNS, shown, max_width=64))
    if len(shown) < len(rows):
        print(f"The last {len(shown):,} of {len(rows):,}, oldest first; --last 0 lists them all.")
    if any(r[-1] == UNREADABLE for r in rows):
        print("Unreadable manifests: `adrpulse archive verify` says what is wrong with each.")
    return 0


# --- verify ----------------------------------------------------------------------------------


def print_progress(done: int, total: int) -> None:
    print(f"  checked {done:,}/{total:,} fetches", flush=True)


def summary_rows(report: VerifyReport) -> list[tuple[Any, ...]]:
    return [
        (kind, c.fetches, c.verified, c.no_checksum, c.retracted, c.bad)
        for kind, c in report.counts.items()
    ]


SUMMARY_COLUMNS = ["kind", "fetches", "verified", "no checksum", "retracted", "bad"]


def print_bad_files(root: Path, bad: Sequence[ArchiveFileError], file: Any = None) -> None:
    """One line per bad file: where it is (relative to the archive) and what is wrong."""
    for error in bad:
        print(f"  {_relative(root, error.path)}: {error.problem}", file=file or sys.stdout)


def run_verify(root: Path, every: int) -> VerifyReport:
    """Verify with a progress line every `every` fetches and the aligned summary table."""
    from warehouse.verify import verify_archive

    print(f"Verifying the archive {root} (nothing is loaded or changed).", flush=True)
    report = verify_archive(root, progress=print_progress, every=max(every, 1))
    print()
    print(format_table(SUMMARY_COLUMNS, summary_rows(report)))
    legacy = sum(c.no_checksum for c in report.counts.values())
    if legacy:
        print(
            f"\n{legacy:,} manifest(s) were written before archives had checksums: they have no\n"
            "checksum. Their price files were checked on their row count, their news bodies on\n"
            "being there; their bytes cannot be proven unchanged."
        )
    return report


def cmd_archive_verify(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.archive import NEXT_STEP, sweep_partial_writes

    root = _archive_root(args, settings)
    report = run_verify(root, args.every)
    if report.leftovers:
        if args.remove_leftovers:
            removed = sweep_partial_writes(root)
            print(f"\nRemoved {len(removed):,} leftover(s) of interrupted writes:")
            for leftover in removed:
                print(f"  {_relative(root, str(leftover.path))}: {leftover.why}")
        else:
            print(f"\n{len(report.leftovers):,} leftover(s) of interrupted writes (never part of "
                  "the archive; --remove-leftovers deletes them):")
            for leftover in report.leftovers:
                print(f"  {_relative(root, str(leftover.path))}: {leftover.why}")
    if report.ok:
        print(f"\nAll {report.total:,} fetches are as archived.")
        return 0
    print(f"\n{len(report.bad):,} bad file(s):")
    print_bad_files(root, report.bad)
    print(f"\n{NEXT_STEP}", file=sys.stderr)
    return 1


# --- retract ---------------------------------------------------------------------------------


def cmd_archive_retract(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.archive import RETRACTIONS_DIR, retract_fetch

    root = _archive_root(args, settings)
    try:
        record = retract_fetch(root, args.fetch_id, args.reason)
    except (LookupError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    print(
        f"Retracted {record.fetch_id} ({record.kind}): {record.reason}\n"
        f"Recorded in {root / RETRACTIONS_DIR / (record.fetch_id + '.json')}; the fetch's own "
        f"files ({record.manifest_file} and its data) are kept unchanged.\n"
        "The warehouse still holds it: run `adrpulse rebuild` to rebuild it without this fetch."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "archive",
        help="list, verify and retract archived fetches and imports",
        description="The raw archive under ADRPULSE_HOME/archive: every price fetch, import and "
        "news poll as received. These commands read it (and record retractions); none opens "
        "the warehouse.",
    )
    archive_sub = p.add_subparsers(dest="archive_command", required=True, metavar="ACTION")

    q = archive_sub.add_parser(
        "list",
        help="the archived fetches and imports, newest last",
        description="One line per archived fetch or import: id, kind, source, fetch time, "
        "tickers or feed, rows, and status (ok, failed tickers, RETRACTED with its reason).",
    )
    q.add_argument(
        "--kind", choices=["all", "prices", "news", "analyst", "valuation", "factors"],
        default="all",
    )
    q.add_argument("--last", type=int, default=50, metavar="N",
                   help="show the newest N (default 50; 0 for all)")
    q.add_argument("--archive", metavar="DIR", help="another archive folder (e.g. a backup)")
    q.set_defaults(func=cmd_archive_list)

    q = archive_sub.add_parser(
        "verify",
        help="check every archived file against its manifest, without loading",
        description="Check every fetch: the manifest parses; the data file exists and has the "
        "size and SHA-256 its manifest records; a price file reads as bars with the manifest's "
        "row count. Manifests from before checksums are checked on their row count and said to "
        "have no checksum. Retracted fetches are skipped. Exit status 1 when any file is bad, "
        "each named with what is wrong.",
    )
    q.add_argument("--archive", metavar="DIR", help="another archive folder (e.g. a backup)")
    q.add_argument("--every", type=int, default=100, metavar="N",
                   help="a progress line every N fetches (default 100)")
    q.add_argument("--remove-leftovers", action="store_true",
                   help="delete what interrupted writes left (temporary files, data files "
                   "without a manifest); complete fetches are never touched")
    q.set_defaults(func=cmd_archive_verify)

    q = archive_sub.add_parser(
        "retract",
        help="take a fetch or import back out of future rebuilds",
        description="Record in the archive (archive/retractions/FETCH_ID.json) that a fetch or "
        "import must not be replayed. Nothing is deleted or edited: its files stay as they are. "
        "`adrpulse rebuild` then rebuilds the warehouse without it. To undo, delete the "
        "retraction file and rebuild.",
        epilog="Example: adrpulse archive retract 20250614T101500123456Z-import-3f9a1c "
        "--reason 'vendor file had closes above highs'",
    )
    q.add_argument("fetch_id", metavar="FETCH_ID", help="the id `adrpulse archive list` shows")
    q.add_argument("--reason", required=True, help="why (kept with the retraction)")
    q.set_defaults(func=cmd_archive_retract)
