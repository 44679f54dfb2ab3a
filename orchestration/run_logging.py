"""The console logger of every run (CLI, UI, schedules): plain lines for people.

Dagster's default console logger prints at DEBUG under the daemon (every step event of every run
in the `make ui` terminal), colours its lines, carries the run id and pid on each, and prints a
failure's whole stack trace twice: on the step's failure and again on the run's. This one:

- is INFO by default; the definitions make it every job's logger, and the CLI's runs (which name
  it in their run config) use it. Runs the daemon or the UI launch carry no logger config, and
  Dagster then uses its own console logger: dagster.yaml (orchestration/prepare.py) sets that one
  to INFO too;
- prints `time - LEVEL - job - step - message`, without colours (the output is often redirected);
- shows an expected failure (`dg.Failure`: a refused home, no network, a bad argument; a failed
  blocking check) as its message only, an unexpected error with its stack trace once, on the step
  that failed, and the run's failure without the error again;
- for the CLI's runs (config `stack_traces: false`, set by orchestration/commands/common.py),
  every failure as one line without a stack trace (error_line): the CLI then names each failed
  step with the same line, and an expected outcome (a full disk, a failed check) never looks like
  a crash.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import dagster as dg

from orchestration.commands.run_output import error_line

# Errors raised on purpose, with a message written for the user: their stack says nothing more.
EXPECTED_ERRORS = {
    "Failure",
    "DagsterExecutionInterruptedError",
    "RetryRequested",
    "DagsterAssetCheckFailedError",  # its checks' rows are in the run's check results
}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def describe_error(error: Any) -> str:
    """An error of a Dagster event, as the console shows it."""
    if error.cls_name in EXPECTED_ERRORS:
        message = error.message.strip()
        # "dagster._core.definitions.events.Failure: the warehouse ..." -> "the warehouse ..."
        prefix = f"{error.cls_name}: "
        if prefix in message.split("\n", 1)[0]:
            message = message.split(prefix, 1)[1]
        return message
    return error.to_string().rstrip()


class RunConsoleFormatter(logging.Formatter):
    def __init__(self, stack_traces: bool = True) -> None:
        super().__init__(datefmt=DATE_FORMAT)
        self.stack_traces = stack_traces

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None)
        if meta is None:  # a record that did not come through Dagster's log manager
            return f"{self.formatTime(record, DATE_FORMAT)} - {record.levelname} - " + (
                record.getMessage()
            )
        event = meta.get("dagster_event")
        event_type = event.event_type_value if event is not None else None
        parts = [
            meta.get("job_name"),
            meta.get("step_key"),
            event_type if event_type not in (None, "ENGINE_EVENT") else None,
            meta.get("orig_message"),
        ]
        line = " - ".join(str(p) for p in parts if p)
        error = getattr(getattr(event, "event_specific_data", None), "error", None)
        if error is not None and event_type != dg.DagsterEventType.RUN_FAILURE.value:
            line += "\n" + (describe_error(error) if self.stack_traces else error_line(error))
        return f"{self.formatTime(record, DATE_FORMAT)} - {record.levelname} - {line}"

    converter = time.gmtime  # times in UTC, as Dagster prints them (+0000)


@dg.logger(
    config_schema={
        "log_level": dg.Field(
            str, is_required=False, default_value="INFO", description="The logger's threshold."
        ),
        "name": dg.Field(
            str, is_required=False, default_value="dagster", description="The logger's name."
        ),
        "stack_traces": dg.Field(
            bool,
            is_required=False,
            default_value=True,
            description="Show an unexpected error's stack trace once; false: every failure as "
            "one line (the CLI's runs).",
        ),
    },
    description="ADR Pulse's console logger: INFO, plain lines, one stack trace at most.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    config = init_context.logger_config
    logger = logging.Logger(config["name"], level=config["log_level"].upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RunConsoleFormatter(config["stack_traces"]))
    logger.addHandler(handler)
    return logger
