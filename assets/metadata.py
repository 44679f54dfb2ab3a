"""Table metadata the Dagster UI shows on every warehouse asset: row count, column schema (with
each column's description and unit when dbt documents it), the latest session, and a markdown
preview of the first rows."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb

from warehouse.introspect import ColumnDoc, TableDescription, describe_table, markdown_preview

# The tag of a TableColumn that holds its unit (dbt_project/README.md, "Units of the mart columns").
UNIT_TAG = "unit"


def table_column(name: str, type_: str, doc: ColumnDoc | None = None) -> dg.TableColumn:
    """A column of the Dagster column schema: its description, and its unit as the tag `unit`."""
    if doc is None:
        return dg.TableColumn(name, type_)
    return dg.TableColumn(
        name,
        type_,
        description=doc.description,
        tags={UNIT_TAG: doc.unit} if doc.unit else None,
    )


def table_metadata(
    desc: TableDescription, column_docs: Mapping[str, ColumnDoc] | None = None
) -> dict[str, Any]:
    """`column_docs`: the table's documented columns by lower-case name (from dbt's manifest)."""
    docs = column_docs or {}
    metadata: dict[str, Any] = {
        "dagster/row_count": desc.rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[
                table_column(name, type_, docs.get(name.lower())) for name, type_ in desc.columns
            ]
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
