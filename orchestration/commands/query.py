"""`adrpulse sql`: query the published marts (never the warehouse file).

Every query opens the current published build afresh, so an interactive session sees each new
build as soon as it is published, and no query ever mixes two builds.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assets.settings import REPO_ROOT, Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_csv, format_json, format_table

QUERIES_DIR = REPO_ROOT / "queries"
NEXT_STEP = "List the tables and their columns with: adrpulse sql --list"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_variables(assignments: Sequence[str]) -> dict[str, str]:
    """`NAME=VALUE` pairs from --set; the values reach SQL as text through getvariable('NAME')."""
    variables: dict[str, str] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep or not _VARIABLE_NAME.match(name.strip()):
            raise CliError(
                f"--set {assignment!r} is not NAME=VALUE: write e.g. --set ticker=JD "
                "(names are letters, digits and _)"
            )
        variables[name.strip()] = value
    return variables


def query_published(
    settings: Settings, query: str, variables: Mapping[str, str] | None = None
) -> tuple[list[str], list[tuple]]:
    import duckdb

    from warehouse.publish import open_published

    try:
        con = open_published(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    try:
        for name, value in (variables or {}).items():
            con.execute(f'set variable "{name}" = ?', [value]).fetchall()
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise CliError(f"query failed: {exc}\n{NEXT_STEP}") from exc
    finally:
        con.close()
    return columns, rows


def named_queries(directory: Path = QUERIES_DIR) -> dict[str, str]:
    """Name -> first line of the header comment, for every .sql file of the queries folder."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        first = path.read_text(encoding="utf-8").lstrip().splitlines()[:1]
        found[path.stem] = first[0].removeprefix("--").strip() if first else ""
    return found


def resolve_query_file(name_or_path: str, directory: Path = QUERIES_DIR) -> Path:
    """A path as given, else a named query of the queries folder (with or without .sql)."""
    given = Path(name_or_path).expanduser()
    if given.is_file():
        return given
    stem = given.name.removesuffix(".sql")
    candidate = directory / f"{stem}.sql"
    if candidate.is_file():
        return candidate
    names = ", ".join(named_queries(directory)) or "(none)"
    raise CliError(
        f"no query file {name_or_path!r} (looked for it as a path and in {directory}). "
        f"Named queries: {names}"
    )


def list_published(settings: Settings) -> tuple[Any, list[tuple[str, int, list[str]]]]:
    """The current build (warehouse.publish.PublishedBuild) and, per published table, its row
    count and 'column type' list."""
    columns_sql = (
        "select table_schema || '.' || table_name, column_name || ' ' || lower(data_type) "
        "from information_schema.columns where table_schema in ('marts', 'reference') "
        "order by table_schema, table_name, ordinal_position"
    )
    from warehouse.publish import current_build

    try:
        build = current_build(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    _, column_rows = query_published(settings, columns_sql)
    by_table: dict[str, list[str]] = {}
    for table, column in column_rows:
        by_table.setdefault(table, []).append(column)
    tables = [
        (f"{t.schema}.{t.name}", t.rows, by_table.get(f"{t.schema}.{t.name}", []))
        for t in build.tables
    ]
    return build, tables


def forced_warning(build: Any) -> str:
    """The line that says a build was published past failed blocking checks ('' if it was not)."""
    if not build.forced:
        return ""
    return (
        "WARNING: this build was forced (adrpulse build --force) past failed blocking checks: "
        + (", ".join(build.failed_checks) or "(not recorded)")
    )


def print_listing(settings: Settings, fmt: str) -> None:
    build, tables = list_published(settings)
    warning = forced_warning(build)
    if fmt != "table":
        if warning:
            print(warning, file=sys.stderr)  # stdout stays machine-readable
        rows = [(name, rows, ", ".join(cols)) for name, rows, cols in tables]
        print_result(["table", "rows", "columns"], rows, fmt, footer=False)
        return
    print(f"Published build {build.build_id} ({build.published_at:%Y-%m-%d %H:%M:%S %Z})")
    print(warning or "Built with every blocking check passing.")
    print("(provenance: select * from published_build)\n")
    print(format_table(["table", "rows", "columns"], [(n, r, len(c)) for n, r, c in tables]))
    for name, _, cols in tables:
        print(f"\n{name}")
        print(
            textwrap.fill(", ".join(cols), width=100, initial_indent="  ", subsequent_indent="  ")
        )
    queries = named_queries()
    if queries:
        print("\nNamed queries (adrpulse sql --file NAME [--set NAME=VALUE]):")
        print(format_table(["name", "answers"], sorted(queries.items())))


def print_result(columns: list[str], rows: list[tuple], fmt: str, footer: bool = True) -> None:
    if fmt == "csv":
        sys.stdout.write(format_csv(columns, rows))
    elif fmt == "json":
        print(format_json(columns, rows))
    else:
        print(format_table(columns, rows))
        if footer:
            print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    fmt = "csv" if args.csv else "json" if args.json else "table"
    variables = parse_variables(args.set or [])
    if args.list:
        print_listing(settings, fmt)
        return 0
    if args.file and args.query:
        raise CliError("give either a QUERY or --file, not both")
    query = args.query
    if args.file:
        query = resolve_query_file(args.file).read_text(encoding="utf-8")
    if query:
        columns, rows = query_published(settings, query, variables)
        print_result(columns, rows, fmt)
        return 0
    return interactive(settings, fmt, variables)


def interactive(settings: Settings, fmt: str, variables: Mapping[str, str]) -> int:
    print("ADR Pulse SQL over the published marts. End a query with ';'. Ctrl-D to quit.")
    print("Each query reads the latest published build. adrpulse sql --list shows the tables.")
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
                columns, rows = query_published(settings, query, variables)
                print_result(columns, rows, fmt)
            except CliError as exc:
                print(exc, file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sql",
        help="query the published marts (interactive without QUERY)",
        description="Run SQL against the last published build (schemas marts and reference). "
        "Safe while a run is writing: it never opens the warehouse file. Named queries live in "
        "the queries/ folder: run one with --file NAME.",
    )
    p.add_argument("query", nargs="?", help="SQL to run; omit for an interactive prompt")
    p.add_argument(
        "--file",
        "-f",
        metavar="NAME|PATH",
        help="a .sql file to run: a path, or a name in queries/, e.g. xi_symposium_movers",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set a SQL variable read with getvariable('NAME') (repeatable), e.g. --set ticker=JD",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="list the published tables, their row counts and columns, and the named queries",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true", help="print CSV")
    group.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_sql)
