"""Raw daily factors: the factor files the user imported (`adrpulse import-factors`), replayed
from the home's archive. Dagster wiring around assets/factors/imports.py.

The import command loads a file itself; this asset loads archived imports the warehouse does not
hold yet (a load run) or, in a rebuild, replays all of them into fresh tables. Imports always live
in the home's archive (ADRPULSE_HOME/archive/factors), whatever archive the run replays: the demo
sample has none, and a rebuild of a demo home keeps the user's factors.

No `from __future__ import annotations` here: Dagster reads the resource annotations of the
asset function at runtime.
"""

import dagster as dg

from assets.archive_errors import ARCHIVE_ERRORS, BAD_FILES_KEY, archive_failure, bad_files_metadata
from assets.factors.imports import replay_factor_imports
from assets.metadata import asset_table_metadata
from assets.resources import StateResource, WarehouseResource
from assets.source_mode import run_source, tags_of

DAILY_FACTORS = dg.AssetKey(["raw", "daily_factors"])


@dg.asset(
    key=DAILY_FACTORS,
    description=(
        "One row per date: the daily risk factors (Mkt-RF, SMB, HML, RMW and CMA when given, RF) "
        "as fractions, from the factor files imported with `adrpulse import-factors` (the "
        "Fama-French CSV layout), archived as given. Empty until a file is imported."
    ),
    kinds={"duckdb"},
    group_name="raw",
    pool="warehouse",
)
def raw_daily_factors(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, state: StateResource
) -> dg.MaterializeResult:
    source = run_source(tags_of(context), state.archive_dir)
    with warehouse.connect() as con:
        try:
            replay = replay_factor_imports(
                con, state.archive_dir, context.log,
                rebuild=source.rebuild, skip_bad=source.skip_bad,
            )
        except ARCHIVE_ERRORS as exc:
            raise archive_failure(exc) from exc
        rows, first, last = con.execute(
            "select count(*), min(factor_date)::varchar, max(factor_date)::varchar "
            "from raw.daily_factors"
        ).fetchall()[0]
        table = asset_table_metadata(con, DAILY_FACTORS)
    metadata = {
        **table,
        "dagster/row_count": int(rows),
        "first_date": first or "",
        "last_date": last or "",
        "imports_loaded": len(replay.loaded),
        "imports_retracted": dg.MetadataValue.json(replay.retracted),
    }
    if replay.skipped:
        metadata[BAD_FILES_KEY] = bad_files_metadata(replay.skipped)
    return dg.MaterializeResult(metadata=metadata)
