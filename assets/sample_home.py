"""The one rule that keeps live data out of a home built from the synthetic sample.

`adrpulse demo` replays the bundled SYNTHETIC sample into ADRPULSE_HOME's warehouse; the sample's
price fetches are loaded with `synthetic = true` in raw.price_fetches. A home whose warehouse holds
such a fetch is a *sample home*: live prices or news fetched into it would be blended with invented
prices in the marts, without a trace. So every live fetch (prices and news, from the CLI, the UI or
a schedule) checks this rule before it asks the network for anything, and `adrpulse schedules
start` refuses such a home.

Pure (no Dagster): the raw assets, the CLI and the schedules command share it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from warehouse.connection import WarehouseBusyError, warehouse_connection

LIVE_DATA_REFUSED = "live prices and news are not mixed into it; nothing was fetched or stored"
SAMPLE_HOME_HINT = (
    "Keep live data in a folder of its own, e.g. `export ADRPULSE_HOME=~/adrpulse-live`, then "
    "run the command again there"
)


class SyntheticHomeError(RuntimeError):
    """A live fetch (or schedule) asked for on a home that holds the synthetic sample."""


def synthetic_fetch_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many price fetches of the warehouse came from the synthetic sample (0 if none, or if
    the raw tables do not exist yet)."""
    try:
        return int(
            con.execute("select count(*) from raw.price_fetches where synthetic").fetchall()[0][0]
        )
    except duckdb.CatalogException:
        return 0


def synthetic_home_message(home: Any, sample_fetches: int, refused: str) -> str:
    """The one wording of the refusal; `refused` says what was refused (a clause)."""
    return (
        f"ADRPULSE_HOME={home} holds the SYNTHETIC demo sample ({sample_fetches} sample price "
        f"fetches in its warehouse): {refused}. {SAMPLE_HOME_HINT}."
    )


def refuse_live_into_sample_home(
    con: duckdb.DuckDBPyConnection, home: Any, refused: str = LIVE_DATA_REFUSED
) -> None:
    """Raise SyntheticHomeError when the warehouse behind `con` holds the synthetic sample."""
    count = synthetic_fetch_count(con)
    if count:
        raise SyntheticHomeError(synthetic_home_message(home, count, refused))


def sample_fetches_in(warehouse: Path) -> int | None:
    """Synthetic sample fetches in the warehouse file, read-only: 0 when there is no warehouse
    yet, None when another process holds it (a run is writing; the run checks again itself)."""
    if not Path(warehouse).exists():
        return 0
    try:
        with warehouse_connection(Path(warehouse), read_only=True) as con:
            return synthetic_fetch_count(con)
    except WarehouseBusyError:
        return None
