"""Incremental dbt runs give the same marts as a build from scratch.

int_daily_returns, fct_ticker_performance and int_event_windows are incremental models driven by
raw fetch ids (dbt_project/macros/incremental_prices.sql). Here one warehouse is built on the
sample archive's first fetches and then updated fetch by fetch in the order the pipeline would
load them: daily fetches (new sessions, plus overlapping sessions the provider may revise), a late
correction of one bar deep in the history, and a restatement that rewrites one ticker's whole
adjusted history and starts it later. After each step every mart and incremental model must
equal, row for row, a from-scratch build of a warehouse holding the same raw rows.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.support.dbt import SAMPLE_ARCHIVE, invoke_dbt, load_reference_files
from warehouse.archive import list_price_fetches, write_price_fetch
from warehouse.load import load_price_fetch
from warehouse.schema import create_raw_schema

TOLERANCE = 1e-12

# Every model whose result the incremental runs must reproduce, with its key.
COMPARED = {
    "intermediate.int_daily_returns": ["ticker", "session_date"],
    "intermediate.int_ticker_groups": ["ticker"],
    "intermediate.int_events": ["event_id", "ticker"],
    "intermediate.int_event_windows": ["event_id", "ticker", "relative_day"],
    "intermediate.int_estimation_stats": ["event_id", "ticker"],
    "intermediate.int_event_abnormal_ranks": ["event_id", "ticker", "relative_day"],
    # inputs_key is the engine's hash of the vars: the same in both builds
    "intermediate.int_ticker_yearly_return_stats": ["ticker", "calendar_year"],
    "intermediate.int_basket_daily_returns": ["basket", "session_date"],
    "marts.fct_ticker_performance": ["ticker", "session_date"],
    "marts.fct_monthly_returns": ["subject", "month_start"],
    # a table, but a ticker's since_inception figures come from the two incremental models above
    "marts.fct_performance_summary": ["subject", "period"],
    "marts.fct_sector_relative_performance": ["session_date", "basket_pair"],
    "marts.fct_event_window_returns": ["event_id", "ticker", "relative_day"],
    "marts.fct_event_car": ["event_id", "ticker", "window_label"],
    "marts.fct_event_study_summary": ["event_id", "summary_group", "window_label"],
    "marts.fct_event_study_daily": ["event_id", "summary_group", "exchange", "relative_day"],
}


# Columns that record the build that wrote a row rather than a value computed from the data.
BUILD_WATERMARKS = {
    "intermediate.int_ticker_yearly_return_stats": ["fetch_id"],
    "intermediate.int_basket_daily_returns": ["fetch_id"],
    # the hash of a pair's inputs, whose coefficients part is rounded: a coefficient that a
    # parallel sum leaves on the other side of a rounding step gives another key, not other rows
    "intermediate.int_event_abnormal_ranks": ["inputs_key"],
}


# dbt's unit tests do not depend on the data: the session's build of the sample runs them
# (tests/test_dbt_project.py checks they pass); these builds run the models and data tests.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
# The reference build from scratch only has to produce the tables it is compared with.
TABLES_ONLY = (*NO_UNIT_TESTS, "--exclude-resource-type", "test")


def _build(warehouse: Path, workdir: Path, *extra: str) -> None:
    extra = extra if "--exclude-resource-type" in extra else (*extra, *NO_UNIT_TESTS)
    result = invoke_dbt(["build", *extra], warehouse, workdir)
    if not result.success:
        failures = [
            f"{node.node.unique_id}: {node.status} {node.message}"
            for node in getattr(result.result, "results", None) or []
            if str(node.status) not in ("success", "pass")
        ]
        pytest.fail(f"dbt build failed: {result.exception}\n" + "\n".join(failures))


def _load(warehouse: Path, archive: Path, manifests) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        create_raw_schema(con)
        load_reference_files(con)
        for manifest in manifests:
            assert not load_price_fetch(con, archive, manifest).skipped
    finally:
        con.close()


def _table(warehouse: Path, relation: str, keys: list[str]) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse))
    try:
        frame = con.execute(f"select * from {relation}").df()
    finally:
        con.close()
    # built_at records which build wrote a row, so it differs by design between the two builds;
    # so does the fetch_id of a table that records the latest fetch loaded when a row was written.
    frame = frame.drop(columns=["built_at", *BUILD_WATERMARKS.get(relation, [])], errors="ignore")
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _assert_same(incremental: pd.DataFrame, scratch: pd.DataFrame, relation: str) -> None:
    assert list(incremental.columns) == list(scratch.columns), relation
    assert len(incremental) == len(scratch), (
        f"{relation}: {len(incremental)} vs {len(scratch)} rows"
    )
    for column in scratch.columns:
        a, b = incremental[column], scratch[column]
        if pd.api.types.is_float_dtype(b):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{relation}.{column}: nulls differ"
            ok = ~np.isnan(y)
            err = np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok]))
            assert err.size == 0 or err.max() <= TOLERANCE, (
                f"{relation}.{column}: max relative difference {err.max():.3g}"
            )
        else:
            left = a.map(lambda v: None if v is None or v is pd.NA or v is pd.NaT
                         or (isinstance(v, float) and np.isnan(v)) else repr(list(v))
                         if isinstance(v, np.ndarray) else repr(v))
            right = b.map(lambda v: None if v is None or v is pd.NA or v is pd.NaT
                          or (isinstance(v, float) and np.isnan(v)) else repr(list(v))
                          if isinstance(v, np.ndarray) else repr(v))
            diff = left.ne(right) & ~(left.isna() & right.isna())
            assert not diff.any(), (
                f"{relation}.{column}: {int(diff.sum())} rows differ, first at "
                f"{scratch.loc[diff.idxmax()].to_dict()}"
            )


def _assert_matches_scratch(
    incremental_db: Path, archive: Path, manifests, workdir: Path, *extra: str
) -> None:
    scratch_db = workdir / "scratch.duckdb"
    scratch_db.unlink(missing_ok=True)
    _load(scratch_db, archive, manifests)
    _build(scratch_db, workdir / "scratch", "--full-refresh", *TABLES_ONLY, *extra)
    for relation, keys in COMPARED.items():
        _assert_same(
            _table(incremental_db, relation, keys), _table(scratch_db, relation, keys), relation
        )


def _bars(warehouse: Path, where: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(
            "select ticker, session_date, open, high, low, close, adj_close, volume, dividends, "
            f"stock_splits, adj_close_source from raw.daily_bars where {where} "
            "order by ticker, session_date"
        ).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not list(SAMPLE_ARCHIVE.glob("prices/*/*/*.json")):
        pytest.skip(f"no sample archive at {SAMPLE_ARCHIVE}")
    root = tmp_path_factory.mktemp("incremental_archive") / "archive"
    shutil.copytree(SAMPLE_ARCHIVE / "prices", root / "prices")
    return root


def test_incremental_runs_equal_a_build_from_scratch(archive: Path, tmp_path: Path) -> None:
    manifests = list_price_fetches(archive)
    assert len(manifests) > 10
    head, tail = manifests[:-8], manifests[-8:]
    warehouse = tmp_path / "incremental.duckdb"
    workdir = tmp_path / "incremental"

    # 1. First build on the backfill and the first daily fetches: the models are created whole.
    _load(warehouse, archive, head)
    _build(warehouse, workdir)

    # A row no later fetch touches is left alone by incremental runs: mark it, and check below
    # that it survives (proof the run did not rebuild the table) before restoring it.
    con = duckdb.connect(str(warehouse))
    try:
        marked = con.execute(
            "select ticker, session_date, open_price from intermediate.int_daily_returns "
            "where ticker = 'MSFT' and has_bar order by session_date limit 1"
        ).fetchall()[0]
        con.execute(
            "update intermediate.int_daily_returns set open_price = -1 "
            "where ticker = ? and session_date = ?",
            [marked[0], marked[1]],
        )
        # Likewise an event window that ends before every later fetch's first bar, so that no
        # input of it changes: its pair is not rewritten. A US listing's: the Hong Kong lines'
        # pairs are rewritten by every run (docs/event_study.md, "Home lines").
        first_new = min(m.start for m in tail if m.start)
        window_key = con.execute(
            "select event_id, ticker, min(relative_day) "
            "from intermediate.int_event_windows where ticker not like '%.HK' "
            "group by event_id, ticker "
            "having max(session_date) < cast(? as date) - 30 "
            "order by max(session_date), event_id, ticker limit 1",
            [first_new],
        ).fetchall()[0]
        marked_window = (
            *window_key,
            con.execute(
                "select stock_return from intermediate.int_event_windows "
                "where event_id = ? and ticker = ? and relative_day = ?",
                list(window_key),
            ).fetchall()[0][0],
        )
        con.execute(
            "update intermediate.int_event_windows set stock_return = -1 "
            "where event_id = ? and ticker = ? and relative_day = ?",
            list(marked_window[:3]),
        )
        # Likewise one rank of an included pair whose windows end before every later fetch's
        # first bar: its inputs_key does not change, so its rows are not ranked again.
        rank_key = con.execute(
            "select ranks.event_id, ranks.ticker, min(ranks.relative_day) "
            "from intermediate.int_event_abnormal_ranks as ranks "
            "inner join (select event_id, ticker from intermediate.int_event_windows "
            "            where ticker not like '%.HK' group by all "
            "            having max(session_date) < cast(? as date) - 30) as old_pairs "
            "    using (event_id, ticker) "
            "group by all order by all limit 1",
            [first_new],
        ).fetchall()[0]
        marked_rank = (
            *rank_key,
            con.execute(
                "select abnormal_return_rank from intermediate.int_event_abnormal_ranks "
                "where event_id = ? and ticker = ? and relative_day = ?",
                list(rank_key),
            ).fetchall()[0][0],
        )
        con.execute(
            "update intermediate.int_event_abnormal_ranks set abnormal_return_rank = -1 "
            "where event_id = ? and ticker = ? and relative_day = ?",
            list(rank_key),
        )
        # Which build wrote each basket session: the daily runs below must rewrite each basket
        # from the new sessions on, and leave the sessions a month before them alone.
        baskets_written = dict(con.execute(
            "select session_date < cast(? as date) - 30, max(built_at) "
            "from intermediate.int_basket_daily_returns group by all",
            [first_new],
        ).fetchall())
        assert set(baskets_written) == {True, False}
        # Which build wrote each year of a ticker's statistics: the daily runs below must
        # rewrite the current year only (the marts read every column, so no value is marked).
        years_written = dict(con.execute(
            "select calendar_year, built_at from intermediate.int_ticker_yearly_return_stats "
            "where ticker = 'MSFT'"
        ).fetchall())
        assert min(years_written) < datetime.fromisoformat(str(first_new)).year
    finally:
        con.close()

    # 2. The remaining daily fetches, two builds: new sessions plus revised overlapping sessions.
    _load(warehouse, archive, tail[:4])
    _build(warehouse, workdir)
    _load(warehouse, archive, tail[4:])
    _build(warehouse, workdir)

    con = duckdb.connect(str(warehouse))
    try:
        survived = con.execute(
            "select open_price from intermediate.int_daily_returns "
            "where ticker = ? and session_date = ?",
            [marked[0], marked[1]],
        ).fetchall()[0][0]
        assert survived == -1, "an incremental run rewrote a row whose inputs did not change"
        con.execute(
            "update intermediate.int_daily_returns set open_price = ? "
            "where ticker = ? and session_date = ?",
            [marked[2], marked[0], marked[1]],
        )
        survived_window = con.execute(
            "select stock_return from intermediate.int_event_windows "
            "where event_id = ? and ticker = ? and relative_day = ?",
            list(marked_window[:3]),
        ).fetchall()[0][0]
        assert survived_window == -1, "an incremental run rewrote an event window it need not"
        con.execute(
            "update intermediate.int_event_windows set stock_return = ? "
            "where event_id = ? and ticker = ? and relative_day = ?",
            [marked_window[3], *marked_window[:3]],
        )
        survived_rank = con.execute(
            "select abnormal_return_rank from intermediate.int_event_abnormal_ranks "
            "where event_id = ? and ticker = ? and relative_day = ?",
            list(marked_rank[:3]),
        ).fetchall()[0][0]
        assert survived_rank == -1, "an incremental run ranked again a pair whose inputs held"
        con.execute(
            "update intermediate.int_event_abnormal_ranks set abnormal_return_rank = ? "
            "where event_id = ? and ticker = ? and relative_day = ?",
            [marked_rank[3], *marked_rank[:3]],
        )
        baskets_rewritten = dict(con.execute(
            "select session_date < cast(? as date) - 30, max(built_at) "
            "from intermediate.int_basket_daily_returns group by all",
            [first_new],
        ).fetchall())
        assert baskets_rewritten[True] == baskets_written[True], (
            "a daily run rewrote a basket's sessions before its change"
        )
        assert baskets_rewritten[False] > baskets_written[False], "no basket session was rewritten"
        rewritten = dict(con.execute(
            "select calendar_year, built_at from intermediate.int_ticker_yearly_return_stats "
            "where ticker = 'MSFT'"
        ).fetchall())
        past, current = min(years_written), max(years_written)
        assert rewritten[past] == years_written[past], "a daily run rewrote a past year"
        assert rewritten[current] > years_written[current], "the current year was not rewritten"
    finally:
        con.close()
    _assert_matches_scratch(warehouse, archive, manifests, tmp_path)

    # 3. A late correction of one AAPL bar 40 sessions back (not a restatement), and a
    # restatement of BABA: every adjusted close before 2025-02-03 scaled (a dividend adjustment),
    # and the first 260 sessions of its history gone, so that it starts in the next calendar year
    # (the rows, months and years before the new start must all go: the pre-hooks and the
    # yearly statistics' whole-ticker rewrite).
    last = datetime.fromisoformat(manifests[-1].fetched_at)
    aapl = _bars(warehouse, "ticker = 'AAPL'")
    corrected = aapl.iloc[[-40]].copy()
    corrected["adj_close"] *= 1.05
    corrected["close"] *= 1.05
    correction = write_price_fetch(
        archive, corrected, source="sample", fetched_at=last + pd.Timedelta(hours=1),
        tickers=["AAPL"],
        start=corrected["session_date"].min(),
        end=corrected["session_date"].max(),
        synthetic=True, note="test: late correction",
    )
    baba = _bars(warehouse, "ticker = 'BABA'").iloc[260:].copy()
    assert pd.Timestamp(baba["session_date"].min()).year == 2025
    early = pd.to_datetime(baba["session_date"]) < pd.Timestamp("2025-02-03")
    baba.loc[early, "adj_close"] *= 0.97
    restatement = write_price_fetch(
        archive, baba, source="sample", fetched_at=last + pd.Timedelta(hours=2),
        tickers=["BABA"], start=baba["session_date"].min(), end=baba["session_date"].max(),
        replaces_history_of=["BABA"], synthetic=True, note="test: restated history",
    )
    _load(warehouse, archive, [correction, restatement])
    _build(warehouse, workdir)
    _assert_matches_scratch(warehouse, archive, [*manifests, correction, restatement], tmp_path)

    con = duckdb.connect(str(warehouse))
    try:
        first_baba = con.execute(
            "select min(session_date) from marts.fct_ticker_performance where ticker = 'BABA'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert first_baba == baba["session_date"].min().date(), (
        "rows before a restated history's start remain"
    )
    manifests = [*manifests, correction, restatement]

    # 4. A late correction of one bar of the benchmark in the first year: every ticker pairs its
    # returns with the benchmark's, so every ticker's years are rewritten from that one.
    spy = _bars(warehouse, "ticker = 'SPY'")
    spy_fix = spy.iloc[[30]].copy()
    assert pd.Timestamp(spy_fix["session_date"].iloc[0]).year < last.year
    spy_fix["adj_close"] *= 0.98
    spy_fix["close"] *= 0.98
    spy_correction = write_price_fetch(
        archive, spy_fix, source="sample", fetched_at=last + pd.Timedelta(hours=3),
        tickers=["SPY"], start=spy_fix["session_date"].min(), end=spy_fix["session_date"].max(),
        synthetic=True, note="test: late correction of the benchmark",
    )
    _load(warehouse, archive, [spy_correction])
    _build(warehouse, workdir)
    manifests = [*manifests, spy_correction]
    _assert_matches_scratch(warehouse, archive, manifests, tmp_path)

    # 5. Changed vars, with no new bar: the statistics and the baskets that depend on them are
    # rewritten whole; min_estimation_obs raised to the largest count of estimation returns
    # leaves the event pairs with fewer out of the ranks, whose stored rows must go.
    ranked_pairs = (
        "select count(distinct (event_id, ticker)) from intermediate.int_event_abnormal_ranks"
    )
    con = duckdb.connect(str(warehouse))
    try:
        pairs_before = con.execute(ranked_pairs).fetchall()[0][0]
        most_obs = con.execute(
            "select max(estimation_obs) from intermediate.int_estimation_stats where is_included"
        ).fetchall()[0][0]
    finally:
        con.close()
    risk_free = (
        "--vars",
        f"{{risk_free_rate: 0.05, basket_min_coverage: 0.9, min_estimation_obs: {most_obs}}}",
    )
    _build(warehouse, workdir, *risk_free)
    con = duckdb.connect(str(warehouse))
    try:
        pairs_after = con.execute(ranked_pairs).fetchall()[0][0]
    finally:
        con.close()
    assert 0 < pairs_after < pairs_before, (pairs_before, pairs_after)
    _assert_matches_scratch(warehouse, archive, manifests, tmp_path, *risk_free)

    # 6. A basket or ranks table from before it was incremental (no inputs_key): the run stops
    # and says which rebuild to run, instead of failing on a missing column; the rebuild works.
    for model, columns in [
        ("int_basket_daily_returns", "columns its incremental runs read (inputs_key, fetch_id)"),
        ("int_event_abnormal_ranks", "columns its incremental runs read (inputs_key, built_at)"),
    ]:
        _assert_old_table_stops(warehouse, workdir, model, columns, risk_free)


def _assert_old_table_stops(
    warehouse: Path, workdir: Path, model: str, columns: str, dbt_vars: tuple[str, ...]
) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"alter table intermediate.{model} drop column inputs_key")
    finally:
        con.close()
    selected = ("--select", model, *dbt_vars)
    stopped = invoke_dbt(["run", *selected], warehouse, workdir)
    assert not stopped.success, model
    message = str(stopped.exception) + "".join(
        str(node.message) for node in getattr(stopped.result, "results", None) or []
    )
    assert f"without the {columns}" in message, message
    assert "adrpulse build --full-refresh" in message, message
    assert invoke_dbt(["run", "--full-refresh", *selected], warehouse, workdir).success, model


def test_ticker_outside_universe_is_unclassified(archive: Path, tmp_path: Path) -> None:
    """A ticker with bars but no universe row (an `import-prices` ticker) gets group
    'unclassified' and is a member of the 'unclassified' basket, instead of being dropped."""
    manifests = list_price_fetches(archive)
    warehouse = tmp_path / "unclassified.duckdb"
    _load(warehouse, archive, manifests[:1])
    spy = _bars(warehouse, "ticker = 'SPY'")
    spy["ticker"] = "ZZIMP"
    spy["adj_close"] *= 1.0 + 0.01 * np.sin(np.arange(len(spy)))
    imported = write_price_fetch(
        archive, spy, source="import", fetched_at=datetime(2025, 3, 1, tzinfo=UTC),
        tickers=["ZZIMP"], start=spy["session_date"].min(), end=spy["session_date"].max(),
    )
    _load(warehouse, archive, [imported])
    # An 'unclassified' basket must hold the imported ticker.
    _build(warehouse, tmp_path / "dbt", "--vars", "{basket_pairs: [[unclassified, SPY]]}")
    con = duckdb.connect(str(warehouse))
    try:
        groups = dict(con.execute(
            "select ticker, group_name from intermediate.int_ticker_groups"
        ).fetchall())
        returns = con.execute(
            "select count(daily_return) from intermediate.int_daily_returns where ticker = 'ZZIMP'"
        ).fetchall()[0][0]
        members = con.execute(
            "select distinct members_total_a from marts.fct_sector_relative_performance "
            "where basket_pair = 'unclassified_vs_SPY'"
        ).fetchall()
    finally:
        con.close()
    assert groups["ZZIMP"] == "unclassified"
    assert groups["BABA"] == "china_adr"
    assert returns == len(spy) - 1
    assert members == [(1,)]
