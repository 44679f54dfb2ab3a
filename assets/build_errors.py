"""What to tell the user when a dbt build fails for want of memory, read from dbt's own results.

DuckDB spills most work to disk above its cap (ADRPULSE_DUCKDB_MEMORY_LIMIT), but not all of it:
at 5,000 tickers x 20 years a large mart can still end in "Out of Memory Error" under the default
3GB (docs/BENCHMARKS.md). dbt reports that as one failed node among many; this says which models
ran out, under which cap, and what to do next. No Dagster here: the dbt asset and the tests call it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

# DuckDB's message for memory it could not get under memory_limit (any operator, any version
# since 0.9): "Out of Memory Error: could not allocate block of size ..." or "failed to allocate".
OUT_OF_MEMORY_MARKER = "Out of Memory Error"
MEMORY_SETTING = "ADRPULSE_DUCKDB_MEMORY_LIMIT"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|B)?\s*$", re.IGNORECASE)
_UNIT_BYTES = {
    "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}


def out_of_memory_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """Names of the nodes of a dbt run_results.json that failed because DuckDB ran out of
    memory, in the order dbt ran them."""
    names = []
    for result in run_results.get("results") or []:
        message = result.get("message") or ""
        if result.get("status") in ("error", "fail") and OUT_OF_MEMORY_MARKER in message:
            # unique_id is resource_type.package.name, plus a hash for a data test
            parts = str(result.get("unique_id", "")).split(".")
            names.append(parts[2] if len(parts) > 2 else parts[-1])
    return names


def memory_limit_bytes(limit: str) -> int | None:
    """Bytes of a DuckDB memory_limit such as '3GB' or '2.5GiB' (DuckDB reads GB as 1000^3);
    None when the text is not a size."""
    match = _SIZE.match(limit or "")
    if not match:
        return None
    return int(float(match.group(1)) * _UNIT_BYTES[(match.group(2) or "b").lower()])


def suggested_memory_limit(limit: str, machine_bytes: int | None) -> str | None:
    """Twice the current cap in whole GB, kept within 80% of the machine's memory (DuckDB's own
    default cap); None when there is no room to raise it or the cap cannot be read."""
    current = memory_limit_bytes(limit)
    if current is None:
        return None
    suggested = -(-2 * current // 1000**3)  # whole GB, rounded up
    if machine_bytes:
        suggested = min(suggested, int(0.8 * machine_bytes) // 1000**3)
    return f"{suggested}GB" if suggested * 1000**3 > current else None


def machine_memory_bytes() -> int | None:
    """Physical memory of this machine, None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def out_of_memory_advice(
    nodes: list[str], limit: str, machine_bytes: int | None
) -> str:
    """The message of a build whose nodes ran out of memory: which, under which cap, what next."""
    machine = f" (this machine has {machine_bytes / 1024**3:.1f} GiB)" if machine_bytes else ""
    what = ", ".join(nodes)
    suggestion = suggested_memory_limit(limit, machine_bytes)
    if suggestion:
        raise_it = f"set {MEMORY_SETTING}={suggestion}"
    elif memory_limit_bytes(limit) is None:
        # DuckDB took a value we do not parse (a percentage, say): ask for a size instead
        raise_it = f"set {MEMORY_SETTING} to a larger size than now, such as 6GB"
    else:
        raise_it = (
            "the cap cannot be raised on this machine; run the build with fewer tickers or "
            f"years, or on a machine with more memory than {MEMORY_SETTING}={limit}"
        )
    return (
        f"dbt ran out of memory in {what} under DuckDB's cap {MEMORY_SETTING}={limit}{machine}. "
        f"Nothing stored was lost: the raw data and the tables built before are kept. Next: "
        f"{raise_it}, then run the build again (`adrpulse build`, or materialize the failed "
        "models in the UI). docs/BENCHMARKS.md gives the sizes that need a higher cap."
    )
