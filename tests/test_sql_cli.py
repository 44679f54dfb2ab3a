"""`adrpulse sql` as a user runs it: formats, --list, --file, errors, and a busy warehouse."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb

from tests.support.cli import run_cli
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
    assert car["description"] == "Cumulative market-model abnormal return."
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
