"""`adrpulse import-prices`: bars from files, through the raw archive like a fetch."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from orchestration.commands.common import CliError, report_run, run_job
from orchestration.settings import Settings


def cmd_import_prices(args: argparse.Namespace, settings: Settings) -> int:
    from assets.prices.importer import PriceImportError, read_price_import
    from assets.universe import universe_tickers
    from warehouse.archive import write_price_fetch

    path = Path(args.path).expanduser()
    if not path.exists():
        raise CliError(f"{path} does not exist: give a directory of <TICKER>.csv files or one file")
    universe = set(universe_tickers(settings.universe_path))
    try:
        imported = read_price_import(path, universe_tickers=universe)
    except PriceImportError as exc:
        raise CliError(f"import rejected, nothing was stored:\n{exc}") from exc
    bars = imported.bars
    if imported.new_tickers:
        print(
            "Not in the universe, added as group 'unclassified': " + ", ".join(imported.new_tickers)
        )
    tickers = sorted(set(bars["ticker"]))
    manifest = write_price_fetch(
        settings.archive_dir,
        bars,
        source="import",
        fetched_at=datetime.now(UTC),
        tickers=tickers,
        start=min(bars["session_date"]),
        end=max(bars["session_date"]),
        note=f"imported from {path.resolve()}",
    )
    print(
        f"Archived {len(bars):,} rows for {len(tickers)} tickers as {manifest.manifest_file}; "
        "loading through Dagster."
    )
    return report_run(run_job("load_archive"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-prices",
        help="import bars from CSV or Parquet files",
        description="Import daily bars: a directory of <TICKER>.csv files "
        "(date,open,high,low,close,volume[,adj_close,dividends,splits]) or one long CSV/Parquet "
        "file with a ticker column. The file is validated, archived, then loaded.",
    )
    p.add_argument("path", help="directory or file to import")
    p.set_defaults(func=cmd_import_prices)
