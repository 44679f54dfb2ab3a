"""The dbt project's own contracts: the sessions seed, the sources, documentation, docs offline, and
the accuracy of the normal CDF macro behind every p-value."""

from __future__ import annotations

import importlib.util
import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pytest
from scipy import stats

from tests.support.dbt import DBT_DIR, copy_of_warehouse, invoke_dbt, unit_vocabulary
from warehouse.rows import insert_rows
from warehouse.schema import RAW_TABLES_DDL, create_raw_schema


def _load_sessions_script():
    path = DBT_DIR / "scripts" / "make_sessions_seed.py"
    spec = importlib.util.spec_from_file_location("make_sessions_seed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sessions_seed_is_what_the_calendar_module_generates() -> None:
    script = _load_sessions_script()
    committed = (DBT_DIR / "seeds" / "xnys_sessions.csv").read_text()
    assert committed == script.render_sessions_csv(), (
        "seeds/xnys_sessions.csv is stale: run dbt_project/scripts/make_sessions_seed.py"
    )
    lines = committed.splitlines()
    # spot checks of the calendar itself: holidays and the 2025-01-09 national day of mourning
    assert "2025-01-17" in lines and "2025-01-21" in lines
    assert "2025-01-20" not in lines and "2025-01-09" not in lines and "2025-02-17" not in lines


def test_xhkg_sessions_seed_is_what_the_calendar_module_generates() -> None:
    script = _load_sessions_script()
    committed = (DBT_DIR / "seeds" / "xhkg_sessions.csv").read_text()
    assert committed == script.render_sessions_csv("XHKG"), (
        "seeds/xhkg_sessions.csv is stale: run dbt_project/scripts/make_sessions_seed.py"
    )
    lines = committed.splitlines()
    # Lunar New Year 2025 closed, Presidents' Day (a US holiday) open
    assert "2025-01-28" in lines and "2025-02-03" in lines and "2025-02-17" in lines
    assert not {"2025-01-29", "2025-01-30", "2025-01-31"} & set(lines)


@pytest.fixture(scope="session")
def docs_artifacts(sample_dbt_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """`dbt docs generate` on the built sample warehouse (offline), its manifest and catalog."""
    workdir = tmp_path_factory.mktemp("dbt_docs")
    result = invoke_dbt(["docs", "generate"], sample_dbt_warehouse, workdir)
    assert result.success, result.exception
    target = workdir / "target"
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog


def test_sources_mirror_the_raw_schema_and_point_at_dagster_assets(docs_artifacts) -> None:
    manifest, _ = docs_artifacts
    con = duckdb.connect()
    create_raw_schema(con)
    sources = {s["name"]: s for s in manifest["sources"].values() if s["source_name"] == "raw"}
    assert set(sources) == set(RAW_TABLES_DDL)
    for table, source in sources.items():
        actual = [
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]
        assert list(source["columns"]) == actual, table
        assert source["meta"]["dagster"]["asset_key"] == ["raw", table]
    con.close()


def test_every_model_and_seed_column_is_documented(docs_artifacts) -> None:
    manifest, catalog = docs_artifacts
    problems = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node["description"].strip():
            problems.append(f"{unique_id}: no description")
        built = catalog["nodes"].get(unique_id)
        if built is None:
            problems.append(f"{unique_id}: not in the catalog (not built?)")
            continue
        documented = {name.lower(): col for name, col in node["columns"].items()}
        for column in built["columns"]:
            entry = documented.get(column.lower())
            if entry is None or not entry["description"].strip():
                problems.append(f"{unique_id}.{column}: undocumented")
        for column in documented:
            if column not in {c.lower() for c in built["columns"]}:
                problems.append(f"{unique_id}.{column}: documented but not in the relation")
    assert not problems, "\n".join(problems)


def test_every_model_has_a_tested_key(docs_artifacts) -> None:
    manifest, _ = docs_artifacts
    keyed = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        metadata = node.get("test_metadata", {})
        # a key of the model's column_rules test, or dbt's unique on a column
        if metadata.get("name") == "unique" or metadata.get("kwargs", {}).get("keys"):
            keyed.update(node["depends_on"]["nodes"])
    models = [u for u, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    assert models
    missing = [m for m in models if m not in keyed]
    assert not missing, missing


def test_unit_tests_cover_the_methodology(docs_artifacts) -> None:
    manifest, _ = docs_artifacts
    covered = {u["model"] for u in manifest.get("unit_tests", {}).values()}
    for model in ("int_events", "int_event_window_returns", "int_event_car",
                  "int_event_grank", "int_estimation_windows", "int_estimation_stats",
                  "fct_event_study_summary", "fct_event_study_daily",
                  "fct_sector_relative_performance",
                  "int_news_session_sentiment", "int_news_sentiment_returns",
                  "fct_sentiment_return_summary",
                  "int_performance_returns", "fct_performance_summary", "fct_monthly_returns",
                  "int_ticker_yearly_return_stats",
                  "fct_basket_drawdowns", "fct_adr_premium",
                  "fct_dual_listing_event_reactions", "int_event_windows",
                  "int_home_line_daily_returns"):
        assert model in covered, model


def test_normal_cdf_macro_matches_erfc(sample_dbt_warehouse: Path,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    """Phi from the macro against 0.5 * erfc(-x / sqrt 2) on a grid: 1e-7 is what is promised."""
    workdir = tmp_path_factory.mktemp("dbt_inline")
    result = invoke_dbt(
        ["compile", "--inline",
         "select x, {{ normal_cdf('x') }} as phi, {{ two_sided_normal_p_value('x') }} as p "
         "from grid"],
        sample_dbt_warehouse, workdir,
    )
    assert result.success, result.exception
    sql = result.result.results[0].node.compiled_code
    grid = [i / 8 for i in range(-320, 321)] + [-40.0, 40.0, 7.0710678, 7.0710679]
    con = duckdb.connect()
    con.execute("create table grid (x double)")
    con.executemany("insert into grid values (?)", [[x] for x in grid])
    rows = con.execute(sql).fetchall()
    con.close()
    assert len(rows) == len(grid)
    worst_phi = worst_p = 0.0
    for x, phi, p in rows:
        want = 0.5 * math.erfc(-x / math.sqrt(2))
        worst_phi = max(worst_phi, abs(phi - want))
        worst_p = max(worst_p, abs(p - math.erfc(abs(x) / math.sqrt(2))))
        if abs(x) <= 8:  # the left tail keeps relative accuracy too
            assert abs(phi - want) <= 1e-7 * max(want, 1e-300) or abs(phi - want) < 1e-15
    assert worst_phi < 1e-7 and worst_p < 1e-7, (worst_phi, worst_p)


def test_every_mart_column_has_a_unit_from_the_vocabulary(docs_artifacts) -> None:
    manifest, _ = docs_artifacts
    vocabulary = unit_vocabulary()
    assert {"fraction", "index_points_base_100", "annualised_fraction"} <= vocabulary
    marts = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    assert marts
    problems = []
    for node in marts:
        assert node["columns"], node["name"]
        for name, column in node["columns"].items():
            unit = column.get("meta", {}).get("unit")
            if unit not in vocabulary:
                problems.append(f"{node['name']}.{name}: unit {unit!r}")
    assert not problems, "\n".join(problems)


# The marts that read another mart, each with its reason. Following dbt Labs' structure guide
# (build on separate marts thoughtfully: to pass information between grains), and only where
# the alternative is computing the same thing twice; dbt_project/README.md lists them.
MART_READS_MART: dict[tuple[str, str], str] = {}


def test_marts_are_contracted_and_read_only_intermediate_and_staging(docs_artifacts) -> None:
    """The layering: a seed is read only by staging, a mart only from int_ and stg_ models (and
    another mart only where MART_READS_MART says why), a published reference table only from its
    raw source, and no model reads one."""
    manifest, _ = docs_artifacts
    nodes = manifest["nodes"]
    problems = []
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        layer = node["fqn"][1]
        if layer == "reference":
            sources = node["depends_on"]["nodes"]
            if sources != [f"source.adrpulse.raw.{node['name']}"]:
                problems.append(f"reference.{node['name']} reads {sources}")
        for parent_id in node["depends_on"]["nodes"]:
            parent = nodes.get(parent_id)
            if parent is not None and parent["fqn"][1] == "reference" and (
                parent["resource_type"] == "model"
            ):
                problems.append(f"{node['name']} reads the published {parent['name']}")
        for parent_id in node["depends_on"]["nodes"]:
            parent = nodes.get(parent_id)
            if parent is None:
                continue
            if parent["resource_type"] == "seed" and layer != "staging":
                problems.append(f"{node['name']} reads the seed {parent['name']}")
            if layer == "marts" and parent["resource_type"] == "model" and not (
                parent["name"].startswith(("int_", "stg_"))
                or (node["name"], parent["name"]) in MART_READS_MART
            ):
                problems.append(f"{node['name']} reads {parent['name']}")
        if layer == "marts":
            if not node["config"]["contract"]["enforced"]:
                problems.append(f"{node['name']}: contract not enforced")
            untyped = [c for c, col in node["columns"].items() if not col.get("data_type")]
            if untyped:
                problems.append(f"{node['name']}: no data_type for {untyped}")
    assert not problems, "\n".join(problems)


def test_the_unit_tests_run_in_the_suite_and_pass(sample_dbt_warehouse: Path) -> None:
    """Pipeline builds skip dbt's unit tests (assets/dbt_models.py); this build of the sample is
    where they run, so every one must be in its results, passing."""
    results = json.loads((sample_dbt_warehouse.parent / "target" / "run_results.json").read_text())
    unit = [r for r in results["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 10, f"only {len(unit)} unit tests ran"
    assert {r["status"] for r in unit} == {"pass"}, [
        (r["unique_id"], r["status"]) for r in unit if r["status"] != "pass"
    ]


def execute_in(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for statement in statements:
            con.execute(statement)


def test_column_rules_fail_on_each_kind_of_break_and_count_the_rows(
    sample_dbt_warehouse: Path, tmp_path: Path
) -> None:
    """One column_rules test per model replaces per-column not_null / value-range /
    accepted_values tests and the key tests. On a copy of the sample's warehouse with two nulls,
    a NaN, a value outside an accepted list and a repeated key, the model's test fails, names
    each rule, and counts the offending rows (for the key, the key values repeated); the
    untouched copy passes."""
    warehouse = copy_of_warehouse(sample_dbt_warehouse, tmp_path)
    workdir = tmp_path / "dbt"
    clean = invoke_dbt(["test", "--select", "int_events__column_rules"], warehouse, workdir)
    assert clean.success, clean.exception

    con = duckdb.connect(str(warehouse))
    try:
        keys = con.execute(
            "select event_id, ticker from intermediate.int_events order by event_id, ticker limit 3"
        ).fetchall()
        con.execute(
            "update intermediate.int_events set group_name = null "
            "where event_id = ? and ticker = ?",
            list(keys[0]),
        )
        con.execute(
            "update intermediate.int_events set day_zero_date = null "
            "where event_id = ? and ticker = ?",
            list(keys[1]),
        )
        con.execute(
            "update intermediate.int_events set event_origin = 'rumour' "
            "where event_id = ? and ticker = ?",
            list(keys[2]),
        )
        # one (event_id, ticker) stored twice, three times
        for _ in range(2):
            con.execute(
                "insert into intermediate.int_events select * from intermediate.int_events "
                "where event_id = ? and ticker = ? limit 1",
                list(keys[2]),
            )
        con.execute(
            "update intermediate.int_daily_returns set daily_return = 'nan'::double "
            "where built_at = (select max(built_at) from intermediate.int_daily_returns) "
            "and daily_return is not null and ticker = "
            "(select min(ticker) from intermediate.int_daily_returns)"
            " and session_date = (select max(session_date) from intermediate.int_daily_returns)"
        )
        nan_rows = con.execute(
            "select count(*) from intermediate.int_daily_returns where isnan(daily_return)"
        ).fetchone()[0]
    finally:
        con.close()
    assert nan_rows == 1

    broken = invoke_dbt(
        ["test", "--select", "int_events__column_rules int_daily_returns__column_rules"],
        warehouse,
        workdir,
    )
    assert not broken.success
    results = {r.node.name: r for r in broken.result.results}
    events = results["int_events__column_rules"]
    # four broken rules: three rows, three of them each breaking one, and one key value repeated
    # (its extra copies break the accepted list too: 3 rows there)
    assert events.status == "fail" and events.failures == 1 + 1 + 3 + 1
    returns = results["int_daily_returns__column_rules"]
    assert returns.status == "fail" and returns.failures == 1

    con = duckdb.connect(str(warehouse))  # as dbt in-process opened it (not read-only)
    try:
        sql = (workdir / "target" / "compiled").rglob("int_events__column_rules.sql")
        rows = dict(con.execute(next(sql).read_text()).fetchall())
    finally:
        con.close()
    assert rows == {
        "group_name is not null": 1,
        "day_zero_date is not null": 1,
        "event_origin in (catalog, news, analyst)": 3,
        "unique (event_id, ticker)": 1,
    }


def _test_results(run, name: str) -> list[tuple[str, int]]:
    """(status, failures) of each result of the dbt test `name` in an invocation's results."""
    return [
        (str(r.status), r.failures) for r in run.result.results if r.node.name == name
    ]


def test_a_bar_on_a_day_without_a_session_is_flagged_by_name(
    sample_dbt_warehouse: Path, tmp_path: Path
) -> None:
    """assert_daily_bars_on_sessions (a warning): on a copy of the sample, a bar dated on
    Independence Day (no XNYS session) is reported with its ticker and date, and only it; the
    untouched copy passes."""
    warehouse = copy_of_warehouse(sample_dbt_warehouse, tmp_path)
    workdir = tmp_path / "dbt"
    clean = invoke_dbt(["test", "--select", "assert_daily_bars_on_sessions"], warehouse, workdir)
    assert clean.success, clean.exception
    assert _test_results(clean, "assert_daily_bars_on_sessions") == [("pass", 0)]

    execute_in(
        warehouse,
        "insert into raw.daily_bars select * replace (date '2025-07-04' as session_date) "
        "from raw.daily_bars where ticker = 'BABA' and session_date = "
        "(select max(session_date) from raw.daily_bars where ticker = 'BABA')",
    )
    flagged = invoke_dbt(["test", "--select", "assert_daily_bars_on_sessions"], warehouse, workdir)
    assert _test_results(flagged, "assert_daily_bars_on_sessions") == [("warn", 1)]
    with duckdb.connect(str(warehouse)) as con:
        sql = next((workdir / "target" / "compiled").rglob("assert_daily_bars_on_sessions.sql"))
        assert con.execute(sql.read_text()).fetchall() == [("BABA", date(2025, 7, 4))]


def test_an_event_scope_of_a_group_a_lower_case_ticker_and_a_typo(
    sample_dbt_warehouse: Path, tmp_path: Path
) -> None:
    """A user's catalogued event scoped "us_megacap nio chnia_adr": int_events gives it every
    us_megacap member and NIO (the token read case-insensitively, as typed), and
    assert_event_scope_tokens_resolve (a warning) names the typo, and only it."""
    warehouse = copy_of_warehouse(sample_dbt_warehouse, tmp_path)
    workdir = tmp_path / "dbt"
    execute_in(
        warehouse,
        "insert into raw.event_catalog values ('user_scope_check', 'A user event', null, "
        "date '2025-03-04', 'America/New_York', 'us_megacap nio chnia_adr', 'test', false)",
    )
    run = invoke_dbt(
        ["build", "--select", "int_events", "assert_event_scope_tokens_resolve",
         "--exclude-resource-type", "unit_test"],
        warehouse,
        workdir,
    )
    assert _test_results(run, "assert_event_scope_tokens_resolve") == [("warn", 1)]
    with duckdb.connect(str(warehouse)) as con:
        sql = next((workdir / "target" / "compiled").rglob("assert_event_scope_tokens_resolve.sql"))
        assert con.execute(sql.read_text()).fetchall() == [("user_scope_check", "chnia_adr")]
        megacaps = {
            t for (t,) in con.execute(
                "select ticker from intermediate.int_ticker_groups where group_name = 'us_megacap'"
            ).fetchall()
        }
        rows = con.execute(
            "select ticker, scope_token, adr_ticker from intermediate.int_events "
            "where event_id = 'user_scope_check'"
        ).fetchall()
    assert megacaps and "NIO" not in megacaps
    us_listings = {ticker: token for ticker, token, adr in rows if adr is None}
    assert us_listings == {**{t: "us_megacap" for t in megacaps}, "NIO": "nio"}
    # a dual-listed ADR named brings its Hong Kong line, with the ADR's token
    home_lines = {(ticker, adr, token) for ticker, token, adr in rows if adr is not None}
    assert ("9866.HK", "NIO", "nio") in home_lines
    assert all(us_listings[adr] == token for _, adr, token in home_lines)


def test_performance_returns_tests_read_the_latest_build_and_every_basket_row(
    sample_dbt_warehouse: Path, tmp_path: Path
) -> None:
    """int_performance_returns is a view over all history; its grain test and column rules read
    the rows the latest int_daily_returns build wrote and every basket row (built_at), as a daily
    update would. On a copy of the sample where most ticker rows come from an older build: a
    broken older row is left to the build that wrote it, a broken latest row fails the column
    rules, and a duplicated latest row fails the key (both one test, one row per broken rule)."""
    warehouse = copy_of_warehouse(sample_dbt_warehouse, tmp_path)
    workdir = tmp_path / "dbt"
    tests = "int_performance_returns__column_rules"
    latest = "(select max(session_date) from intermediate.int_daily_returns)"

    execute_in(
        warehouse,
        # every row but the last session's as if written by an earlier build
        "update intermediate.int_daily_returns set built_at = built_at - interval 1 day "
        f"where session_date < {latest}",
        "update intermediate.int_daily_returns set return_since_previous_close = -2 "
        "where ticker = 'BABA' and session_date = (select min(session_date) "
        "from intermediate.int_daily_returns where ticker = 'BABA' "
        "and return_since_previous_close is not null)",
    )
    older_broken = invoke_dbt(["test", "--select", tests], warehouse, workdir)
    assert older_broken.success, older_broken.exception

    execute_in(
        warehouse,
        "update intermediate.int_daily_returns set return_since_previous_close = -2 "
        f"where ticker = 'JD' and session_date = {latest}",
        "insert into intermediate.int_daily_returns "
        "select * from intermediate.int_daily_returns "
        f"where ticker = 'PDD' and session_date = {latest}",
    )
    broken = invoke_dbt(["test", "--select", tests], warehouse, workdir)
    assert not broken.success
    rules = next(r for r in broken.result.results if r.node.name == tests)
    # JD's latest row only, not BABA's; PDD's latest session, once
    assert rules.status == "fail" and rules.failures == 2
    con = duckdb.connect(str(warehouse))  # as dbt in-process opened it (not read-only)
    try:
        broken_rules = dict(con.execute(rules.node.compiled_code).fetchall())
    finally:
        con.close()
    assert broken_rules == {"daily_return between -1 and inf": 1,
                            "unique (subject, session_date)": 1}


def test_welch_t_p_value_is_exact_for_fractional_df(
    sample_dbt_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The Welch test's p-value, compiled by dbt as fct_sentiment_return_summary uses it (macro
    student_t_two_sided_p_value with a fractional df), against scipy.stats.t to 1e-9 relative.
    Until issue 15 it was Hill's approximation, up to 3e-3 off below 2 df."""
    workdir = tmp_path_factory.mktemp("dbt_inline_t")
    result = invoke_dbt(
        ["compile", "--inline",
         "select t, df, {{ student_t_two_sided_p_value('t', 'df') }} as p from grid"],
        sample_dbt_warehouse, workdir,
    )
    assert result.success, result.exception
    sql = result.result.results[0].node.compiled_code
    grid = [(t / 8, df) for t in range(-96, 97)
            for df in (1.0, 1.5, 2.0, 2.5, 3.0, 4.4, 7.0, 12.5, 30.0, 200.0)]
    con = duckdb.connect()
    con.execute("create table grid (t double, df double)")
    con.executemany("insert into grid values (?, ?)", grid)
    rows = con.execute(sql).fetchall()
    nulls = con.execute(sql.replace("from grid", "from (select null::double as t, 0.5 as df)"))
    assert nulls.fetchall() == [(None, 0.5, None)]
    con.close()
    assert len(rows) == len(grid)
    for t, df, p in rows:
        want = min(1.0, 2.0 * stats.t.sf(abs(t), df))
        assert abs(p - want) <= 1e-9 * want, (t, df, p, want)


def test_column_rules_without_a_rule_is_refused_by_name(tmp_path: Path) -> None:
    """A column_rules test given no key and no rule would compile to a query over nothing: dbt
    refuses it at compile time, naming the model and the arguments it takes."""
    compiled = invoke_dbt(
        ["compile", "--inline", "{{ test_column_rules(model='people') }}"],
        tmp_path / "w.duckdb", tmp_path,
    )
    assert not compiled.success
    # dbt wraps the test's CompilationError in "Error parsing inline query"
    message = str(compiled.exception.__context__)
    assert "column_rules on people names no rule" in message
    assert "keys, not_null, between or accepted" in message


def _compile_inline(inline: str, tmp_path: Path) -> str:
    """The SQL dbt compiles from an inline snippet of the project's macros."""
    compiled = invoke_dbt(["compile", "--inline", inline], tmp_path / "w.duckdb", tmp_path)
    assert compiled.success, compiled.exception
    return compiled.result.results[0].node.compiled_code


def _key_check_after_a_daily_update_and_a_full_build(
    sql: str, table_ddl: str, table: str, rows: list[tuple]
) -> tuple[list[tuple], list[tuple]]:
    """A compiled key check run on `rows` as stored (built_at 1 = an older build, 2 = the
    latest), then with every row stamped by the latest build, as after a full build."""
    con = duckdb.connect()
    try:
        con.execute(table_ddl)
        insert_rows(con, f"insert into {table}", rows)
        daily_update = con.execute(sql + " order by all").fetchall()
        con.execute(f"update {table} set built_at = 2")
        full_build = con.execute(sql + " order by all").fetchall()
    finally:
        con.close()
    return daily_update, full_build


def test_column_rules_keep_an_accepted_value_with_a_quote_one_literal(tmp_path: Path) -> None:
    """An accepted value such as O'Neil is quoted by doubling its quote: the rendered rule runs,
    passes the listed values and counts the one row outside them."""
    inline = (
        "{{ test_column_rules(model='people', not_null=['name'], "
        "accepted={'name': [\"O'Neil\", 'Smith']}) }}"
    )
    sql = _compile_inline(inline, tmp_path)
    con = duckdb.connect()
    try:
        con.execute("create table people as select * from (values ('O''Neil'), ('Smith'), "
                    "('Jones'), (null)) t(name)")
        rows = dict(con.execute(sql).fetchall())
    finally:
        con.close()
    assert rows == {"name is not null": 1, "name in (O'Neil, Smith)": 1}


def test_a_key_check_scopes_each_series_to_its_own_latest_rows(tmp_path: Path) -> None:
    """column_rules' key with latest_rows_by, compiled inline and run on a table of four series:
    A rewritten whole by the latest build (as a basket of int_performance_returns always is), B
    and C and D given one new session. B's duplicate among rows an older build wrote is that
    build's to report; C's duplicated new row and D's new row repeating a stored session are this
    build's. Before the bound was per series, A's rewrite made the check read B's whole history
    and count its old duplicate too. With every row from one build the table is checked whole.
    The rule's name is the key; its count is how many key values repeat."""
    inline = (
        "{{ test_column_rules(model='bars', keys=[{'columns': ['ticker', 'session_date'], "
        "'latest_rows_by': 'built_at'}]) }}"
    )
    sql = _compile_inline(inline, tmp_path)
    stored = [("A", day, 2) for day in range(1, 12)]
    stored += [(ticker, day, 1) for ticker in "BCD" for day in range(1, 11)]
    stored += [("B", 3, 1), ("B", 11, 2), ("C", 11, 2), ("C", 11, 2), ("D", 10, 2), ("D", 11, 2)]
    daily_update, full_build = _key_check_after_a_daily_update_and_a_full_build(
        sql,
        "create table bars (ticker varchar, session_date date, built_at integer)",
        "bars",
        [(ticker, date(2025, 1, day), built) for ticker, day, built in stored],
    )
    assert daily_update == [("unique (ticker, session_date)", 2)]  # C's and D's
    assert full_build == [("unique (ticker, session_date)", 3)]  # and B's


def test_a_key_check_of_pairs_rewritten_whole_reads_the_latest_pairs(tmp_path: Path) -> None:
    """column_rules' key with latest_rows_by and rewritten_whole_by (int_event_abnormal_ranks:
    a run rewrites every row of an event-ticker pair together), compiled inline and run on four
    pairs: e1/A kept from an older build with a duplicate of its own (that build's to report),
    e2/B ranked again with a duplicated row, e3/C ranked again cleanly, and e4/D ranked again
    while one stale row of the older build survived beside it (the strategy failed to delete it).
    The daily check counts B's and D's; with every row from one build the table is checked
    whole."""
    inline = (
        "{{ test_column_rules(model='ranks', keys=[{'columns': ['event_id', 'ticker', "
        "'relative_day'], 'latest_rows_by': 'built_at', "
        "'rewritten_whole_by': ['event_id', 'ticker']}]) }}"
    )
    sql = _compile_inline(inline, tmp_path)
    rows = [("e1", "A", day, 1) for day in (-2, -1, 0)] + [("e1", "A", -1, 1)]
    rows += [("e2", "B", day, 2) for day in (-2, -1, 0)] + [("e2", "B", 0, 2)]
    rows += [("e3", "C", day, 2) for day in (-2, -1, 0)]
    rows += [("e4", "D", day, 2) for day in (-2, -1, 0)] + [("e4", "D", -2, 1)]
    daily_update, full_build = _key_check_after_a_daily_update_and_a_full_build(
        sql,
        "create table ranks (event_id varchar, ticker varchar, relative_day integer, "
        "built_at integer)",
        "ranks",
        rows,
    )
    assert daily_update == [("unique (event_id, ticker, relative_day)", 2)]  # B's and D's
    assert full_build == [("unique (event_id, ticker, relative_day)", 3)]  # and A's


def test_the_dbt_macro_exchange_of_follows_the_python_rule(tmp_path: Path) -> None:
    """The dbt macro exchange_of (macros/exchanges.sql) and assets/calendar.exchange_of decide a
    ticker's calendar by the same rule: compiled inline and run on every kind of Yahoo symbol the
    pipeline meets (US listings, OTC ADRs, Hong Kong lines in any case, FX pairs, indices)."""
    from assets.calendar import exchange_of

    tickers = ["BABA", "BYDDY", "SPY", "BRK-B", "9988.HK", "9988.hk", "2800.HK", "0700.HK",
               "HKD=X", "hkd=x", "EURUSD=X", "^HSI", "^hsce", "^GSPC", "HK", "XHK", "=X"]
    values = ", ".join("('" + t + "')" for t in tickers)
    inline = (f"select t.ticker, {{{{ exchange_of('t.ticker') }}}} as exchange "
              f"from (values {values}) as t(ticker)")
    sql = _compile_inline(inline, tmp_path)
    with duckdb.connect() as con:
        in_dbt = dict(con.execute(sql).fetchall())
    in_python = {t: exchange_of(t) for t in tickers}
    assert in_dbt == in_python
    assert set(in_python.values()) == {"XNYS", "XHKG", "FX"}  # every branch of the rule is met
