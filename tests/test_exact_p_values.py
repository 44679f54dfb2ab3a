"""The dbt macros that give small-sample p-values (dbt_project/macros/exact_p_values.sql),
rendered with plain Jinja and run in DuckDB, against scipy.stats: Student t two-sided p-values
over a grid of t and df 1..500 and fractional df up to 20000, exact binomial p-values against
binomtest, to a relative 1e-9."""

from __future__ import annotations

import math

import duckdb
import jinja2
import numpy as np
import pytest
from scipy import stats

from tests.support.dbt import DBT_DIR

MACROS = DBT_DIR / "macros" / "exact_p_values.sql"
NORMAL_MACROS = DBT_DIR / "macros" / "normal_cdf.sql"
RELATIVE_TOLERANCE = 1e-9


def _macros():
    """The macro files as one Jinja module: their macros are plain Jinja (no dbt context)."""
    source = NORMAL_MACROS.read_text() + "\n" + MACROS.read_text()
    return jinja2.Environment().from_string(source).module


def _t_grid() -> list[tuple[float, int]]:
    # (t = 1e-8 at df = 1 is checked apart: scipy's t.sf loses 3e-9 there)
    ts = [0.0, 1e-7, 0.001, 0.1, 0.5, 0.9, 1.0, 1.5, 1.96, 2.0, 2.5, 3.0, 3.3, 4.0, 5.0, 6.3,
          8.0, 10.0, 12.7, 20.0, 31.8, 45.0, 60.0]
    dfs = list(range(1, 61)) + [75, 99, 100, 101, 149, 200, 250, 333, 499, 500]
    grid = [(t, df) for t in ts for df in dfs]
    # negative statistics give the same two-sided p-value
    grid += [(-t, df) for t in (0.7, 2.2, 7.5) for df in (1, 2, 9, 10, 500)]
    # a random spread between the fixed points
    rng = np.random.default_rng(15)
    grid += [(float(t), int(df)) for t, df in
             zip(rng.uniform(0, 15, 400), rng.integers(1, 501, 400), strict=True)]
    return grid


def _run(sql_expr: str, rows: list[tuple], columns: str) -> list:
    con = duckdb.connect()
    con.execute(f"create table g ({columns})")
    con.executemany(f"insert into g values ({', '.join('?' * len(rows[0]))})", rows)
    return [r[0] for r in con.execute(f"select {sql_expr} from g order by rowid").fetchall()]


def _assert_close(got: float, want: float, label: str) -> None:
    # values below 1e-290 are zero to any reader; scipy itself underflows around there
    if want < 1e-290:
        assert got < 1e-280, label
        return
    assert math.isfinite(got), label
    assert abs(got - want) <= RELATIVE_TOLERANCE * want, f"{label}: {got!r} vs scipy {want!r}"


def test_student_t_p_value_matches_scipy_over_t_and_df_grid() -> None:
    grid = _t_grid()
    got = _run(_macros().student_t_two_sided_p_value("t", "df"), grid, "t double, df integer")
    for (t, df), p in zip(grid, got, strict=True):
        want = 2.0 * stats.t.sf(abs(t), df)
        _assert_close(p, min(want, 1.0), f"t={t}, df={df}")


def test_student_t_p_value_matches_scipy_for_fractional_and_large_df() -> None:
    # Welch's test has fractional df; large df reach the continued fraction's slowest region.
    ts = [0.001, 0.1, 0.5, 1.0, 1.5, 1.96, 2.5, 3.3, 5.0, 8.0, 12.7, 20.0, 45.0, 60.0]
    dfs = [1.0, 1.1, 1.5, 1.99, 2.25, 2.7, 3.5, 4.4, 7.9, 12.5, 37.6, 150.5, 499.9, 2345.6,
           20000.0]
    grid = [(t, df) for t in ts for df in dfs]
    got = _run(_macros().student_t_two_sided_p_value("t", "df"), grid, "t double, df double")
    for (t, df), p in zip(grid, got, strict=True):
        _assert_close(p, min(2.0 * stats.t.sf(t, df), 1.0), f"t={t}, df={df}")


def test_student_t_p_value_near_zero_at_one_df() -> None:
    # t(1) is the Cauchy distribution: p = 1 - (2/pi) atan|t|. scipy.stats.t.sf(1e-8, 1) is off by
    # 3e-9 here; scipy.stats.cauchy.sf and the closed form agree with the macro.
    (p,) = _run(_macros().student_t_two_sided_p_value("t", "df"), [(1e-8, 1)],
                "t double, df integer")
    assert p == pytest.approx(1 - 2 / math.pi * math.atan(1e-8), rel=1e-15)
    assert p == pytest.approx(2 * stats.cauchy.sf(1e-8), rel=1e-15)


def test_student_t_p_value_small_sample_example_of_the_issue() -> None:
    # N = 2 pairs: a t of 12.7062 is the two-sided 5% critical value of t(1), where the normal
    # gives 6e-37.
    (p,) = _run(_macros().student_t_two_sided_p_value("t", "df"), [(12.706204736174707, 1)],
                "t double, df integer")
    assert p == pytest.approx(0.05, rel=1e-12)


def test_student_t_p_value_nulls() -> None:
    rows = [(None, 5), (float("nan"), 5), (1.0, None), (1.0, 0), (float("inf"), 3)]
    got = _run(_macros().student_t_two_sided_p_value("t", "df"), rows, "t double, df integer")
    assert got == [None, None, None, None, 0.0]


def test_binomial_p_value_matches_scipy_binomtest() -> None:
    rows = [(k, n) for n in range(1, 61) for k in range(n + 1)]
    rows += [(k, n) for n in (99, 100, 250, 500) for k in (0, 1, n // 3, n // 2 - 1, n // 2, n)]
    got = _run(_macros().binomial_two_sided_p_value("k", "n"), rows, "k integer, n integer")
    for (k, n), p in zip(rows, got, strict=True):
        want = stats.binomtest(k, n, 0.5).pvalue
        _assert_close(p, want, f"k={k}, n={n}")


def test_binomial_p_value_is_exact_for_small_n() -> None:
    # 2 * (C(9,0) + C(9,1) + C(9,2)) / 2^9 = 92 / 512, and 2 / 2^3 for 3 of 3: exact in binary.
    got = _run(_macros().binomial_two_sided_p_value("k", "n"), [(2, 9), (3, 3), (7, 9)],
               "k integer, n integer")
    assert got == [92 / 512, 0.25, 92 / 512]


def test_p_values_accept_expressions() -> None:
    # arguments are parenthesised: "n - 1" must not bind into "% 2" or "2 * k"
    sql = (f"{_macros().student_t_two_sided_p_value('t', 'n - 1')}, "
           f"{_macros().binomial_two_sided_p_value('k + 0', 'n - 1')}")
    con = duckdb.connect()
    p_t, p_b = con.execute(f"select {sql} from (select 1.0 as t, 3 as n, 2 as k)").fetchone()
    assert p_t == pytest.approx(1 - 1 / math.sqrt(3), rel=1e-14)
    assert p_b == 0.5  # 2 of 2: 2 * (1/4)


def test_binomial_p_value_nulls() -> None:
    rows = [(None, 5), (1, None), (0, 0), (6, 5), (-1, 5)]
    got = _run(_macros().binomial_two_sided_p_value("k", "n"), rows, "k integer, n integer")
    assert got == [None] * 5


def _signed_rank(x: np.ndarray) -> tuple[float, int, float]:
    """W+ (average ranks, zeros dropped), n and the tie sum, as the model computes them."""
    x = x[x != 0]
    ranks = stats.rankdata(np.abs(x))
    _, counts = np.unique(np.abs(x), return_counts=True)
    return float(ranks[x > 0].sum()), len(x), float((counts**3 - counts).sum())


def test_wilcoxon_p_value_matches_scipy() -> None:
    rng = np.random.default_rng(1945)
    samples = [rng.normal(shift, 1.0, n) for n in range(1, 81) for shift in (0.0, 0.4, -1.0)]
    samples += [np.arange(1.0, n + 1) for n in (5, 20, 50, 51)]  # every value positive
    # ties among |x| beyond n = 50, where scipy's default is the normal approximation
    samples += [np.round(rng.normal(0.3, 1.0, n), 1) for n in (60, 120)]
    rows = [_signed_rank(x) for x in samples]
    got = _run(_macros().wilcoxon_two_sided_p_value("w", "n", "ties"), rows,
               "w double, n integer, ties double")
    for x, p, row in zip(samples, got, rows, strict=True):
        want = float(stats.wilcoxon(x).pvalue)
        # the normal branch is the normal_cdf macro, 1e-14 absolute
        tolerance = RELATIVE_TOLERANCE * want if row[1] <= 50 else 1e-13
        assert abs(p - want) <= tolerance, (row, p, want)


def test_wilcoxon_exact_p_value_with_ties_rounds_like_scipy_exact() -> None:
    # a tied W+ of 3.5 (ranks 1.5, 1.5, 3, ...): conservative rounding as scipy's exact method
    x = np.array([0.1, -0.1, 0.3, -0.4, 0.5, 0.6, -0.7])
    row = _signed_rank(x)
    (p,) = _run(_macros().wilcoxon_two_sided_p_value("w", "n", "ties"), [row],
                "w double, n integer, ties double")
    assert p == pytest.approx(float(stats.wilcoxon(x, method="exact").pvalue), rel=1e-12)


def test_wilcoxon_p_value_small_exact_values() -> None:
    # n = 3, W+ = 6 (all positive): P(W >= 6) = 1/8, p = 0.25; W+ = 3 is the centre: p = 1
    got = _run(_macros().wilcoxon_two_sided_p_value("w", "n", "ties"),
               [(6.0, 3, 0.0), (3.0, 3, 0.0), (None, 3, 0.0)], "w double, n integer, ties double")
    assert got == [0.25, 1.0, None]
