"""Publishing: after the marts build, expose them to SQL readers as Parquet plus a catalog."""

from collections.abc import Sequence
from typing import Any

import dagster as dg
import duckdb

from assets.resources import StateResource, WarehouseResource
from warehouse.builds import latest_marts_build
from warehouse.publish import current_build, publish

PUBLISHED_MARTS = dg.AssetKey(["published", "marts"])

# The numbers a reader wants first, shown on the asset in the UI after every build.
LATEST_SPREAD_SQL = """
    select session_date, index_buy_hold_a, index_buy_hold_b, spread_buy_hold,
           relative_strength_buy_hold
    from marts.fct_sector_relative_performance
    where basket_a = 'china_adr' and basket_b = 'us_megacap' and spread_buy_hold is not null
    order by session_date desc
    limit 1
"""
LATEST_EVENT_SQL = """
    with latest as (
        select event_id, day_zero_date
        from marts.fct_event_car
        where event_origin = 'catalog' and is_included
        order by day_zero_date desc, event_id
        limit 1
    )
    select s.event_id, latest.day_zero_date, s.summary_group, s.pairs_included, s.caar,
           s.t_kolari_pynnonen, s.p_kolari_pynnonen
    from marts.fct_event_study_summary s
    join latest using (event_id)
    where s.window_label = '[-1,+1]' and s.pairs_included > 0
    order by s.summary_group
"""


def headline_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Latest China-ADR vs US-megacap spread and the latest catalogued event's CAAR."""
    metadata: dict[str, Any] = {}
    spread = con.execute(LATEST_SPREAD_SQL).fetchall()
    if spread:
        day, china, megacap, diff, strength = spread[0]
        metadata["latest_session"] = str(day)
        metadata["china_adr_index"] = round(float(china), 2)
        metadata["us_megacap_index"] = round(float(megacap), 2)
        metadata["china_minus_megacap_return"] = dg.MetadataValue.float(float(diff))
        metadata["china_vs_megacap_relative_strength"] = dg.MetadataValue.float(float(strength))
    rows = con.execute(LATEST_EVENT_SQL).fetchall()
    if rows:
        lines = [
            "| group | N | CAAR [-1,+1] | t (Kolari-Pynnonen) | p |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for _, _, group, n, caar, t_kp, p_kp in rows:
            fmt = lambda v: "" if v is None else f"{v:.4g}"  # noqa: E731
            lines.append(f"| {group} | {n} | {fmt(caar)} | {fmt(t_kp)} | {fmt(p_kp)} |")
        metadata["latest_event"] = f"{rows[0][0]} (day 0 {rows[0][1]})"
        metadata["latest_event_caar"] = dg.MetadataValue.md("\n".join(lines))
    return metadata


def build_published_marts(mart_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The publish asset, downstream of every mart of the dbt project."""

    @dg.asset(
        key=PUBLISHED_MARTS,
        deps=list(mart_keys),
        group_name="publish",
        pool="warehouse",
        kinds={"parquet", "duckdb"},
        description=(
            "The marts and reference tables as Parquet files in a new build folder, with a "
            "read-only catalog (ADRPULSE_HOME/published/catalog.duckdb) swapped in atomically; "
            "its published_build row says whether the marts were built past failed blocking "
            "checks (forced, failed_checks). "
            "SQL readers (adrpulse sql, the DuckDB CLI, BI tools) read this, never the "
            "warehouse file."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, state: StateResource
    ) -> dg.MaterializeResult:
        # Said before the export starts, so an operator (and the faults tier's kill points)
        # can tell a run that died while publishing; readers keep the previous build until the
        # catalog is swapped. Then a line per table exported, so the wait after dbt is not silent.
        context.log.info(f"publishing the marts as a new build under {state.published_dir}")
        with warehouse.connect() as con:
            # Built past failed blocking checks? Readers see it in the catalog and the report.
            built = latest_marts_build(con)
            result = publish(
                con,
                state.published_dir,
                forced=built.forced,
                failed_checks=built.failed_checks,
                progress=context.log.info,
            )
            headlines = headline_metadata(con)
        if result.forced:
            context.log.warning(
                f"build {result.build_id} is published as built past failed blocking checks: "
                + ", ".join(result.failed_checks)
            )
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
                "forced": result.forced,
                "failed_checks": dg.MetadataValue.json(list(result.failed_checks)),
                **headlines,
            }
        )

    return published_marts


def readers_see_metadata(published_dir: Any, run_id: str, step_key: str) -> dict[str, Any]:
    """What readers see after a failed run: the build still published, its time, and the run and
    step that failed (nothing of that run was published)."""
    try:
        build = current_build(published_dir)
    except FileNotFoundError:
        return {
            "readers_see": "nothing: no build has been published yet",
            "failed_run": run_id,
            "failed_step": step_key,
        }
    return {
        "readers_see": (
            f"build {build.build_id}, published {build.published_at:%Y-%m-%d %H:%M:%S %Z}: the "
            "last good build; nothing of the failed run was published"
        ),
        "readers_see_build_id": build.build_id,
        "readers_see_published_at": dg.MetadataValue.timestamp(build.published_at),
        "failed_run": run_id,
        "failed_step": step_key,
    }


@dg.failure_hook(required_resource_keys={"state"})
def readers_see_last_good_build(context: dg.HookContext) -> None:
    """After a step of a marts job fails, record on published/marts (an asset observation) which
    build SQL readers still see. The UI then shows the marts as failed (their last attempt) and,
    on published/marts, that readers are served the last good build, and since when."""
    metadata = readers_see_metadata(
        context.resources.state.published_dir, context.run_id, context.step_key
    )
    context.instance.report_runless_asset_event(
        dg.AssetObservation(
            asset_key=PUBLISHED_MARTS,
            description=f"run {context.run_id} failed at step {context.step_key}; readers see "
            f"{metadata['readers_see']}",
            metadata=metadata,
        )
    )
    context.log.warning(f"step {context.step_key} failed: readers see {metadata['readers_see']}")
