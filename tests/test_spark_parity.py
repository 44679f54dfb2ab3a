"""The dbt `spark` target against DuckDB: `adrpulse build --target spark` on the sample builds
every model tagged `spark` on a local Apache Spark, and each of those tables has the same keys and
the same values (to 1e-9, NULLs in the same places) as the DuckDB build of the same raw data.

Skips, saying what to install, where the Spark extra or Java is missing (.ci/run installs both).
The Spark tables are read from their Parquet files, as any reader of the target would."""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from assets.spark_target import spark_unavailable
from tests.support.cli import run_cli
from tests.support.dbt import DBT_DIR

MISSING = spark_unavailable()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"spark target: {MISSING}")

TOLERANCE = 1e-9
# Columns that say when a table was built, not what it holds.
BUILD_TIME_COLUMNS = {"built_at"}
# Each engine's own 64-bit hash (DuckDB's hash, Spark's xxhash64): compared within an engine only
# (int_ticker_yearly_return_stats' incremental runs, DuckDB-only, read it).
ENGINE_HASH_COLUMNS = {"inputs_key"}
# Tables the sample leaves empty on purpose: the factor models are fitted only under
# ADRPULSE_EXPECTED_RETURN_MODEL constant_mean, ff3 or ff5, and the sample builds the default
# market_model. Their columns and (no) keys are still compared: both engines must agree on that.
EMPTY_UNDER_DEFAULT_MODEL = {"int_factor_model_fit", "int_factor_abnormal_returns"}


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Path):
    """A home holding the DuckDB build of the sample, then `adrpulse build --target spark`. The
    sample as `adrpulse demo` builds it: prices, news with their sentiment, analyst actions and
    valuation snapshots, so every portable mart has rows to compare."""
    home = tmp_path_factory.mktemp("spark_home")
    # the models dbt built may still be in the write-ahead log beside the file
    for suffix in ("", ".wal"):
        source = sample_warehouse.with_name(sample_warehouse.name + suffix)
        if source.exists():
            shutil.copy(source, home / f"warehouse.duckdb{suffix}")
    result = run_cli(home, "build", "--target", "spark", timeout=3600)
    return home, result


def manifest() -> dict:
    return json.loads((DBT_DIR / "target" / "manifest.json").read_text())


def tagged_tables(nodes: dict) -> list[dict]:
    return sorted(
        (
            n for n in nodes.values()
            if n["resource_type"] == "model" and "spark" in n["tags"]
            and n["config"]["materialized"] != "view"
        ),
        key=lambda n: n["unique_id"],
    )


def model_keys(nodes: dict, unique_id: str) -> list[str]:
    """The model's key, from the keys of its column_rules data test (or a unique test)."""
    keys = []
    for n in nodes.values():
        meta = n.get("test_metadata") or {}
        if n["resource_type"] == "test" and n.get("attached_node") == unique_id:
            if meta.get("name") == "column_rules":
                for key in meta["kwargs"].get("keys") or []:
                    keys.append(list(key["columns"] if isinstance(key, dict) else key))
            elif meta.get("name") == "unique":
                keys.append([meta["kwargs"]["column_name"]])
    assert keys, f"{unique_id} is tagged spark but declares no tested key to compare on"
    return sorted(keys, key=lambda k: (-len(k), k))[0]


def test_spark_build_says_how_many_models_are_portable(spark_build) -> None:
    """Every model builds on Spark (tag spark): a new model that is DuckDB-only fails here, so
    the two targets keep building the same marts."""
    home, result = spark_build
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    nodes = manifest()["nodes"]
    models = [n for n in nodes.values() if n["resource_type"] == "model"]
    tagged = [n for n in models if "spark" in n["tags"]]
    assert f"{len(tagged)} of {len(models)} models are portable" in result.stdout
    assert len(tagged) == len(models), sorted(
        n["name"] for n in models if "spark" not in n["tags"]
    )
    # the data tests of the portable models ran on Spark (and passed: the build succeeded), the
    # ones also reading a DuckDB-only model did not
    portable = {n["unique_id"] for n in nodes.values() if "spark" in n["tags"]}
    portable_tests = [
        n for n in nodes.values()
        if n["resource_type"] == "test" and set(n["depends_on"]["nodes"]) <= portable
    ]
    ran = re.search(r"Finished running .* (\d+) data tests?", result.stdout)
    assert ran, result.stdout[-4000:]
    assert int(ran.group(1)) == len(portable_tests) > 0
    # every table of the raw schema reached Spark as Parquet
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        raw = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()}
    assert raw == {p.name for p in (home / "spark" / "raw").iterdir()}


def test_every_tagged_table_matches_duckdb(spark_build) -> None:
    home, result = spark_build
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    nodes = manifest()["nodes"]
    tables = tagged_tables(nodes)
    assert any(n["config"].get("schema") == "marts" for n in tables), "no tagged mart"
    problems: list[str] = []
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        for node in tables:
            schema, name = node["config"]["schema"], node["name"]
            files = home / "spark" / "warehouse" / f"{schema}.db" / name
            assert list(files.glob("*.parquet")), f"Spark wrote no Parquet for {schema}.{name}"
            keys = model_keys(nodes, node["unique_id"])
            duck = con.execute(f"select * from {schema}.{name}").df()
            spark = duckdb.sql(
                f"select * from read_parquet('{files.as_posix()}/*.parquet')"
            ).df()
            assert list(spark.columns) == list(duck.columns), f"{schema}.{name}: columns differ"
            compare = [c for c in duck.columns
                       if c not in BUILD_TIME_COLUMNS | ENGINE_HASH_COLUMNS]
            duck_rows = {
                tuple(comparable(r[k]) for k in keys): r for r in duck[compare].to_dict("records")
            }
            spark_rows = {
                tuple(comparable(r[k]) for k in keys): r for r in spark[compare].to_dict("records")
            }
            assert len(duck_rows) == len(duck) and len(spark_rows) == len(spark), name
            assert set(duck_rows) == set(spark_rows), (
                f"{schema}.{name}: keys differ ({len(set(duck_rows) ^ set(spark_rows))} rows)"
            )
            assert duck_rows or name in EMPTY_UNDER_DEFAULT_MODEL, (
                f"{schema}.{name} is empty on the sample: nothing compared"
            )
            for key, want in duck_rows.items():
                got = spark_rows[key]
                for column in compare:
                    if not same_value(want[column], got[column]):
                        problems.append(
                            f"{schema}.{name} {dict(zip(keys, key, strict=True))} {column}: "
                            f"DuckDB {want[column]!r}, Spark {got[column]!r}"
                        )
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:10])


def comparable(value):
    """A value as both engines' Parquet read back can be compared: a list column is a numpy
    array (a tuple here); a timestamp is an instant, which DuckDB's timestamptz reads back with a
    time zone and Spark's TIMESTAMP without one (UTC, the session's zone): both become naive UTC."""
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(comparable(v) for v in value)
    if isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        return value.tz_convert("UTC").tz_localize(None)
    return value


def is_null(value) -> bool:
    if isinstance(value, np.ndarray | list | tuple):
        return False
    try:
        return value is None or bool(value != value)  # None, NaN, NaT, pandas NA
    except TypeError:
        return False


def same_value(want, got) -> bool:
    want, got = comparable(want), comparable(got)
    if isinstance(want, tuple) or isinstance(got, tuple):
        return (
            isinstance(want, tuple) and isinstance(got, tuple) and len(want) == len(got)
            and all(same_value(w, g) for w, g in zip(want, got, strict=True))
        )
    if is_null(want) or is_null(got):
        return is_null(want) and is_null(got)
    if isinstance(want, float) or isinstance(got, float):
        return math.isclose(float(want), float(got), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return want == got


def test_missing_java_names_the_next_step(tmp_path: Path) -> None:
    """Without a Java runtime the build stops before exporting anything and says what to install."""
    venv_bin = Path(sys.executable).parent
    result = run_cli(tmp_path, "build", "--target", "spark",
                     env={"PATH": str(venv_bin), "JAVA_HOME": ""})
    assert result.returncode == 1
    assert re.search(r"openjdk-17-jre-headless", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "spark" / "raw").exists()



def _spark_p_value_macros():
    """exact_p_values.sql's macros as dbt renders them on the spark target: adapter.dispatch picks
    the spark__ versions (here a stand-in adapter does, and `return` gives its value, as in dbt)."""
    import jinja2

    from tests.test_exact_p_values import MACROS, NORMAL_MACROS

    holder = {}

    class SparkDispatch:
        @staticmethod
        def dispatch(name):
            return getattr(holder["module"], f"spark__{name}")

    source = NORMAL_MACROS.read_text() + "\n" + MACROS.read_text()
    module = jinja2.Environment().from_string(source).make_module(
        vars={"adapter": SparkDispatch, "return": lambda value: value})
    holder["module"] = module
    return module


@pytest.fixture(scope="module")
def spark_session(tmp_path_factory: pytest.TempPathFactory):
    """A local Spark session as the spark target configures it (ANSI off, UTC)."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]").appName("p_values")
        .config("spark.ui.enabled", "false").config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("p_values_warehouse")))
        .getOrCreate()
    )
    yield spark
    spark.stop()


def _spark_values(spark, expression: str, rows: list[tuple], schema: str) -> list:
    """`expression` over `rows` in Spark, in the rows' order."""
    frame = spark.createDataFrame([(i, *row) for i, row in enumerate(rows)], f"i int, {schema}")
    got = {r["i"]: r["p"] for r in frame.selectExpr("i", f"{expression} as p").collect()}
    return [got[i] for i in range(len(rows))]


def test_student_t_p_value_on_spark_matches_scipy(spark_session) -> None:
    """The Student t p-value of the event-study marts on Spark (aggregate() for DuckDB's
    list_reduce, a Lanczos series for the lgamma Spark lacks) against scipy to a relative 1e-9,
    over the whole df of the event study and the fractional, large df of Welch's test."""
    from scipy import stats

    from tests.test_exact_p_values import _t_grid

    grid = [(float(t), float(df)) for t, df in _t_grid()] + [
        (t, df) for t in (0.001, 0.5, 1.96, 3.3, 8.0, 20.0)
        for df in (1.1, 2.7, 37.6, 499.9, 2345.6, 20000.0)
    ]
    expression = _spark_p_value_macros().student_t_two_sided_p_value("t", "df")
    assert "lgamma" not in expression and "aggregate(" in expression
    got = _spark_values(spark_session, expression,
                        grid + [(None, 5.0), (float("inf"), 3.0), (0.0, 4.0)],
                        "t double, df double")
    for (t, df), p in zip(grid, got, strict=False):
        want = min(2.0 * stats.t.sf(abs(t), df), 1.0)
        if want < 1e-290:
            assert p < 1e-280, (t, df)
            continue
        assert abs(p - want) <= TOLERANCE * want, f"t={t}, df={df}: {p!r} vs {want!r}"
    assert got[len(grid):] == [None, 0.0, 1.0]


def test_sign_and_wilcoxon_p_values_on_spark_match_duckdb(spark_session) -> None:
    """The exact binomial and Wilcoxon p-values of fct_event_study_summary on Spark: the sign
    test's up to 50 pairs is the exact value correctly rounded (its binomial coefficients are exact
    integers; DuckDB's rounded exp(lgamma()) is one off for a few, C(49, 20), so DuckDB's is within
    1e-13 of it), and within 1e-9 of DuckDB's everywhere; Wilcoxon's is DuckDB's to the last bit up
    to 50 pairs (integer counts on both), 1e-13 above (the normal approximation)."""
    from fractions import Fraction

    from tests.test_exact_p_values import _macros, _run, _signed_rank

    duck, spark = _macros(), _spark_p_value_macros()
    binomial = [(k, n) for n in range(1, 61) for k in range(n + 1)]
    binomial += [(k, n) for n in (99, 250, 500) for k in (0, 1, n // 3, n // 2 - 1, n // 2, n)]
    binomial += [(None, 5), (6, 5), (-1, 5)]
    want = _run(duck.binomial_two_sided_p_value("k", "n"), binomial, "k integer, n integer")
    got = _spark_values(spark_session, spark.binomial_two_sided_p_value("k", "n"), binomial,
                        "k int, n int")
    for (k, n), w, g in zip(binomial, want, got, strict=True):
        if w is None:
            assert g is None, (k, n, g)
            continue
        assert abs(g - w) <= TOLERANCE * w, (k, n, w, g)
        if n <= 50 and 2 * k != n:
            tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1))
            assert g == float(min(Fraction(2 * tail, 2**n), Fraction(1))), (k, n, g)

    rng = np.random.default_rng(1945)
    samples = [rng.normal(shift, 1.0, n) for n in range(1, 61) for shift in (0.0, 0.4, -1.0)]
    samples += [np.array([0.1, -0.1, 0.3, -0.4, 0.5, 0.6, -0.7])]  # a tied, non-integral W+
    wilcoxon = [_signed_rank(x) for x in samples] + [(None, 3, 0.0)]
    want = _run(duck.wilcoxon_two_sided_p_value("w", "n", "ties"), wilcoxon,
                "w double, n integer, ties double")
    got = _spark_values(spark_session, spark.wilcoxon_two_sided_p_value("w", "n", "ties"),
                        wilcoxon, "w double, n int, ties double")
    for row, w, g in zip(wilcoxon, want, got, strict=True):
        assert (g == w) if w is None or row[1] <= 50 else abs(g - w) <= 1e-13, (row, w, g)
