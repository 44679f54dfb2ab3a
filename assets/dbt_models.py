"""The dbt project as Dagster assets: each model downstream of the raw asset it reads.

dbt sources carry `meta.dagster.asset_key` (models/staging/<source>/_<source>__sources.yml), so
lineage runs from the Python raw assets through staging and intermediate models to the marts. dbt
data tests become asset checks; ERROR-severity tests fail the run, WARN ones only report.

Every column's description and unit (`config.meta.unit`, required on every mart column) reach the
Dagster column schema: in the asset definitions (the translator) and in each materialization's
metadata, where the schema is read from the built table.
"""

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from assets.build_errors import machine_memory_bytes, out_of_memory_advice, out_of_memory_nodes
from assets.dbt_project import PIPELINE_BUILD_EXCLUDES, AdrPulseDbtCliResource
from assets.mart_headlines import MART_HEADLINES
from assets.metadata import table_column, table_metadata
from assets.resources import WarehouseResource
from assets.source_mode import REBUILD_TAG, tags_of
from warehouse.builds import record_marts_built
from warehouse.introspect import (
    ColumnDoc,
    ColumnDocs,
    TableDescription,
    column_docs_from_manifest,
    describe_table,
    node_column_docs,
)

# Folder under models/ -> Dagster group. The reference group holds the sessions seed and the
# published copies of the reference files (models/reference).
_GROUPS = {
    "reference": "reference",
    "staging": "staging",
    "intermediate": "intermediate",
    "marts": "marts",
}


class AdrPulseTranslator(DagsterDbtTranslator):
    """Keys are [schema, name] (e.g. marts/fct_event_car); groups follow the model folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get(
                "schema", "main"
            )
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        for part in fqn[1:-1]:
            if part in _GROUPS:
                return _GROUPS[part]
        return super().get_group_name(dbt_resource_props)

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata, with each column's unit added to the column schema."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        schema = metadata.get("dagster/column_schema")
        if isinstance(schema, dg.TableSchema):
            docs = node_column_docs(dbt_resource_props)
            metadata["dagster/column_schema"] = dg.TableSchema(
                columns=[
                    _with_doc(column, docs.get(column.name.lower())) for column in schema.columns
                ]
            )
        return metadata


def _with_doc(column: dg.TableColumn, doc: ColumnDoc | None) -> dg.TableColumn:
    documented = table_column(column.name, column.type, doc)
    return dg.TableColumn(
        column.name,
        column.type,
        description=documented.description or column.description,
        constraints=column.constraints,
        tags={**column.tags, **documented.tags},
    )


TRANSLATOR = AdrPulseTranslator()


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt step, editable in the UI's launchpad."""

    full_refresh: bool = False
    """Rebuild incremental models from scratch. The rebuild and demo jobs set it: they replace the
    raw tables, and incremental models only pick up fetches newer than the ones they have seen."""


# The op (and the run's step) of the dbt build: jobs configure it by this name, and the bench
# finds its step in a run's log by it.
DBT_ASSETS_NAME = "adrpulse_dbt_models"


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The dbt models, seeds and tests as assets and checks, from the project's manifest.

    Built by a function, not at import: the manifest is prepared first (assets/dbt_project.py).
    """
    manifest = Path(project.manifest_path)
    if not manifest.exists():
        raise FileNotFoundError(
            f"the dbt manifest {manifest} does not exist yet: run `make setup` (or any adrpulse "
            "command), which runs `dbt parse`"
        )
    column_docs = column_docs_from_manifest(json.loads(manifest.read_text(encoding="utf-8")))

    @dbt_assets(
        manifest=manifest,
        project=project,
        name=DBT_ASSETS_NAME,
        dagster_dbt_translator=TRANSLATOR,
        pool="warehouse",
    )
    def adrpulse_dbt_models(
        context: dg.AssetExecutionContext,
        config: DbtBuildConfig,
        dbt: AdrPulseDbtCliResource,
        warehouse: WarehouseResource,
    ):
        """`dbt build` of the selected models: seeds, models, unit tests and data tests in DAG
        order."""
        yield from run_dbt_build(context, config, dbt, warehouse, column_docs)

    return adrpulse_dbt_models


def run_dbt_build(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: AdrPulseDbtCliResource,
    warehouse: WarehouseResource,
    column_docs: ColumnDocs | None = None,
) -> Iterator[Any]:
    # dagster-dbt's fetch_row_counts() queries the warehouse while the dbt process still holds
    # DuckDB's single-writer lock, so we buffer dbt's events, describe each built table once dbt
    # has exited, and only then hand the events (with that metadata) to Dagster.
    full_refresh = config.full_refresh or tags_of(context).get(REBUILD_TAG) == "true"
    args = ["build", "--full-refresh"] if full_refresh else ["build"]
    args += PIPELINE_BUILD_EXCLUDES  # unit tests run in `make test`, not in production
    if not sys.stdout.isatty():
        # dbt's log lines reach the terminal through this process: no colour codes in a file or
        # a pipe (dbt itself only sees its own pipe, so it cannot tell).
        args.append("--no-use-colors")
    invocation = dbt.cli(
        dbt.with_vars(args),
        context=context,
        raise_on_error=False,
        target_path=dbt.run_target_path(context.run_id),
    )
    events = list(invocation.stream())
    described: dict[str, TableDescription] = {}
    outputs = [e for e in events if isinstance(e, dg.Output)]
    # What follows dbt's last line takes a while on a small machine (each result is a few writes
    # to the run storage): say what it is, and how far it got.
    context.log.info(
        f"dbt exited: describing the {len(outputs)} tables and views it built, then recording "
        f"{len(events)} results (materializations, checks) in the run's event log"
    )
    with warehouse.connect() as con:
        # Whether this run built past failed blocking checks (the gate's record, if it ran)
        # follows the marts to the published catalog (warehouse/builds.py).
        record_marts_built(con, context.run.run_id)
        headlines: dict[str, dict[str, Any]] = {}
        for event in outputs:
            key = context.asset_key_for_output(event.output_name)
            desc = describe_table(con, key.path[0], key.path[-1])
            if desc is not None:
                described[event.output_name] = desc
                if key in MART_HEADLINES:
                    headlines[event.output_name] = MART_HEADLINES[key](con)
    every = max(len(events) // 4, 1)
    for i, event in enumerate(events, start=1):
        if isinstance(event, dg.Output) and event.output_name in described:
            desc = described[event.output_name]
            docs = (column_docs or {}).get((desc.schema, desc.name))
            yield event.with_metadata(
                {
                    **event.metadata,
                    **table_metadata(desc, docs),
                    **headlines.get(event.output_name, {}),
                }
            )
        else:
            yield event
        if i % every == 0 and i < len(events):
            context.log.info(f"recorded {i} of {len(events)} dbt results")
    if not invocation.is_successful():
        error = invocation.get_error()
        advice = _out_of_memory_advice(invocation, dbt)
        if advice:
            raise dg.Failure(description=f"{advice}\n\n{error or 'dbt build failed'}") from error
        raise error or dg.Failure("dbt build failed; see the run log")


def _out_of_memory_advice(invocation: Any, dbt: AdrPulseDbtCliResource) -> str | None:
    """The next step for a build that failed because DuckDB ran out of memory, else None."""
    try:
        run_results = invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        return None  # dbt failed before writing its results; its own error says why
    nodes = out_of_memory_nodes(run_results)
    if not nodes:
        return None
    limit = str(dbt.dbt_vars().get("adrpulse_duckdb_memory_limit", ""))
    return out_of_memory_advice(nodes, limit, machine_memory_bytes())


def mart_asset_keys(dbt_models: dg.AssetsDefinition) -> list[dg.AssetKey]:
    return sorted(
        (k for k in dbt_models.keys if k.path[0] == "marts"),
        key=lambda k: k.to_user_string(),
    )
