"""How long publishing a warehouse's marts takes (`warehouse.publish.publish`: every mart and
reference table exported to Parquet, then the catalog written), as the pipeline's
`published__marts` step runs it.

Each round publishes into a fresh scratch folder, so the home's own published builds are left as
they are; the warehouse is opened read-only (it fails at once, naming the file, while a pipeline
run holds it). By default the warehouse of ADRPULSE_HOME, e.g. one `adrpulse demo` built.

    .venv/bin/python -m orchestration.tools.benchmark.publish_cost [--warehouse FILE] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assets.settings import Settings
from warehouse.connection import WarehouseBusyError, warehouse_connection
from warehouse.publish import publish


@dataclass(frozen=True)
class PublishCost:
    tables: int
    columns: int
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure_publish(warehouse: Path, rounds: int) -> PublishCost:
    seconds: list[float] = []
    tables = columns = 0
    with (
        warehouse_connection(warehouse, read_only=True) as con,
        tempfile.TemporaryDirectory(prefix="adrpulse-publish-") as scratch,
    ):
        for round_ in range(1, rounds + 1):
            started = time.perf_counter()
            result = publish(con, Path(scratch) / f"round_{round_}")
            seconds.append(time.perf_counter() - started)
            tables, columns = len(result.tables), len(result.columns)
            print(f"  round {round_}/{rounds}: {seconds[-1]:.3f} s", flush=True)
    return PublishCost(tables, columns, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.tools.benchmark.publish_cost",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=None,
        help="the warehouse file (default: ADRPULSE_WAREHOUSE, the home's warehouse.duckdb)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="publishes (default 5)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: give 1 or more")
    warehouse = args.warehouse or Settings.from_env().warehouse_path
    try:
        cost = measure_publish(warehouse, args.rounds)
    except (FileNotFoundError, WarehouseBusyError) as error:
        # each names the file and the next step; a traceback would bury that
        print(f"publish_cost: {error}", file=sys.stderr)
        return 2
    print(
        f"\nPublishing {warehouse}: {cost.tables} tables, {cost.columns} columns "
        f"(median of {args.rounds} rounds, a fresh folder each)\n"
    )
    print(f"{'publish s, median':<17}  {'fastest':>7}  {'slowest':>7}")
    print(f"{'-' * 17}  {'-' * 7}  {'-' * 7}")
    print(f"{cost.median:>17.3f}  {min(cost.seconds):>7.3f}  {max(cost.seconds):>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
