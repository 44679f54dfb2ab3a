"""The bench's longest-chain report (orchestration/tools/benchmark/critical_path.py): which nodes
bounded a dbt build's wall time, read from run_results.json timings and the manifest's parents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from orchestration.tools.benchmark.critical_path import longest_chain, node_spans
from orchestration.tools.benchmark.report import chain_summary, chain_table

START = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def _stamp(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _result(unique_id: str, start: float, end: float) -> dict[str, Any]:
    return {
        "unique_id": unique_id,
        "timing": [
            {"name": "compile", "started_at": _stamp(start), "completed_at": _stamp(start)},
            {"name": "execute", "started_at": _stamp(start), "completed_at": _stamp(end)},
        ],
    }


# seed -> model.a -> (test.a_unique) -> model.b -> model.d; seed -> model.c (long) -> model.d;
# model.e waits for a's test; a skipped node has no execute timing.
RUN_RESULTS = {
    "results": [
        _result("seed.p.s", 0.0, 1.0),
        _result("model.p.a", 1.0, 2.0),
        _result("test.p.a_unique", 2.0, 2.5),
        _result("model.p.b", 2.6, 4.0),
        _result("model.p.c", 1.1, 5.0),
        _result("model.p.d", 5.2, 6.0),
        _result("model.p.e", 2.7, 3.0),
        {"unique_id": "model.p.skipped", "timing": []},
    ]
}
PARENTS = {
    "seed.p.s": [],
    "model.p.a": ["seed.p.s"],
    "test.p.a_unique": ["model.p.a"],
    "model.p.b": ["model.p.a"],
    "model.p.c": ["seed.p.s"],
    "model.p.d": ["model.p.b", "model.p.c"],
    "model.p.e": ["model.p.a"],
    "model.p.skipped": ["model.p.d"],
}


def _ids(chain: list) -> list[str]:
    return [node.unique_id for node in chain]


def test_the_chain_ends_at_the_last_node_and_follows_the_parent_that_finished_last() -> None:
    chain = longest_chain(RUN_RESULTS, PARENTS)
    # d waited for c (finished at 5.0), not for b (4.0); c for the seed
    assert _ids(chain) == ["seed.p.s", "model.p.c", "model.p.d"]
    assert [(n.started, n.finished) for n in chain] == [(0.0, 1.0), (1.1, 5.0), (5.2, 6.0)]


def test_a_model_waits_for_its_parents_data_tests_and_a_test_only_for_its_model() -> None:
    # without d and c, b is last: it waited for a's test, which waited for a
    results = {"results": [r for r in RUN_RESULTS["results"]
                           if r["unique_id"] not in ("model.p.c", "model.p.d")]}
    chain = longest_chain(results, PARENTS)
    assert _ids(chain) == ["seed.p.s", "model.p.a", "test.p.a_unique", "model.p.b"]


def test_a_node_that_did_not_run_is_left_out() -> None:
    assert "model.p.skipped" not in node_spans(RUN_RESULTS)
    assert longest_chain({"results": []}, PARENTS) == []


def test_the_report_gives_each_models_wait_and_the_tests_before_it() -> None:
    results = {"results": [r for r in RUN_RESULTS["results"]
                           if r["unique_id"] not in ("model.p.c", "model.p.d")]}
    chain = longest_chain(results, PARENTS)
    summary = chain_summary(chain)
    # 4.0 s from the seed's start to b's end: 1 + 1 + 0.5 + 1.4 = 3.9 s running, 0.1 s waiting
    assert summary == (
        "4 nodes (2 models) from 0.00 s to 4.00 s: 3.90 s running, 0.10 s waiting to be started"
    )
    table = chain_table(SimpleNamespace(update_chain=chain)).splitlines()
    assert table[0].split() == ["node", "start", "s", "end", "s", "s", "waited", "s", "tests",
                                "before", "s"]
    rows = [line.split() for line in table[2:]]
    # a right after the seed; b 0.1 s after a's 0.5 s test
    assert rows == [["seed", "s", "0.0", "1.0", "1.0", "0.0", "0.0"],
                    ["model", "a", "1.0", "2.0", "1.0", "0.0", "0.0"],
                    ["model", "b", "2.6", "4.0", "1.4", "0.1", "0.5"]]
