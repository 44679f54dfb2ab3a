"""What the numbers were measured on: cores, memory, versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def memory_gb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine_facts() -> dict[str, str]:
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{memory_gb():.1f} GB",
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "dagster": _version("dagster"),
        "pandas": _version("pandas"),
    }
