"""POSTing one JSON document to a webhook: a timeout per attempt, a bounded number of attempts,
and a result that says what happened instead of an exception (a failing endpoint must never fail
the pipeline)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

MAX_ATTEMPTS = 3
# Seconds before attempt 2 and 3: a receiver that hiccups gets a moment, a run is not held long.
BACKOFF_SECONDS = (0.5, 2.0)
USER_AGENT = "ADR-Pulse/0.1 (alert webhook)"


@dataclass(frozen=True)
class PostResult:
    ok: bool
    attempts: int
    http_status: int | None
    error: str | None  # why the last attempt failed (None when ok)


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout_seconds: float,
    idempotency_key: str,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> PostResult:
    """POST `payload` as JSON; retry timeouts, connection errors, 5xx, 408 and 429 up to
    `max_attempts` in all. Another 4xx is final: the receiver rejected the document itself.
    The Idempotency-Key header lets a receiver drop a duplicate (a POST that timed out on our side
    may have arrived)."""
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": idempotency_key,
    }
    status: int | None = None
    error: str | None = None
    with httpx.Client(timeout=timeout_seconds, transport=transport,
                      follow_redirects=False) as client:
        for attempt in range(1, max_attempts + 1):
            if attempt > 1:
                sleep(BACKOFF_SECONDS[min(attempt - 2, len(BACKOFF_SECONDS) - 1)])
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.TimeoutException:
                status, error = None, f"timed out after {timeout_seconds:g} s"
                continue
            except httpx.InvalidURL as exc:  # a mistyped setting: no retry can fix it
                return PostResult(False, attempt, None, f"invalid webhook URL: {exc}")
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
                continue
            status = response.status_code
            if 200 <= status < 300:
                return PostResult(True, attempt, status, None)
            error = f"HTTP {status}: {response.text[:200].strip()}"
            if not _retryable(status):
                return PostResult(False, attempt, status, error)
    return PostResult(False, max_attempts, status, error)
