"""The longest chain of a dbt build: the nodes that bound its wall time.

`dbt build` starts a node once its parents have finished and passed their data tests, on one of
its threads. Walking back from the node that finished last, each step goes to the blocker that
finished last before the node started (a parent, or for a model or test a data test of a parent):
the chain that kept the build going. Nodes beside the chain ran on the other thread; making them
faster does not shorten the build unless they held a thread the chain was waiting for.

Read from a `run_results.json` (each node's compile start and execute end) and the manifest's
parent map; nothing here runs dbt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChainNode:
    unique_id: str
    # seconds from the start of the build's first node
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def node_spans(run_results: Mapping[str, Any]) -> dict[str, tuple[datetime, datetime]]:
    """When each node started (its compile) and finished (its execute), from run_results."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for result in run_results.get("results", []):
        timing = {t["name"]: t for t in result.get("timing") or []}
        execute = timing.get("execute")
        if not execute or not execute.get("completed_at"):
            continue  # skipped or failed before it ran
        start = (timing.get("compile") or execute)["started_at"]
        spans[result["unique_id"]] = (_when(start), _when(execute["completed_at"]))
    return spans


def _tests_of(parent_map: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    tests: dict[str, set[str]] = {}
    for node, parents in parent_map.items():
        if node.startswith("test."):
            for parent in parents:
                tests.setdefault(parent, set()).add(node)
    return tests


def longest_chain(
    run_results: Mapping[str, Any], parent_map: Mapping[str, Sequence[str]]
) -> list[ChainNode]:
    """The chain ending at the node that finished last, first node first."""
    spans = node_spans(run_results)
    if not spans:
        return []
    origin = min(start for start, _ in spans.values())
    tests = _tests_of(parent_map)

    def blockers(node: str) -> list[str]:
        started = spans[node][0]
        found = set()
        for parent in parent_map.get(node, ()):
            found.add(parent)
            if not node.startswith("test."):
                # a test waits for its model only; the model's children wait for its tests too
                found |= tests.get(parent, set())
        return [b for b in found if b in spans and b != node and spans[b][1] <= started]

    chain = []
    node: str | None = max(spans, key=lambda n: spans[n][1])
    while node is not None:
        start, end = spans[node]
        chain.append(
            ChainNode(node, (start - origin).total_seconds(), (end - origin).total_seconds())
        )
        before = blockers(node)
        node = max(before, key=lambda b: spans[b][1]) if before else None
    return list(reversed(chain))
