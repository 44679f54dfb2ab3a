"""`adrpulse sql`: query the published marts (never the warehouse file).

Every query opens the current published build afresh, so an interactive session sees each new
build as soon as it is published, and no query ever mixes two builds.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets.settings import QUERIES_DIR, Settings
from orchestration.commands.common import CliError
from orchestration.tables import format_csv, format_json, format_table, plural

NEXT_STEP = "List the tables and their columns with: adrpulse sql --list"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GETVARIABLE = re.compile(r"getvariable\(\s*'([^']+)'\s*\)", re.IGNORECASE)
_LEADING_COMMENTS = r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*"
_PRAGMA_NAME = re.compile(_LEADING_COMMENTS + r"pragma\s+([A-Za-z_]+)", re.IGNORECASE | re.DOTALL)
_EXPLAIN_PREFIX = re.compile(
    "^" + _LEADING_COMMENTS + r"explain\s+(analy[sz]e\s+)?", re.IGNORECASE | re.DOTALL
)
# PRAGMAs that only read (the others change settings or the database).
READ_PRAGMAS = frozenset(
    {
        "collations",
        "database_list",
        "database_size",
        "functions",
        "platform",
        "show",
        "show_databases",
        "show_tables",
        "show_tables_expanded",
        "table_info",
        "user_agent",
        "version",
    }
)


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


def query_parameters(query: str) -> list[str]:
    """The variables a query reads with getvariable('NAME'), in order of first use."""
    return list(dict.fromkeys(_GETVARIABLE.findall(query)))


def check_variables(query: str, variables: Mapping[str, str], source: str = "the query") -> None:
    """Refuse a --set NAME that the query never reads: it would be silently ignored."""
    parameters = query_parameters(query)
    unknown = [name for name in variables if name not in parameters]
    if not unknown:
        return
    listed = ", ".join(parameters) if parameters else "none"
    raise CliError(
        f"--set {', '.join(unknown)}: {source} has no such parameter "
        f"(it reads getvariable('NAME') for: {listed})"
    )


@dataclass(frozen=True)
class Result:
    statement: str
    columns: list[str]
    rows: list[tuple]


def _refusal(statement: Any, reason: str) -> CliError:
    text = " ".join(statement.query.strip().rstrip(";").split())
    if len(text) > 80:
        text = text[:77] + "..."
    hint = (
        "set a query's variables with --set NAME=VALUE when starting adrpulse sql"
        if statement.type.name in ("SET", "VARIABLE_SET")
        else "to save a result, use --csv or --json and redirect the output to a file"
    )
    return CliError(
        f"refused {statement.type.name} statement `{text}`: {reason}. adrpulse sql is "
        "read-only: it runs SELECT (with WITH, FROM, VALUES, SHOW, DESCRIBE, SUMMARIZE), EXPLAIN "
        f"of a SELECT and the PRAGMAs that read (e.g. show_tables, table_info); {hint}"
    )


def check_read_only(con: Any, statement: Any) -> None:
    """Raise CliError unless `statement` (from con.extract_statements) only reads."""
    import duckdb

    kind = statement.type
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.PRAGMA:
        match = _PRAGMA_NAME.match(statement.query)
        if match and match.group(1).lower() in READ_PRAGMAS:
            return
        raise _refusal(statement, "only read-only PRAGMAs are allowed")
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN_PREFIX.sub("", statement.query, count=1)
        inner_statements = con.extract_statements(inner)
        if len(inner_statements) == 1 and inner_statements[0].type == duckdb.StatementType.SELECT:
            return
        raise _refusal(statement, "EXPLAIN runs only of a SELECT")
    raise _refusal(statement, "it would change the session, the data or files")


def _lock_down(con: Any, build: Any) -> None:
    """No file but the build's Parquet files can be read, nothing written, nothing attached, and
    the settings cannot be changed back: DuckDB's own guards under the statement check."""
    paths = [table.path.as_posix() for table in build.tables]
    con.execute("set allowed_paths = ?", [paths]).fetchall()
    con.execute("set enable_external_access = false").fetchall()
    con.execute("set lock_configuration = true").fetchall()


@dataclass(frozen=True)
class PublishedReader:
    """One opening of the current published build: `build` (warehouse.publish.PublishedBuild:
    its tables with the row counts recorded when it was published) and `run`, which runs every
    statement of a query on it (one Result each; nothing runs unless every statement reads)."""

    build: Any
    run: Callable[[str], list[Result]]


@contextmanager
def published_reader(
    settings: Settings, variables: Mapping[str, str] | None = None
) -> Iterator[PublishedReader]:
    """The current published build opened once, read-only. Several queries through one reader
    read the same build, and pay for opening it (a view per published table, about 0.4 s)
    once."""
    import duckdb

    from warehouse.publish import open_published_build

    try:
        con, build = open_published_build(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    try:
        for name, value in (variables or {}).items():
            con.execute(f'set variable "{name}" = ?', [value]).fetchall()
        _lock_down(con, build)
        yield PublishedReader(build, lambda query: _run_statements(con, query))
    except duckdb.Error as exc:
        raise CliError(f"query failed: {exc}\n{NEXT_STEP}") from exc
    finally:
        con.close()


def _run_statements(con: Any, query: str) -> list[Result]:
    statements = con.extract_statements(query)
    if not statements:
        raise CliError(f"no SQL statement to run\n{NEXT_STEP}")
    for statement in statements:
        check_read_only(con, statement)
    results = []
    for statement in statements:
        cursor = con.execute(statement.query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
        results.append(Result(statement.query.strip(), columns, rows))
    return results


def run_published(
    settings: Settings, query: str, variables: Mapping[str, str] | None = None
) -> list[Result]:
    """Run every statement of `query`, read-only, on the current published build: one Result
    each. Nothing runs unless every statement only reads."""
    with published_reader(settings, variables) as reader:
        return reader.run(query)


def query_published(
    settings: Settings, query: str, variables: Mapping[str, str] | None = None
) -> tuple[list[str], list[tuple]]:
    """The columns and rows of the last statement of `query` (see run_published)."""
    last = run_published(settings, query, variables)[-1]
    return last.columns, last.rows


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


@dataclass(frozen=True)
class ListedTable:
    name: str  # schema.table
    rows: int
    columns: list[tuple[str, str, str | None, str | None]]  # name, type, unit, description


def list_published(settings: Settings) -> tuple[Any, list[ListedTable]]:
    """The current build (warehouse.publish.PublishedBuild) and its tables: row counts, and
    each column's type, unit and meaning (main.published_columns, from dbt's manifest when the
    build was published)."""
    from warehouse.publish import current_build

    try:
        build = current_build(settings.published_dir)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    by_table: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
    for column in sorted(build.columns, key=lambda c: (c.schema, c.table, c.position)):
        by_table.setdefault(f"{column.schema}.{column.table}", []).append(
            (column.name, column.data_type, column.unit, column.description)
        )
    if not build.columns:
        # a build published before its columns were documented: names and types from the views
        _, column_rows = query_published(
            settings,
            "select table_schema || '.' || table_name, column_name, lower(data_type) "
            "from information_schema.columns where table_catalog = current_database() "
            "order by table_schema, table_name, ordinal_position",
        )
        for table, name, type_ in column_rows:
            by_table.setdefault(table, []).append((name, type_, None, None))
    tables = [
        ListedTable(f"{t.schema}.{t.name}", t.rows, by_table.get(f"{t.schema}.{t.name}", []))
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
        # one record per column, so that scripts get the unit and description of each
        rows = [
            (table.name, table.rows, name, type_, unit, description)
            for table in tables
            for name, type_, unit, description in table.columns
        ]
        print_result(
            ["table", "rows", "column", "type", "unit", "description"], rows, fmt, footer=False
        )
        return
    print(f"Published build {build.build_id} ({build.published_at:%Y-%m-%d %H:%M:%S %Z})")
    print(warning or "Built with every blocking check passing.")
    print("(provenance: select * from published_build)\n")
    counts = [(t.name, t.rows, len(t.columns)) for t in tables]
    print(format_table(["table", "rows", "columns"], counts))
    for table in tables:
        print(f"\n{table.name}")
        listing = format_table(
            ["column", "type", "unit", "description"], table.columns, max_width=60
        )
        print(textwrap.indent(listing, "  "))
    print(
        "\nUnits: dbt_project/README.md, \"Units of the mart columns\".\n"
        "Full descriptions: adrpulse sql \"select * from published_columns\""
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
            print(f"({plural(len(rows), 'row')})")


def print_results(results: Sequence[Result], fmt: str) -> None:
    """Every statement's result, in order, a blank line between two."""
    for index, result in enumerate(results):
        if index:
            print()
        print_result(result.columns, result.rows, fmt)


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    fmt = "csv" if args.csv else "json" if args.json else "table"
    variables = parse_variables(args.set or [])
    if args.list:
        print_listing(settings, fmt)
        return 0
    if args.file and args.query:
        raise CliError("give either a QUERY or --file, not both")
    query, source = args.query, "the query"
    if args.file:
        path = resolve_query_file(args.file)
        query, source = path.read_text(encoding="utf-8"), f"query {path.stem}"
    if query:
        check_variables(query, variables, source)
        print_results(run_published(settings, query, variables), fmt)
        return 0
    return interactive(settings, fmt, variables)


SHELL_HELP = """\
End each SQL statement with ';' (several on one line run in turn, each result shown).
Only reading statements run: SELECT, WITH, FROM, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN, and
PRAGMAs that read (e.g. PRAGMA show_tables).
  .tables, \\d        the published tables and their row counts
  \\d TABLE           the columns of TABLE (e.g. \\d marts.fct_event_car)
  .help, \\?          this help
  \\q, quit, exit     leave (Ctrl-D too); Ctrl-C drops the statement being typed
Start with --set NAME=VALUE to set getvariable('NAME'); adrpulse sql --list prints everything."""
QUIT_COMMANDS = frozenset({"\\q", "quit", "exit", ".quit", ".exit", ".q"})
HELP_COMMANDS = frozenset({".help", "\\?", "help", "\\h"})
TABLES_COMMANDS = frozenset({".tables", "\\d", "\\dt"})


def shell_command(settings: Settings, line: str) -> bool | None:
    """Run a shell command typed at the prompt. True: quit; False: done; None: not a command."""
    text = line.strip().rstrip(";").strip()
    word, _, argument = text.partition(" ")
    argument = argument.strip()
    if text.lower() in QUIT_COMMANDS:
        return True
    if text.lower() in HELP_COMMANDS:
        print(SHELL_HELP)
        return False
    if text in TABLES_COMMANDS:
        build, tables = list_published(settings)
        counts = [(t.name, t.rows, len(t.columns)) for t in tables]
        print(format_table(["table", "rows", "columns"], counts))
        print(f"(build {build.build_id}; \\d TABLE shows a table's columns)")
        return False
    if word in ("\\d", ".schema", ".describe") and argument:
        _, tables = list_published(settings)
        wanted = argument.lower()
        found = [
            t for t in tables if wanted in (t.name.lower(), t.name.split(".", 1)[1].lower())
        ]
        if not found:
            print(f"no published table {argument!r}: .tables lists them", file=sys.stderr)
            return False
        for table in found:
            print(f"{table.name} ({plural(table.rows, 'row')})")
            print(format_table(["column", "type", "unit", "description"], table.columns))
        return False
    if word.startswith(("\\", ".")):
        print(f"unknown command {word}: .help lists the commands", file=sys.stderr)
        return False
    return None


def interactive(settings: Settings, fmt: str, variables: Mapping[str, str]) -> int:
    print("ADR Pulse SQL over the published marts (read-only). End a query with ';'.")
    print("Each query reads the latest published build. .help for help, \\q to quit.")
    buffer: list[str] = []
    while True:
        try:
            line = input("adrpulse> " if not buffer else "      ...> ")
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            buffer.clear()
            continue
        if not buffer:
            try:
                outcome = shell_command(settings, line)
            except CliError as exc:
                print(exc, file=sys.stderr)
                continue
            if outcome is True:
                return 0
            if outcome is False:
                continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            query = "\n".join(buffer)
            buffer.clear()
            try:
                print_results(run_published(settings, query, variables), fmt)
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
        help="list the published tables, their row counts, each column's type, unit and "
        "meaning, and the named queries",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true", help="print CSV")
    group.add_argument("--json", action="store_true", help="print JSON records")
    p.set_defaults(func=cmd_sql)
