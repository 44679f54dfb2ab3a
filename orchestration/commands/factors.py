"""`adrpulse import-factors`: a daily factor file in the Fama-French CSV layout.

The file is parsed, archived as given and loaded into raw.daily_factors here, without a Dagster
run (the file is the user's and small); the raw/daily_factors asset replays the archived imports
in every run that replays the archive (rebuild, demo, load_archive) and in live runs. `adrpulse
build` fits the factor model on them, and the event study's abnormal returns, CARs and tests use
it, when ADRPULSE_EXPECTED_RETURN_MODEL is ff3 or ff5.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assets.settings import Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_table


def cmd_import_factors(args: argparse.Namespace, settings: Settings) -> int:
    from assets.factors.fama_french import FactorFileError
    from assets.factors.imports import import_factor_file
    from warehouse.connection import WarehouseBusyError, warehouse_connection

    path = Path(args.path).expanduser()
    if not path.is_file():
        raise CliError(
            f"{path} is not a file: give the daily factor CSV (e.g. "
            "F-F_Research_Data_Factors_daily.CSV, unzipped); nothing was stored"
        )
    print(f"Reading {path} ...", flush=True)
    try:
        with warehouse_connection(settings.warehouse_path) as con:
            done = import_factor_file(con, settings.archive_dir, path)
            stored = con.execute(
                "select count(*), min(factor_date), max(factor_date) from raw.daily_factors"
            ).fetchone()
    except FactorFileError as exc:
        raise CliError(f"import rejected:\n{exc}") from exc
    except WarehouseBusyError as exc:
        raise CliError(f"{exc} Nothing was stored; import again once it is free.") from exc
    parsed, manifest = done.parsed, done.manifest
    archived = "already archived as" if done.reused else "archived as"
    print(f"{len(parsed.rows):,} daily rows read; {archived} {manifest.manifest_file}")
    loaded = "no (loaded before)" if done.load.skipped else f"{done.load.rows:,} days"
    assert stored is not None
    rows = [
        ("file", str(path)),
        ("factors", f"{parsed.model}: {', '.join(parsed.columns)}"),
        ("dates", f"{parsed.first_date} .. {parsed.last_date}"),
        ("loaded", loaded),
        ("raw.daily_factors", f"{stored[0]:,} days, {stored[1]} .. {stored[2]}"),
    ]
    print(format_table(["", "import"], rows, max_width=100))
    print(
        "Set ADRPULSE_EXPECTED_RETURN_MODEL=ff3 (or ff5) and run `adrpulse build` to fit the "
        "factor model and run the event study on its abnormal returns (the marts name the "
        "model in expected_return_model)."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-factors",
        help="import a daily factor file (Fama-French CSV layout)",
        description="Import daily risk factors from a file in the layout of Kenneth French's "
        "data library: a text preamble, the header ',Mkt-RF,SMB,HML,RF' (5 factors: "
        "',Mkt-RF,SMB,HML,RMW,CMA,RF'), one YYYYMMDD row per day with the factors in percent, "
        "and optionally an annual section and a copyright line after a blank line (not read). "
        "The whole file is checked first: a bad line is reported as file:line and nothing is "
        "stored. The file is archived as given (ADRPULSE_HOME/archive/factors/), so "
        "`adrpulse rebuild` replays it, and loaded into raw.daily_factors as fractions; a later "
        "import replaces the dates it holds, and importing the same file again changes nothing.",
        epilog="example: adrpulse import-factors ~/Downloads/F-F_Research_Data_Factors_daily.CSV",
    )
    p.add_argument("path", help="the daily factor CSV file")
    p.set_defaults(func=cmd_import_factors)
