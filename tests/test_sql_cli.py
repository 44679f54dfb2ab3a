"""`adrpulse sql` as a user runs it: formats, --list, --file, errors, and a busy warehouse."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.cli import REPO, isolated_env, run_cli
from warehouse.publish import open_published

QUERY = (
    "select ticker, group_name from reference.universe "
    "where group_name in ('china_adr', 'us_megacap') order by ticker"
)


def expected_rows(demo_home: Path) -> list[tuple[str, str]]:
    con = open_published(demo_home / "published")
    try:
        return con.execute(QUERY).fetchall()
    finally:
        con.close()


def test_csv_output(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--csv", QUERY)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["ticker", "group_name"]
    assert [tuple(r) for r in rows[1:]] == expected_rows(demo_home)


def test_json_output(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--json", QUERY)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [(r["ticker"], r["group_name"]) for r in records] == expected_rows(demo_home)


def test_table_output_is_aligned_with_a_row_count(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", QUERY)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ticker", "group_name"]
    assert lines[-1] == f"({len(expected_rows(demo_home))} rows)"
    # Aligned: the second column starts at the same offset on every row.
    offset = lines[0].index("group_name")
    assert all(line[offset - 2 : offset] == "  " for line in lines[2:-1])


def test_list_shows_tables_row_counts_columns_and_named_queries(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--list")
    assert result.returncode == 0, result.stderr
    con = open_published(demo_home / "published")
    try:
        counts = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('marts', 'reference')"
        ).fetchall()
        for (name,) in counts:
            rows = con.execute(f"select count(*) from {name}").fetchall()[0][0]
            line = next(x for x in result.stdout.splitlines() if x.startswith(name + " "))
            assert line.split()[1] == str(rows), line
    finally:
        con.close()
    # every column with its type and unit, in aligned columns under each table
    columns = {
        line.split()[0]: line.split()[1:3]
        for line in result.stdout.splitlines()
        if line.startswith("  ") and len(line.split()) >= 3
    }
    assert columns["abnormal_return_market_model"] == ["double", "fraction"]
    assert columns["index_buy_hold_a"] == ["double", "index_points_base_100"]
    assert columns["p_bmp"] == ["double", "p_value"]
    lines = result.stdout.splitlines()
    header = next(x for x in lines if x.split()[:3] == ["column", "type", "unit"])
    assert header.index("type") < header.index("unit") < header.index("description")
    assert "xi_symposium_movers" in result.stdout


def test_list_as_json(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--list", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    by_column = {(r["table"], r["column"]): r for r in records}
    car = by_column["marts.fct_event_car", "car"]
    assert (car["type"], car["unit"]) == ("double", "fraction")
    # the YAML description, as dbt documents the column
    assert car["description"] == (
        "Cumulative abnormal return of the selected model (the market model by default)."
    )
    assert car["rows"] > 0
    marts = [r for r in records if r["table"].startswith("marts.")]
    assert marts and all(r["unit"] and r["description"] for r in marts)


def test_named_query_by_file_with_a_variable(demo_home: Path) -> None:
    result = run_cli(
        demo_home, "sql", "--json", "--file", "ticker_news_events", "--set", "ticker=NVDA"
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert records and {r["ticker"] for r in records} == {"NVDA"}


def test_unknown_query_file_names_the_available_ones(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--file", "no_such_query")
    assert result.returncode == 1
    assert "no_such_query" in result.stderr and "xi_symposium_movers" in result.stderr


def test_bad_query_names_the_problem_and_the_next_step(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "select * from marts.no_such_table")
    assert result.returncode != 0
    assert "no_such_table" in result.stderr
    assert "adrpulse sql --list" in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_published_yet_says_what_to_run(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "sql", "select 1")
    assert result.returncode == 1
    assert "adrpulse demo" in result.stderr


def test_sql_works_while_a_writer_holds_the_warehouse(demo_home: Path) -> None:
    writer = duckdb.connect(str(demo_home / "warehouse.duckdb"))
    try:
        result = run_cli(demo_home, "sql", "--csv", QUERY)
    finally:
        writer.close()
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(expected_rows(demo_home)) + 1


def run_shell(home: Path, typed: str) -> subprocess.CompletedProcess[str]:
    """The interactive `adrpulse sql` with `typed` as what the user types."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "sql"],
        cwd=REPO,
        env=isolated_env(home),
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("drop view marts.fct_event_car", "DROP"),
        ("create table main.scratch as select 1 as x", "CREATE"),
        ("set variable ticker = 'JD'", "SET"),
        ("pragma threads = 1", "SET"),
        ("explain analyze drop view marts.fct_event_car", "EXPLAIN"),
        ("select 1; drop view marts.fct_event_car", "DROP"),
    ],
)
def test_writes_are_refused_with_a_message_naming_the_statement(
    demo_home: Path, statement: str, kind: str
) -> None:
    result = run_cli(demo_home, "sql", statement)
    assert result.returncode == 1, result.stdout
    assert f"refused {kind} statement" in result.stderr and "read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == "", "nothing runs when one statement of the input is refused"


def test_copy_to_a_file_writes_nothing(demo_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    result = run_cli(demo_home, "sql", f"copy (select 1) to '{target}'")
    assert result.returncode == 1
    assert "refused COPY statement" in result.stderr and "--csv" in result.stderr
    assert not target.exists()


def test_attaching_the_warehouse_is_refused(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", f"attach '{demo_home / 'warehouse.duckdb'}' as w")
    assert result.returncode == 1
    assert "refused ATTACH statement" in result.stderr


def test_the_session_itself_cannot_write_or_reach_other_files(
    demo_home: Path, tmp_path: Path
) -> None:
    """Under the statement check, DuckDB's own guards: no file access beyond the build's Parquet
    files, and the configuration locked so that they cannot be switched off."""
    from orchestration.commands.query import _lock_down
    from warehouse.publish import open_published_build

    con, build = open_published_build(demo_home / "published")
    try:
        _lock_down(con, build)
        assert con.execute("select count(*) from marts.fct_event_car").fetchall()[0][0] > 0
        target = tmp_path / "y.csv"
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1) to '{target}'")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"attach '{demo_home / 'warehouse.duckdb'}' as w (read_only)")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"select * from read_csv('{REPO / 'README.md'}')")
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute("set enable_external_access = true")
        assert not target.exists()
    finally:
        con.close()


def test_every_statement_of_the_input_shows_its_result(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "select 1 as first_one; select 2 as second_one")
    assert result.returncode == 0, result.stderr
    assert "first_one" in result.stdout and "second_one" in result.stdout
    assert result.stdout.count("(1 row)") == 2


def test_reading_statements_other_than_select_run(demo_home: Path) -> None:
    result = run_cli(
        demo_home,
        "sql",
        "describe marts.fct_event_car; pragma show_tables; explain select 1; "
        "with x as (select 1 as one) select * from x; "
        "-- a comment before a pragma\npragma table_info('marts.fct_event_car')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" row") >= 5


def test_list_shows_the_columns_of_every_table(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--list", "--json")
    assert result.returncode == 0, result.stderr
    columns: dict[str, dict[str, str]] = {}
    for record in json.loads(result.stdout):  # one record per column
        columns.setdefault(record["table"], {})[record["column"]] = record["type"]
    assert {"raw.price_fetches", "raw.news_fetches"} <= set(columns)
    empty = [name for name, cols in columns.items() if not cols]
    assert not empty, f"no columns listed for {empty}"
    assert columns["raw.price_fetches"]["synthetic"].lower() == "boolean"


def test_an_unknown_set_name_is_an_error_listing_the_parameters(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "--file", "xi_symposium_movers", "--set", "tickr=JD")
    assert result.returncode == 1
    assert "tickr" in result.stderr
    assert "event_id" in result.stderr and "window_label" in result.stderr
    assert result.stdout == ""


def test_set_on_a_query_without_parameters_says_it_has_none(demo_home: Path) -> None:
    result = run_cli(demo_home, "sql", "select 1", "--set", "ticker=JD")
    assert result.returncode == 1
    assert "ticker" in result.stderr and "none" in result.stderr


def test_shell_runs_every_statement_and_the_usual_commands(demo_home: Path) -> None:
    typed = "\n".join(
        [
            "select 1 as first_one; select 2 as second_one;",
            ".tables",
            "\\d marts.fct_event_car",
            "\\d no_such_table",
            ".help",
            "drop view marts.fct_event_car;",
            "select count(*) as cars from marts.fct_event_car;",
            "\\q",
            "select 3 as never_run;",
        ]
    )
    result = run_shell(demo_home, typed + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "first_one" in out and "second_one" in out
    assert "marts.fct_event_car" in out and "reference.universe" in out  # .tables
    assert "abnormal_return_market_model" not in out  # a column of another table
    assert "car_market_adjusted" in out and "double" in out  # \d marts.fct_event_car
    assert "no published table 'no_such_table'" in result.stderr
    assert "\\q" in out and ".tables" in out  # .help
    assert "refused DROP statement" in result.stderr
    assert "cars" in out and "never_run" not in out


@pytest.mark.parametrize("command", ["quit", "exit", "\\q", ".quit", "quit;"])
def test_shell_quits_on_the_usual_words(demo_home: Path, command: str) -> None:
    result = run_shell(demo_home, f"{command}\nselect 3 as never_run;\n")
    assert result.returncode == 0, result.stderr
    assert "never_run" not in result.stdout
    assert result.stderr == "", "the command is not taken for the start of a statement"


def test_a_closed_pipe_ends_quietly(demo_home: Path) -> None:
    """`adrpulse sql --list | head -1`: no BrokenPipeError traceback when the reader stops
    reading. Here the reader closes the pipe before the first write, so the write always fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "sql", "--list"],
        cwd=REPO,
        env=isolated_env(demo_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()
    proc.wait(timeout=120)
    errors = proc.stderr.read()
    proc.stderr.close()
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
