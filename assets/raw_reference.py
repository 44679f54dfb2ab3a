"""Raw reference tables: the universe, event catalog, feed list and alias table the settings name,
validated and loaded into raw.universe, raw.event_catalog, raw.news_feeds and raw.news_aliases.

Dagster wiring around assets/reference.py. Every job that builds the marts selects this asset, so
a dbt build reads the files the user points to (ADRPULSE_UNIVERSE, ADRPULSE_EVENTS,
ADRPULSE_FEEDS, ADRPULSE_ALIASES, or edits of the default CSVs). A file that does not validate
fails the step with its file and line; the dbt models then do not run, and the marts keep what
they had.
"""

import hashlib
from pathlib import Path

import dagster as dg

from assets.metadata import asset_table_metadata
from assets.reference import SETTING_OF, ReferenceFileError, ReferenceFiles, load_reference_files
from assets.resources import StateResource, WarehouseResource
from assets.sources import reference_files

REFERENCE_KEYS = {
    "universe": dg.AssetKey(["raw", "universe"]),
    "event_catalog": dg.AssetKey(["raw", "event_catalog"]),
    "news_feeds": dg.AssetKey(["raw", "news_feeds"]),
    "news_aliases": dg.AssetKey(["raw", "news_aliases"]),
}
_DESCRIPTIONS = {
    "universe": "The universe file (ADRPULSE_UNIVERSE): one row per ticker with its group.",
    "event_catalog": "The event catalog (ADRPULSE_EVENTS): one row per catalogued event.",
    "news_feeds": "The feed list (ADRPULSE_FEEDS): one row per RSS/Atom feed.",
    "news_aliases": "The alias table (ADRPULSE_ALIASES): one row per alias and tag.",
}


def reference_files_of(state: StateResource) -> ReferenceFiles:
    return ReferenceFiles(
        universe=Path(state.universe_path),
        event_catalog=Path(state.event_catalog_path),
        news_feeds=Path(state.feeds_path),
        news_aliases=Path(state.aliases_path),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[reference_files],
            description=(
                f"{_DESCRIPTIONS[table]} Validated and reloaded whole in every run that builds "
                "the marts; dbt reads it as a source."
            ),
            kinds={"duckdb", "csv"},
        )
        for table, key in REFERENCE_KEYS.items()
    ],
    name="raw_reference_files",
    group_name="raw",
    pool="warehouse",
)
def raw_reference_files(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, state: StateResource
):
    """Validate the four reference files and replace the raw reference tables with them."""
    files = reference_files_of(state)
    try:
        with warehouse.connect() as con:
            counts = load_reference_files(con, files, context.log)
            tables = {t: asset_table_metadata(con, key) for t, key in REFERENCE_KEYS.items()}
    except ReferenceFileError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    for table, key in REFERENCE_KEYS.items():
        path = files.named()[table]
        context.log.info(f"raw.{table}: {counts[table]} rows from {path}")
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                **tables[table],
                "dagster/row_count": counts[table],
                "file": dg.MetadataValue.path(str(path)),
                "setting": SETTING_OF[table],
                "sha256": _sha256(path),
            },
        )
