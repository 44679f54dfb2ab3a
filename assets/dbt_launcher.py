"""`adrpulse-dbt`: dbt's own command line (`dbt.cli.main:cli`, what the `dbt` script runs, with the
same arguments, output and exit codes), with Python's garbage collector kept off dbt's manifest.

A dbt command builds hundreds of thousands of long-lived objects (the parsed project, the
manifest, the graph) and Python's collector traverses all of them again on each full pass and at
exit: 1.4 to 1.8 s of a `dbt build` of the bundled sample (10 full passes and ~2,000 young ones)
and 0.4 s of its exit. Here the young generation is collected less often while dbt parses, and
once dbt has printed "Found N models ..." (the project is parsed and its graph compiled) what is
alive is frozen: later passes leave it out, and so does the one at exit. dbt's objects are all
still freed with the process. Measured in docs/BENCHMARKS.md; the pipeline, `adrpulse build`
and the benchmark's builds run dbt through this (assets/dbt_project.dbt_executable).

Imports only dbt: no Dagster, and importing it starts nothing.
"""

from __future__ import annotations

import gc
from typing import Any

# Python's default is 700 allocations between young collections; dbt's parse allocates millions
# of objects that live to the end, so most of those collections find nothing to free.
YOUNG_COLLECTION_THRESHOLD = 20_000
# dbt's event once the project is parsed and its graph compiled, before any node runs
PARSED_EVENT = "FoundStats"


def _freeze_once_parsed(event: Any) -> None:
    if event.info.name == PARSED_EVENT:
        gc.freeze()


def main() -> None:
    from dbt.cli.main import cli

    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)
    try:
        # What the `dbt` script runs, plus a callback on dbt's events (dbtRunner passes its
        # callbacks the same way). In click's standalone mode this exits with dbt's code.
        cli.main(prog_name="dbt", obj={"callbacks": [_freeze_once_parsed]})
    finally:
        gc.freeze()


if __name__ == "__main__":
    main()
