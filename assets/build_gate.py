"""The build gate of build_marts: the blocking checks re-run over the stored data before dbt.

`build_gate` is a blocking asset check on raw/daily_bars and on raw/news_items. build_marts
selects it but not the raw assets, and Dagster makes every step downstream of an asset wait for
that asset's blocking checks in the same run, so a failed gate (ERROR) leaves the dbt models and
the publish step unexecuted: the published marts stay as they were. This holds however the job is
launched: `adrpulse build`, the UI's launchpad, a schedule.

Its run config `force: true` (`adrpulse build --force`) lets the build through: the failures are
then reported with WARN severity (not blocking), and the run is recorded in raw.marts_builds as
forced with the failed checks' names, which the published catalog and the report show.
The algorithm lives in assets/gate.py.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from assets.gate import DAILY_BARS as DAILY_BARS_NAME
from assets.gate import NEWS_ITEMS as NEWS_ITEMS_NAME
from assets.gate import GateResult, check_stored_data
from assets.raw_news import NEWS_ITEMS
from assets.raw_prices import DAILY_BARS
from assets.resources import StateResource, WarehouseResource
from assets.universe import universe_tickers
from warehouse.builds import record_gate

GATE_CHECK = "build_gate"
_GATED = ((DAILY_BARS, DAILY_BARS_NAME), (NEWS_ITEMS, NEWS_ITEMS_NAME))

GATE_SPECS = [
    dg.AssetCheckSpec(
        GATE_CHECK,
        asset=key,
        blocking=True,
        description=(
            f"Run by build_marts before dbt: every blocking check of {name}, again, over what is "
            "stored. ERROR (nothing is built or published) when one fails, unless the run config "
            "sets force: true (adrpulse build --force): then WARN, and the published build "
            "records the failed checks."
        ),
    )
    for key, name in _GATED
]


class BuildGateConfig(dg.Config):
    """Run configuration of the gate, editable in the UI's launchpad."""

    force: bool = False
    """Build and publish even though a blocking check of the stored data fails. The published
    build records the failed checks (adrpulse sql --list, the report's banner)."""


def _result(
    key: dg.AssetKey, name: str, gate: GateResult, force: bool
) -> dg.AssetCheckResult:
    failures = gate.failed_on(name)
    metadata: dict[str, Any] = {
        "expected_session": gate.as_of.isoformat(),
        "checks_passed": dg.MetadataValue.json([p for p in gate.passed if p.startswith(name)]),
        "failed_checks": dg.MetadataValue.json([f.check for f in failures]),
        "forced": force and bool(failures),
    }
    for failure in failures:
        metadata[f"{failure.check}_message"] = failure.message
        if failure.rows:
            metadata[f"{failure.check}_offending_rows"] = dg.MetadataValue.json(failure.rows)
    if failures and name == DAILY_BARS_NAME and gate.fetches:
        metadata["fetches_that_stored_them"] = dg.MetadataValue.json(gate.fetches)
    if failures:
        metadata["next_step"] = gate.next_steps(name, forced=force)
        listed = "; ".join(f"{f.check}: {f.message}" for f in failures)
        if force:
            description = f"FORCED past failed blocking checks of the stored data ({listed})"
        else:
            description = (
                f"blocking checks fail on the stored data ({listed}); nothing was built or "
                "published, the published marts are unchanged"
            )
    else:
        description = f"every blocking check of {name} passes on the stored data"
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=GATE_CHECK,
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN if force else dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=metadata,
    )


@dg.multi_asset_check(
    specs=GATE_SPECS,
    name=GATE_CHECK,
    description=(
        "The blocking price and news checks, re-run over the stored data before the marts are "
        "built (assets/gate.py); run config force: true builds past them."
    ),
    pool="warehouse",
)
def build_gate(
    context: dg.AssetCheckExecutionContext,
    config: BuildGateConfig,
    warehouse: WarehouseResource,
    state: StateResource,
):
    try:
        universe = universe_tickers(Path(state.universe_path))
    except (OSError, ValueError) as exc:
        raise dg.Failure(
            description=f"{exc}; fix the file and run again", allow_retries=False
        ) from exc
    with warehouse.connect() as con:
        gate = check_stored_data(con, universe)
        failed = [f.qualified for f in gate.failed]
        record_gate(con, context.run.run_id, forced=config.force and bool(failed),
                    failed_checks=failed)
    if failed and config.force:
        context.log.warning(f"building past failed blocking checks (force): {', '.join(failed)}")
    elif failed:
        context.log.error(f"blocking checks fail on the stored data: {', '.join(failed)}")
    for key, name in _GATED:
        yield _result(key, name, gate, config.force)


GATE_CHECKS = [build_gate]
