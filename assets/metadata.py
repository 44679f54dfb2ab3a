"""Table metadata the Dagster UI shows on every warehouse asset: row count, column schema, the
latest session, and a markdown preview of the first rows."""

from typing import Any

import dagster as dg
import duckdb

from warehouse.introspect import TableDescription, describe_table, markdown_preview


def table_metadata(desc: TableDescription) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "dagster/row_count": desc.rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, type_) for name, type_ in desc.columns]
        ),
        "preview": dg.MetadataValue.md(markdown_preview(desc)),
    }
    if desc.latest_date is not None:
        metadata["last_session_loaded"] = desc.latest_date
    return metadata


def asset_table_metadata(con: duckdb.DuckDBPyConnection, key: dg.AssetKey) -> dict[str, Any]:
    """Metadata of the table an asset key names ([schema, table]); empty if it does not exist."""
    desc = describe_table(con, key.path[0], key.path[-1])
    return table_metadata(desc) if desc is not None else {}
