"""Inserting Python rows into DuckDB in a few statements instead of one per row.

DuckDB's `executemany` runs the statement once per row: about 4 ms a row here, so the 525 rows of
the sample's 21 valuation snapshots took 4.9 s, and a 20-year factor file would take over 20 s.
One `insert ... values (...), (...), ...` per chunk of rows binds the same parameters and took
0.28 s for those 525 rows (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

# Rows per statement: large enough that the per-statement cost vanishes, small enough that a
# statement's parameter list stays a few thousand values.
CHUNK_ROWS = 500


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    insert_head: str,
    rows: Sequence[Sequence[Any]],
    chunk_rows: int = CHUNK_ROWS,
) -> None:
    """Run `insert_head` (everything before VALUES, e.g. `insert into t (a, b)`) for `rows`, each
    row a sequence of the same length, in statements of at most `chunk_rows` rows. The caller
    owns the transaction; rows are inserted in the order given.

    Unlike `executemany`, rows in one statement are not applied one after another: with
    `insert or replace`, a key given twice in a chunk keeps the FIRST row. Callers that upsert
    pass rows with unique keys."""
    if not rows:
        return
    width = len(rows[0])
    if width == 0 or any(len(row) != width for row in rows):
        raise ValueError(f"insert_rows: every row must have the same {width} values")
    marks = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), chunk_rows):
        chunk = rows[start : start + chunk_rows]
        con.execute(
            f"{insert_head} values " + ", ".join([marks] * len(chunk)),
            [value for row in chunk for value in row],
        )
