"""What the numbers were measured on: cores, memory, versions."""

from __future__ import annotations

import os
import platform
from importlib import metadata

from assets.build_errors import machine_memory_bytes


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def memory_gb() -> float:
    return (machine_memory_bytes() or 0) / 1024**3


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
