"""Profile one compiled dbt model on the bench warehouse:
`python -m orchestration.tools.benchmark.profile_model ROOT MODEL OUT.json`. The model's SQL runs
again (into a temp table) under DuckDB's JSON profiler; the slowest operators are written to
OUT.json. Runs as a child so the harness never holds the warehouse open while dbt needs it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.tools.benchmark.dbt_runner import compiled_sql
from orchestration.tools.benchmark.workdir import BenchPaths


@dataclass(frozen=True)
class OperatorTiming:
    operator: str
    seconds: float
    rows: int
    detail: str


def _walk(node: dict[str, Any]) -> list[OperatorTiming]:
    out = []
    name = node.get("name") or node.get("operator_name") or ""
    if name:
        extra = node.get("extra_info") or {}
        detail = "; ".join(
            f"{k}: {v}" for k, v in extra.items() if k not in ("Estimated Cardinality",)
        )
        out.append(
            OperatorTiming(
                operator=name.strip(),
                seconds=float(node.get("timing") or node.get("operator_timing") or 0.0),
                rows=int(node.get("intermediate_rows") or node.get("operator_cardinality") or 0),
                detail=detail[:160],
            )
        )
    for child in node.get("children", []):
        out.extend(_walk(child))
    return out


def profile_model(paths: BenchPaths, model: str, top: int = 8) -> dict[str, Any]:
    sql = compiled_sql(paths, model)
    if sql is None:
        return {"model": model, "error": "no compiled SQL"}
    profile_json = paths.root / f"profile_{model}.raw.json"
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile_json.as_posix()}'")
        con.execute(f"create temp table bench_profile as {sql}").fetchall()
    finally:
        con.close()
    tree = json.loads(profile_json.read_text())
    roots = tree.get("operator") or tree.get("children") or []
    roots = roots if isinstance(roots, list) else [roots]
    every = [op for root in roots for op in _walk(root)]
    operators = sorted(every, key=lambda o: o.seconds, reverse=True)
    return {
        "model": model,
        "operator_seconds": sum(o.seconds for o in every),
        "operators": [asdict(o) for o in operators[:top]],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(
            "usage: python -m orchestration.tools.benchmark.profile_model ROOT MODEL OUT.json",
            file=sys.stderr,
        )
        return 2
    result = profile_model(BenchPaths(Path(argv[1])), argv[2])
    Path(argv[3]).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
