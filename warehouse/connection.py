"""Opening the warehouse file.

DuckDB lets one process write a file, and while it does no other process can open it at all, not
even read-only. ADR Pulse therefore has one writer (the pipeline, serialised by a Dagster
concurrency pool) and never lets SQL users open this file: they read the published marts
(warehouse/publish.py). When the file is busy anyway, we fail at once with a message that says who
holds it and what to do, instead of waiting and retrying.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.schema import create_raw_schema


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse file."""


def _busy_message(path: Path, exc: Exception) -> str:
    return (
        f"the warehouse {path} is in use by another process ({exc}). Only one pipeline step may "
        "write it at a time: wait for the running Dagster run to finish (see the UI's Runs page), "
        "or read the published marts instead (adrpulse sql)."
    )


@contextmanager
def warehouse_connection(
    path: Path, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse that is always closed, with the raw schema in place."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"the warehouse {path} does not exist yet: run `adrpulse demo` or `adrpulse run` first"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(_busy_message(path, exc)) from exc
        raise
    try:
        if not read_only:
            create_raw_schema(con)
        yield con
    finally:
        con.close()
