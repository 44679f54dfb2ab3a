"""A guard on the in-process executor's wait for a pool slot (Dagster 1.13).

Why the wait spun at 100% CPU and ignored SIGINT, SIGTERM and `timeout` (issue 21):

- The in-process executor's loop (dagster/_core/execution/plan/execute_plan.py,
  inner_plan_execution_iterator) asks for the next step; a step whose pool has no free slot is
  skipped (InstanceConcurrencyContext.claim returns False) and the loop calls
  ActiveExecution.sleep_til_ready(), which sleeps sleep_interval() seconds only if that is > 0.
  For a pending claim, sleep_interval() is InstanceConcurrencyContext.
  interval_to_next_pending_claim_check(), which returns `min([0, *(ready_at - now)])`: never more
  than 0. So the loop never sleeps; between two database checks (1 s, growing to 15 s) it calls
  claim() as fast as Python goes. (dagster-io/dagster PR #20367 described the same zero sleep.)
- Execution runs inside dagster._utils.interrupts.capture_interrupts(), which replaces the
  SIGINT handler with one that only sets a flag, and points SIGTERM at it too. The flag is raised
  as an error only inside a step's compute (raise_execution_interrupts) or where the multiprocess
  and step-delegating executors poll it; the in-process loop never does. A run waiting for a slot
  thus ignores Ctrl-C, SIGTERM and `timeout` (SIGTERM); only SIGKILL stops it.

The guard is a subclass of InstanceConcurrencyContext put in place of the name that
dagster._core.executor.in_process uses. It (1) sleeps until the next database check, at most
MAX_SLEEP_SECONDS at a time, (2) ends the wait when an interrupt has been captured, (3) every few
seconds frees the slots of runs that are no longer alive (orchestration/run_slots.py), says which
run holds the pool, and (4) gives up after the wait timeout. Giving up raises inside the
executor: Dagster marks the run failed, and the concurrency context frees the run's pending
claims on the way out.

`install()` is called by the code location (so runs launched from the UI or by the daemon get it)
and by the CLI's run_job; it does nothing if Dagster's internals are not the ones above.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MAX_SLEEP_SECONDS = 0.5
LOOK_SECONDS = 5.0  # how often a waiting run looks for dead holders and reports the holder
REMIND_SECONDS = 60.0

Printer = Callable[[str], None]


class PoolWaitTimeout(Exception):
    """A run waited longer than the wait timeout for a pool slot."""


@dataclass
class WaitOptions:
    timeout: float  # seconds; 0 waits without limit
    out: Printer | None
    abort_message: str = ""


_options: contextvars.ContextVar[WaitOptions | None] = contextvars.ContextVar(
    "adrpulse_pool_wait_options", default=None
)


@contextmanager
def wait_options(timeout: float, out: Printer | None) -> Iterator[WaitOptions]:
    """Options of the runs executed in this context (the CLI's --wait-timeout)."""
    options = WaitOptions(timeout, out)
    token = _options.set(options)
    try:
        yield options
    finally:
        _options.reset(token)


def _current_options() -> WaitOptions:
    options = _options.get()
    if options is None:  # a run worker launched by the UI or the daemon: stderr is in its logs
        from orchestration.run_slots import print_stderr, wait_timeout_seconds

        options = WaitOptions(wait_timeout_seconds(), print_stderr)
    return options


def _guard_class() -> type:
    from dagster._core.errors import DagsterExecutionInterruptedError
    from dagster._core.execution.plan.instance_concurrency_context import (
        InstanceConcurrencyContext,
    )
    from dagster._utils.interrupts import check_captured_interrupt

    class GuardedConcurrencyContext(InstanceConcurrencyContext):
        adrpulse_guard = True

        def __init__(self, instance: Any, dagster_run: Any) -> None:
            super().__init__(instance, dagster_run)
            self._adrpulse_run = dagster_run
            self._adrpulse_options = _current_options()
            self._waiting_since: dict[str, float] = {}
            self._next_look = 0.0
            self._announced = ""
            self._announced_at = 0.0

        def interval_to_next_pending_claim_check(self) -> float:
            # Dagster's own returns min([0, ...]) <= 0, so its loop never sleeps.
            if not self._pending_claims:
                return 0.0
            now = time.time()
            waits = [
                self._pending_timeouts[key] - now
                for key in self._pending_claims
                if key in self._pending_timeouts
            ]
            return max(0.0, min(min(waits, default=0.0), MAX_SLEEP_SECONDS))

        def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
            if super().claim(concurrency_key, step_key, step_priority):
                if self._waiting_since.pop(concurrency_key, None) is not None:
                    self._say(f"Pool slots: got the {concurrency_key} slot for step {step_key}.")
                return True
            self._blocked(concurrency_key, step_key)
            return False

        def _say(self, line: str) -> None:
            options = self._adrpulse_options
            if options.out is not None:
                options.out(line)
            with contextlib.suppress(Exception):  # a message must not break the wait
                self._instance.report_engine_event(line, self._adrpulse_run)

        def _holders(self, pool: str) -> str:
            from orchestration.run_slots import blocked_pools, free_dead_slots

            free_dead_slots(
                self._instance, [pool], exclude_run_ids=[self._run_id], out=self._say
            )
            blocked = blocked_pools(self._instance, [pool], exclude_run_id=self._run_id)
            return "; ".join(b.describe() for b in blocked) or f"pool {pool}"

        def _blocked(self, pool: str, step_key: str) -> None:
            now = time.monotonic()
            since = self._waiting_since.setdefault(pool, now)
            options = self._adrpulse_options
            if check_captured_interrupt():
                options.abort_message = (
                    f"interrupted while step {step_key} waited for {self._announced or pool}"
                )
                raise DagsterExecutionInterruptedError(options.abort_message)
            if now >= self._next_look:
                self._next_look = now + LOOK_SECONDS
                text = self._holders(pool)
                if text != self._announced or now - self._announced_at >= REMIND_SECONDS:
                    self._say(
                        f"Pool slots: run {self._run_id} step {step_key} waits for {text} "
                        f"({now - since:.0f} s so far)."
                    )
                    self._announced, self._announced_at = text, now
            if options.timeout > 0 and now - since >= options.timeout:
                from orchestration.run_slots import RECOVERY_COMMAND

                options.abort_message = (
                    f"gave up after {options.timeout:g} s: step {step_key} waited for "
                    f"{self._announced or pool}. `{RECOVERY_COMMAND}` lists the pool slots and "
                    "frees those of dead runs; or wait longer with --wait-timeout SECONDS"
                )
                raise PoolWaitTimeout(options.abort_message)

    return GuardedConcurrencyContext


def install() -> bool:
    """Put the guard in place for the in-process executor of this process (idempotent)."""
    try:
        from dagster._core.execution.plan.instance_concurrency_context import (
            InstanceConcurrencyContext,
        )
        from dagster._core.executor import in_process
    except ImportError:  # pragma: no cover - another Dagster layout
        return False
    current = getattr(in_process, "InstanceConcurrencyContext", None)
    if getattr(current, "adrpulse_guard", False):
        return True
    needed = ("claim", "interval_to_next_pending_claim_check", "has_pending_claims")
    if current is not InstanceConcurrencyContext or not all(
        hasattr(InstanceConcurrencyContext, name) for name in needed
    ):
        warnings.warn(
            "orchestration.pool_guard: Dagster's in-process executor is not the one this guard "
            "was written for; its wait for a pool slot is left as is",
            stacklevel=2,
        )
        return False
    in_process.InstanceConcurrencyContext = _guard_class()
    return True


def installed() -> bool:
    from dagster._core.executor import in_process

    return bool(getattr(in_process.InstanceConcurrencyContext, "adrpulse_guard", False))
