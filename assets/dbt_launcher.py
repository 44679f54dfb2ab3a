"""`adrpulse-dbt`: dbt's own command line (`dbt.cli.main:cli`, what the `dbt` script runs, with the
same arguments, output and exit codes), with Python's garbage collector kept off dbt's manifest.

A dbt command builds hundreds of thousands of long-lived objects (the parsed project, the
manifest, the graph) and Python's collector traverses all of them again on each full pass and at
exit: 1.4 to 1.8 s of a `dbt build` of the bundled sample (10 full passes and ~2,000 young ones)
and 0.4 s of its exit. Here the young generation is collected less often while dbt parses, and
once dbt has printed "Found N models ..." (the project is parsed and its graph compiled) what is
alive is frozen: later passes leave it out, and so does the one at exit. dbt's objects are all
still freed with the process.

It also changes which ready node a free thread takes first. dbt scores a node by its depth in the
graph (shallowest first), so in a build the event study's long chain of models, each gated by
its parent's tests, waits behind shallow marts and tests that could run beside it later. Here a
node scores by the longest path of nodes still ahead of it (longest first), the classic list
schedule for a critical path: the same nodes, the same dependencies, only the order among ready
nodes differs. Measured in docs/BENCHMARKS.md; the pipeline, `adrpulse build` and the
benchmark's builds run dbt through this (assets/dbt_project.dbt_executable).

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
# set on dbt's job queue: how many of its nodes may run at once (dbt's threads)
RUNNING_AT_MOST = "_adrpulse_running_at_most"


def _freeze_once_parsed(event: Any) -> None:
    if event.info.name == PARSED_EVENT:
        gc.freeze()


def longest_path_scores(graph: Any) -> dict[str, int]:
    """Each node's place in the queue of ready nodes (lower goes first): minus the number of
    nodes on the longest path from it to the end of `graph` (a networkx DiGraph), itself
    included. A node with a long chain behind it starts before one with nothing behind it."""
    import networkx as nx

    ahead: dict[str, int] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        ahead[node] = 1 + max((ahead[child] for child in graph.successors(node)), default=0)
    return {node: -length for node, length in ahead.items()}


def schedule_longest_path_first() -> bool:
    """Make dbt start, whenever a thread is free, the ready node with the longest path ahead.

    Two of dbt's private hooks (dbt-core 1.11, pinned in pyproject): GraphQueue._get_scores
    orders the ready nodes, and GraphQueue.get now waits until fewer nodes than dbt has threads
    are running. dbt's own loop takes every ready node off the queue at once into its thread
    pool's first-in-first-out list, so without the wait the order would only break ties among
    nodes that became ready together. Should a dbt release drop a hook, dbt keeps its own order
    and False is returned.
    """
    from dbt.graph.queue import GraphQueue
    from dbt.task.runnable import GraphRunnableTask

    stock_get = getattr(GraphQueue, "get", None)
    stock_run_queue = getattr(GraphRunnableTask, "run_queue", None)
    if not all(callable(hook) for hook in (
        getattr(GraphQueue, "_get_scores", None), stock_get, stock_run_queue
    )):
        return False

    def _get_scores(self: Any, graph: Any) -> dict[str, int]:
        return longest_path_scores(graph)

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        running_at_most = getattr(self, RUNNING_AT_MOST, None)
        if running_at_most:
            # mark_done removes a finished node from in_progress and notifies, under this lock
            with self.lock:
                while len(self.in_progress) >= running_at_most:
                    self.some_task_done.wait()
        return stock_get(self, block, timeout)

    def run_queue(self: Any, pool: Any) -> None:
        if self.job_queue is not None:
            setattr(self.job_queue, RUNNING_AT_MOST, max(1, int(self.config.threads)))
        return stock_run_queue(self, pool)

    GraphQueue._get_scores = _get_scores  # type: ignore[method-assign]
    GraphQueue.get = get  # type: ignore[method-assign]
    GraphRunnableTask.run_queue = run_queue  # type: ignore[method-assign]
    return True


def main() -> None:
    from dbt.cli.main import cli

    schedule_longest_path_first()

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
