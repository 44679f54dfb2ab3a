"""How long Dagster takes to record a dbt-sized run in its SQLite instance, with Dagster's own
event log storage and with ADR Pulse's (orchestration/dagster_storage.py).

The run is one in-process multi-asset step shaped like `adrpulse_dbt_models` on the sample: as
many materializations and check results as the dbt build yields (68 and 154 by default), each
recorded with its planned event at run creation. Each storage gets a fresh DAGSTER_HOME; the
rounds alternate so that a slower minute of a busy machine falls on both.

    .venv/bin/python -m orchestration.tools.benchmark.event_log [--assets 68] [--checks 154]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import yaml

from orchestration.prepare import sqlite_dagster_yaml

DAGSTER_OWN = "Dagster's SqliteEventLogStorage"
ADRPULSE = "AdrPulseSqliteEventLogStorage"
# Dagster's console logger would print every event; the figures are the output.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def dbt_shaped_asset(assets: int, checks: int) -> dg.AssetsDefinition:
    """One step that materializes `assets` assets and reports `checks` checks on them."""
    specs = [dg.AssetSpec(f"model_{i}") for i in range(assets)]
    check_specs = [
        dg.AssetCheckSpec(f"test_{j}", asset=f"model_{j % assets}") for j in range(checks)
    ]

    @dg.multi_asset(specs=specs, check_specs=check_specs, name="dbt_shaped")
    def dbt_shaped() -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        for i in range(assets):
            yield dg.MaterializeResult(asset_key=f"model_{i}", metadata={"rows": i})
        for j in range(checks):
            yield dg.AssetCheckResult(
                asset_key=f"model_{j % assets}", check_name=f"test_{j}", passed=True
            )

    return dbt_shaped


def instance_in(home: Path, ours: bool) -> dg.DagsterInstance:
    """An instance with the dagster.yaml ADR Pulse writes, or the same without its event log
    storage (Dagster's own then stores the events, in the same folder)."""
    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(sqlite_dagster_yaml(home))
    if not ours:
        del config["event_log_storage"]
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return dg.DagsterInstance.from_config(str(home))


def record_once(home: Path, ours: bool, asset: dg.AssetsDefinition) -> tuple[float, int]:
    """Seconds for one run, and the events its log holds."""
    with instance_in(home, ours) as instance:
        storage = type(instance.event_log_storage).__name__
        if storage != (ADRPULSE if ours else "SqliteEventLogStorage"):
            raise RuntimeError(f"the instance in {home} stores events with {storage}")
        started = time.perf_counter()
        result = dg.materialize([asset], instance=instance, run_config=QUIET)
        seconds = time.perf_counter() - started
        assert result.success
        return seconds, len(instance.all_logs(result.run_id))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.tools.benchmark.event_log",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--assets", type=int, default=68, help="materializations (default 68)")
    parser.add_argument("--checks", type=int, default=154, help="check results (default 154)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each storage (default 3)")
    args = parser.parse_args(argv)
    asset = dbt_shaped_asset(args.assets, args.checks)
    times: dict[str, list[float]] = {DAGSTER_OWN: [], ADRPULSE: []}
    events: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="adrpulse-eventlog-") as tmp:
        for round_ in range(args.rounds):
            for name, ours in ((DAGSTER_OWN, False), (ADRPULSE, True)):
                home = Path(tmp) / f"{'ours' if ours else 'dagster'}-{round_}"
                seconds, count = record_once(home, ours, asset)
                times[name].append(seconds)
                events[name] = count
                print(f"  round {round_ + 1}/{args.rounds}, {name}: {seconds:.2f} s", flush=True)
    print(
        f"\nOne run of {args.assets} materializations and {args.checks} check results "
        f"(median of {args.rounds} runs, fresh instance each):\n"
    )
    width = max(len(n) for n in times)
    print(f"{'event log storage':<{width}}  {'events':>6}  {'run s':>6}  {'ms/event':>8}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 6}  {'-' * 8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<{width}}  {events[name]:>6}  {median:>6.2f}  "
            f"{1000 * median / events[name]:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
