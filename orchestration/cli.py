"""`adrpulse`: the command line. Pipeline commands launch Dagster runs on the instance under
ADRPULSE_HOME, so they show in the UI's run history like scheduled runs."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence

from orchestration.commands import (
    alerts,
    archive,
    bench,
    config,
    factors,
    news,
    pipeline,
    prices,
    query,
    report,
    runs,
    schedules,
    sentiment,
    ui,
)
from orchestration.commands.common import CliError, full_disk_error
from orchestration.run_slots import add_wait_timeout_option

EPILOG = (
    "State lives under ADRPULSE_HOME (default: .adrpulse in the repository). "
    "See README.md for live runs, imports and querying."
)

# Each module adds its subcommands; the order here is the order in --help.
COMMAND_MODULES = [
    pipeline, prices, factors, news, sentiment, alerts, archive, query, report, ui, schedules,
    runs, bench, config,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adrpulse",
        description="ADR Pulse: China ADRs vs US megacaps, and how both react to news.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    add_wait_timeout_option(sub)  # --wait-timeout on the commands that launch runs
    return parser


def entry() -> None:
    """The `adrpulse` console script: main(), then the process exits."""
    status = main()
    # The interpreter's exit runs a full garbage collection over everything still alive: after
    # a pipeline run, some 500,000 objects of Dagster's and dbt's, about 1 s of a 22 s `adrpulse
    # demo` spent after the last line is printed (docs/BENCHMARKS.md). Frozen objects are left
    # out of it; the memory goes back to the system with the process either way, and files and
    # connections are closed where they are used. Here, not in main(): a caller of main() in its
    # own process (a test) keeps a collector that frees its garbage.
    gc.freeze()
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = None
    try:
        settings = config.load_settings()
        status = int(args.func(args, settings) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except CliError as exc:
        print(f"adrpulse {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`adrpulse sql --list | head`): stop quietly, as a shell tool
        # does. Point stdout at devnull so that the exit's own flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what the shell reports for a command ended by SIGPIPE
    except Exception as exc:
        # A full disk is an expected failure: say so instead of a traceback. Anything else is
        # a bug, and its traceback is what a report needs.
        full = full_disk_error(exc, settings) if settings is not None else None
        if full is None:
            raise
        print(f"adrpulse {args.command}: {full}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    entry()
