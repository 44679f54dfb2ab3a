"""Helpers of the pool-slot tests (tests/test_run_slots.py), also run as a script in a subprocess:

    python -m tests.support.pool_helpers hold
        create a STARTED run recorded as this process, claim the warehouse slot for it, print
        HOLDING <run id>, sleep
    python -m tests.support.pool_helpers run-tiny
        execute a one-asset job that takes the warehouse pool, in process, with the pool guard
        (GUARD=0: without)

Both use DAGSTER_HOME from the environment (a temporary folder in the tests).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import dagster as dg

POOL = "warehouse"
DAGSTER_YAML = "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"


@dg.asset(pool=POOL)
def tiny_pool_asset() -> int:
    return 1


tiny_job = dg.define_asset_job(
    "tiny_pool_job", selection=[tiny_pool_asset], executor_def=dg.in_process_executor
)
tiny_defs = dg.Definitions(assets=[tiny_pool_asset], jobs=[tiny_job])


def write_dagster_yaml(dagster_home: Path) -> None:
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)


def started_run(
    instance: dg.DagsterInstance, tags: dict[str, str] | None = None, run_id: str | None = None
) -> str:
    """A run record in status STARTED, as a run in progress has."""
    job = tiny_defs.resolve_job_def("tiny_pool_job")
    run = instance.create_run_for_job(
        job_def=job,
        run_id=run_id or str(uuid.uuid4()),
        status=dg.DagsterRunStatus.STARTED,
        tags=tags or {},
    )
    return run.run_id


def claim(instance: dg.DagsterInstance, run_id: str, step_key: str = "tiny_pool_asset") -> None:
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(POOL)
    status = storage.claim_concurrency_slot(POOL, run_id, step_key)
    assert status.is_claimed, status


def _hold() -> int:
    from orchestration.run_liveness import PROCESS_TAG, LocalProcesses

    with dg.DagsterInstance.get() as instance:
        run_id = str(uuid.uuid4())
        identity = LocalProcesses().identity()
        started_run(instance, {PROCESS_TAG: identity.to_tag(run_id)}, run_id)
        claim(instance, run_id)
        print(f"HOLDING {run_id}", flush=True)
    while True:
        time.sleep(1)


def _run_tiny() -> int:
    if os.environ.get("GUARD", "1") == "1":
        from orchestration import pool_guard

        assert pool_guard.install()
    with dg.DagsterInstance.get() as instance:
        print("RUNNING", flush=True)
        result = tiny_job_def().execute_in_process(instance=instance, raise_on_error=False)
        print(f"RESULT {result.run_id} {result.success}", flush=True)
    return 0 if result.success else 1


def tiny_job_def() -> dg.JobDefinition:
    return tiny_defs.resolve_job_def("tiny_pool_job")


if __name__ == "__main__":
    sys.exit({"hold": _hold, "run-tiny": _run_tiny}[sys.argv[1]]())
