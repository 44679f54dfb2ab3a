"""Which runs built the marts, and whether past failed blocking checks (raw.marts_builds).

The build gate (assets/build_gate.py) records, per run, whether the stored data passed the
blocking checks and whether the run was forced past them; the dbt step records when it built the
models; the publish step copies the newest built row into the published catalog, so readers see
that the marts they query were built past failed checks, and which. Being a property of the marts
rather than of one publish, it stays true until the models are built again without force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class MartsBuild:
    run_id: str | None
    forced: bool = False
    failed_checks: list[str] = field(default_factory=list)


def record_gate(
    con: duckdb.DuckDBPyConnection, run_id: str, *, forced: bool, failed_checks: Sequence[str]
) -> None:
    """The gate's verdict for this run (replacing an earlier one of the same run, on a retry)."""
    con.execute("begin transaction")
    try:
        con.execute("delete from raw.marts_builds where run_id = ?", [run_id])
        con.execute(
            "insert into raw.marts_builds values (?, now(), ?, ?, null)",
            [run_id, forced, list(failed_checks)],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def record_marts_built(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The dbt models were built in this run (a run without the gate built them unforced)."""
    gated = con.execute(
        "select count(*) from raw.marts_builds where run_id = ?", [run_id]
    ).fetchall()[0][0]
    if gated:
        con.execute("update raw.marts_builds set built_at = now() where run_id = ?", [run_id])
    else:
        con.execute(
            "insert into raw.marts_builds values (?, null, false, [], now())", [run_id]
        )


def latest_marts_build(con: duckdb.DuckDBPyConnection) -> MartsBuild:
    """The run that last built the models (nothing recorded yet: an unforced build)."""
    rows = con.execute(
        "select run_id, forced, failed_checks from raw.marts_builds "
        "where built_at is not null order by built_at desc limit 1"
    ).fetchall()
    if not rows:
        return MartsBuild(None)
    run_id, forced, failed = rows[0]
    return MartsBuild(run_id, bool(forced), list(failed or []))
