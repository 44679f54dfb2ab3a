"""What a command prints about a Dagster run: the checks that failed or warned with their first
offending rows, a count of the others, and one line per failed step (error_line, which the console
log of the CLI's runs uses too: orchestration/run_logging.py).

A failed check is an expected outcome, not a crash: the user needs its message, the rows that
broke it and the next step, which the checks put in their metadata (assets/price_checks.py,
assets/news_checks.py, assets/build_gate.py). Every result, passed ones included, stays on the
run's page in the UI. Dagster is imported only where a run needs it, so that `adrpulse sql`
starts fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.tables import format_table

# "dagster._core.errors.DagsterAssetCheckFailedError: ..." -> "..."
_CLASS_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*\.)*\w*(?:Error|Exception|Failure):\s*")
# Errors whose message only says that user code raised: the cause holds the real one.
_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}

ROWS_SHOWN = 5


@dataclass(frozen=True)
class CheckLine:
    """One check evaluation of a run, as the CLI shows it."""

    asset: str
    check: str
    status: str  # passed | FAILED | WARN
    message: str
    tables: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return {"FAILED": "ERROR", "WARN": "WARN"}.get(self.status, "")


def _value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


def _tables_and_notes(
    metadata: Mapping[str, Any],
) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[tuple[str, str]]]:
    """Offending rows (metadata entries that are lists of records) and the next step."""
    tables: list[tuple[str, list[dict[str, Any]]]] = []
    notes: list[tuple[str, str]] = []
    for key, entry in metadata.items():
        value = _value(entry)
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            tables.append((key, value))
        elif isinstance(value, dict) and value and key.startswith("tickers_"):
            tables.append((key, [{"ticker": k, "reason": v} for k, v in value.items()]))
        elif key == "next_step" and isinstance(value, str) and value:
            notes.append((key, value))
    return tables, notes


def check_lines(result: Any) -> list[CheckLine]:
    """Every check evaluation of the run: failed first, then warned, then passed."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            status = "passed"
        elif getattr(evaluation.severity, "value", evaluation.severity) == "WARN":
            status = "WARN"
        else:
            status = "FAILED"
        metadata = evaluation.metadata or {}
        message = (evaluation.description or "").strip()
        if not message and "dagster_dbt/failed_row_count" in metadata:
            failing = _value(metadata["dagster_dbt/failed_row_count"])
            message = f"dbt test: {failing} failing rows"
        tables, notes = _tables_and_notes(metadata) if status != "passed" else ([], [])
        lines.append(
            CheckLine(
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                status,
                message,
                tables,
                notes,
            )
        )
    order = {"FAILED": 0, "WARN": 1, "passed": 2}
    return sorted(lines, key=lambda c: (order[c.status], c.asset, c.check))


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _rows_table(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    return format_table(columns, [[row.get(c) for c in columns] for row in rows])


def format_checks(lines: list[CheckLine]) -> str:
    """The failed and warned checks (a table, then each one's message and first offending rows),
    and a one-line count; the passed ones only counted."""
    failed = sum(1 for c in lines if c.status == "FAILED")
    warned = sum(1 for c in lines if c.status == "WARN")
    passed = len(lines) - failed - warned
    out: list[str] = []
    shown = [c for c in lines if c.status != "passed"]
    if shown:
        out.append("Checks that failed or warned")
        out.append(
            format_table(
                ["result", "severity", "asset", "check", "message"],
                [(c.status, c.severity, c.asset, c.check, c.message) for c in shown],
                max_width=60,
            )
        )
        for c in shown:
            out.append(f"\n{c.status} {c.asset} {c.check}: {c.message or '(no message)'}")
            for name, rows in c.tables:
                more = f" (first {ROWS_SHOWN} of {len(rows)})" if len(rows) > ROWS_SHOWN else ""
                out.append(f"  {name}{more}:")
                out.append(_indent(_rows_table(rows[:ROWS_SHOWN]), "    "))
            for _, note in c.notes:
                out.append(_indent(f"Next step: {note}", "  "))
        out.append("")
    out.append(
        f"Checks: {passed} passed, {failed} failed, {warned} warned "
        "(every result, with all its rows, is on the run's page in the UI: adrpulse ui)"
    )
    return "\n".join(out)


# --- failed steps ---------------------------------------------------------------------------


def _causes(error: Any) -> Iterator[Any]:
    while error is not None:
        yield error
        error = getattr(error, "cause", None)


def error_line(error: Any) -> str:
    """One line for an error: its message without the exception's class path, the cause's when
    the error only wraps user code, newlines folded."""
    chosen = error
    for candidate in _causes(error):
        chosen = candidate
        if getattr(candidate, "cls_name", None) not in _WRAPPERS:
            break
    message = (getattr(chosen, "message", None) or str(chosen)).strip()
    cls_name = getattr(chosen, "cls_name", None)
    if cls_name:
        message = re.sub(rf"^(?:[A-Za-z_]\w*\.)*{re.escape(cls_name)}:\s*", "", message)
    message = _CLASS_PREFIX.sub("", message)
    lines = [part.strip() for part in message.splitlines() if part.strip()]
    if getattr(chosen, "cls_name", None) == "DagsterAssetCheckFailedError" and len(lines) > 1:
        # "N blocking asset checks failed with ERROR severity:" then "asset: check,check" lines
        failed = "; ".join(line.replace(",", ", ") for line in lines[1:])
        return f"blocking check failed ({failed}); its rows are listed with the checks above"
    return " ".join(lines)


def failed_steps(result: Any) -> list[tuple[str, str]]:
    """(step, one-line reason) of every failed step of the run."""
    steps = []
    for event in result.all_events:
        if event.is_failure and event.step_key:
            error = getattr(event.event_specific_data, "error", None)
            steps.append((event.step_key, error_line(error) if error else event.message or ""))
    return steps
