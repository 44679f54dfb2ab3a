"""Publishing: after the marts build, expose them to SQL readers as Parquet plus a catalog."""


import dagster as dg

from assets.dbt_models import mart_asset_keys
from orchestration.resources import StateResource, WarehouseResource
from warehouse.publish import publish

PUBLISHED_MARTS = dg.AssetKey(["published", "marts"])


@dg.asset(
    key=PUBLISHED_MARTS,
    deps=mart_asset_keys(),
    group_name="publish",
    pool="warehouse",
    kinds={"parquet", "duckdb"},
    description=(
        "The marts and reference tables as Parquet files in a new build folder, with a read-only "
        "catalog (ADRPULSE_HOME/published/catalog.duckdb) swapped in atomically. SQL readers "
        "(adrpulse sql, the DuckDB CLI, BI tools) read this, never the warehouse file."
    ),
)
def published_marts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, state: StateResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        result = publish(con, state.published_dir)
    table = "\n".join(
        ["| table | rows |", "| --- | ---: |"]
        + [f"| {t.schema}.{t.name} | {t.rows:,} |" for t in result.tables]
    )
    context.log.info(f"published build {result.build_id}: {len(result.tables)} tables")
    return dg.MaterializeResult(
        metadata={
            "build_id": result.build_id,
            "catalog": dg.MetadataValue.path(str(result.catalog_path)),
            "tables": dg.MetadataValue.md(table),
            "dagster/row_count": sum(t.rows for t in result.tables),
        }
    )
