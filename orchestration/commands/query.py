"""`adrpulse sql`: query the published marts (never the warehouse file)."""

from __future__ import annotations

import argparse
import sys

from orchestration.commands.common import CliError
from orchestration.settings import Settings
from orchestration.tables import format_csv, format_json, format_table


def query_published(settings: Settings, query: str) -> tuple[list[str], list[tuple]]:
    import duckdb

    from warehouse.publish import open_published

    try:
        con = open_published(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    try:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise CliError(
            f'query failed: {exc}\nList the tables with: adrpulse sql "show tables"'
        ) from exc
    finally:
        con.close()
    return columns, rows


def print_result(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(format_csv(columns, rows))
    elif fmt == "json":
        print(format_json(columns, rows))
    else:
        print(format_table(columns, rows))
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    fmt = "csv" if args.csv else "json" if args.json else "table"
    if args.query:
        columns, rows = query_published(settings, args.query)
        print_result(columns, rows, fmt)
        return 0
    print("ADR Pulse SQL over the published marts. End a query with ';'. Ctrl-D to quit.")
    buffer: list[str] = []
    while True:
        try:
            line = input("adrpulse> " if not buffer else "      ...> ")
        except EOFError:
            print()
            return 0
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query = "\n".join(buffer)
            buffer.clear()
            try:
                columns, rows = query_published(settings, query)
                print_result(columns, rows, fmt)
            except CliError as exc:
                print(exc, file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql",
        help="query the published marts (interactive without QUERY)",
        description="Run SQL against the last published build (schemas marts and reference). "
        "Safe while a run is writing: it never opens the warehouse file.",
    )
    p.add_argument("query", nargs="?", help="SQL to run; omit for an interactive prompt")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true", help="print CSV")
    group.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_sql)
