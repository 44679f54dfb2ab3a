"""raw/daily_bars through Dagster: partitions, backfills, failures, restatement, checks.

Everything real except Yahoo's network: the YahooPricesResource's download function is the real
`yfinance.download` running against tests/support/yfinance_fakes.FakeYahoo. Each test has its own
warehouse, archive and universe under tmp_path and an ephemeral Dagster instance.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from assets.calendar import sessions_between
from assets.partitions import price_sessions
from assets.price_checks import PRICE_CHECKS
from assets.raw_prices import DAILY_BARS, FETCH_COMPLETE_CHECK, build_raw_prices
from assets.sessions import partition_tags
from assets.settings import Settings
from assets.source_mode import replay_tags
from tests.support.resources import pipeline_resources, scripted_yahoo
from tests.support.yfinance_fakes import FakeYahoo, history_frame
from warehouse.archive import PRICE_COLUMNS, list_price_fetches

HISTORY_START = date(2025, 1, 2)
LAST = date(2025, 3, 31)
SESSIONS = sessions_between(HISTORY_START, LAST)
TICKERS = ["AAA", "BBB", "CCC"]
BAR_COLUMNS = ", ".join(PRICE_COLUMNS)
# The partitions of the default history start (2024-01-02), as the definitions build them.
PRICE_SESSIONS = price_sessions(Settings.from_env({}).price_history_start)
raw_prices = build_raw_prices(PRICE_SESSIONS)


def closes(base: float, n: int = len(SESSIONS)) -> list[float]:
    return [base + 0.1 * i for i in range(n)]


def clean_history(base: float, **kw: Any):
    return history_frame(SESSIONS, closes(base), **kw)


def full_script() -> dict[str, Any]:
    return {t: clean_history(10.0 * (i + 1)) for i, t in enumerate(TICKERS)}


@dg.asset(deps=[DAILY_BARS], group_name="test")
def downstream_probe() -> None:
    """Stands in for the dbt models: it runs only if the blocking checks let it."""


class Home:
    """A tmp ADRPULSE_HOME-like layout: warehouse, archive, universe."""

    def __init__(self, root: Path, tickers: list[str] = TICKERS) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.warehouse = root / "warehouse.duckdb"
        self.archive = root / "archive"
        self.universe = root / "universe.csv"
        lines = ["ticker,name,group_name,exchange,currency"]
        lines += [f"{t},{t} Inc,test_group,NASDAQ,USD" for t in tickers]
        self.universe.write_text("\n".join(lines) + "\n")

    def resources(self, fake: FakeYahoo, **yahoo: Any) -> dict[str, Any]:
        resources = pipeline_resources(
            self.root,
            ADRPULSE_UNIVERSE=str(self.universe),
            ADRPULSE_PRICE_HISTORY_START=HISTORY_START.isoformat(),
        )
        resources["yahoo"] = scripted_yahoo(
            resources["yahoo"], fake.download, backoff_seconds=0.0, **yahoo
        )
        return resources

    def run(
        self,
        fake: FakeYahoo,
        *,
        first: date | None = None,
        last: date | None = None,
        tags: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        **yahoo: Any,
    ) -> dg.ExecuteInProcessResult:
        run_tags = dict(tags or {})
        if last is not None:
            run_tags.update(partition_tags(first or last, last))
        return dg.materialize(
            [raw_prices, *PRICE_CHECKS, downstream_probe],
            resources=self.resources(fake, **yahoo),
            tags=run_tags,
            run_config={"ops": {"raw_prices": {"config": config or {}}}},
            raise_on_error=False,
        )

    def bars(self) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(
                f"select {BAR_COLUMNS} from raw.daily_bars order by ticker, session_date"
            ).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()[0][0]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def bars_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == DAILY_BARS]
    assert events, "raw/daily_bars was not materialized"
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def probe_ran(result: dg.ExecuteInProcessResult) -> bool:
    return any(
        e.asset_key == downstream_probe.key for e in result.get_asset_materialization_events()
    )


def step_failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures, "no step failed"
    return failures[0].event_specific_data.error.message


# --- a partition ---------------------------------------------------------------------------


def test_a_partition_materializes_and_loads(home: Home) -> None:
    fake = FakeYahoo(script=full_script())
    day = date(2025, 3, 14)
    result = home.run(fake, last=day)

    assert result.success
    # New tickers get their full history from the history start, in one request for all three.
    assert fake.calls == [TICKERS]
    assert fake.call_kwargs[0]["start"] == HISTORY_START.isoformat()
    assert fake.call_kwargs[0]["end"] == "2025-03-15"  # yfinance's end is exclusive
    expected_rows = 3 * len(sessions_between(HISTORY_START, day))
    assert home.scalar("select count(*) from raw.daily_bars") == expected_rows
    assert home.scalar("select max(session_date) from raw.daily_bars") == day
    meta = bars_metadata(result)
    assert meta["tickers_fetched"] == TICKERS
    assert meta["tickers_failed"] == {}
    assert meta["new_tickers"] == TICKERS
    assert meta["sessions_requested"] == "2025-03-14..2025-03-14"
    evaluations = checks(result)
    assert set(evaluations) >= {"bars_fresh", "bars_no_gaps", FETCH_COMPLETE_CHECK}
    assert all(e.passed for e in evaluations.values())
    assert evaluations["bars_fresh"].metadata["expected_session"].value == "2025-03-14"
    assert probe_ran(result)
    # The partition is recorded as materialized, and only it.
    materialized = {
        e.partition for e in result.get_asset_materialization_events() if e.asset_key == DAILY_BARS
    }
    assert materialized == {"2025-03-14"}


def test_the_same_partition_twice_gives_the_same_table(home: Home) -> None:
    day = date(2025, 3, 14)
    assert home.run(FakeYahoo(script=full_script()), last=day).success
    first = home.bars()

    again = FakeYahoo(script=full_script())
    result = home.run(again, last=day)

    assert result.success
    assert home.bars() == first
    # Stored tickers re-fetch only the lookback window: 5 sessions ending on the partition.
    assert again.calls == [TICKERS]
    assert again.call_kwargs[0]["start"] == "2025-03-10"
    assert bars_metadata(result)["restated_tickers"] == []


def test_lookback_is_configurable(home: Home) -> None:
    assert home.run(FakeYahoo(script=full_script()), last=date(2025, 3, 14)).success
    fake = FakeYahoo(script=full_script())
    assert home.run(fake, last=date(2025, 3, 17), lookback_sessions=2).success
    assert fake.call_kwargs[0]["start"] == "2025-03-14"


# --- failures ------------------------------------------------------------------------------


def test_a_failed_ticker_is_reported_while_the_others_load(home: Home) -> None:
    script = full_script()
    del script["CCC"]  # Yahoo answers an unknown symbol with YFTzMissingError
    fake = FakeYahoo(script=script)
    result = home.run(fake, last=date(2025, 3, 14), max_retries=1)

    assert result.success, "one bad ticker must not fail the run"
    assert home.scalar("select list(distinct ticker order by ticker) from raw.daily_bars") == [
        "AAA",
        "BBB",
    ]
    meta = bars_metadata(result)
    assert meta["tickers_fetched"] == ["AAA", "BBB"]
    assert list(meta["tickers_failed"]) == ["CCC"]
    evaluations = checks(result)
    complete = evaluations[FETCH_COMPLETE_CHECK]
    assert not complete.passed and complete.severity == dg.AssetCheckSeverity.WARN
    assert list(complete.metadata["tickers_failed"].value) == ["CCC"]
    fresh = evaluations["bars_fresh"]
    assert not fresh.passed and fresh.severity == dg.AssetCheckSeverity.WARN
    assert fresh.metadata["stale_because_fetch_failed"].value == ["CCC"]
    assert probe_ran(result), "the others' downstream still runs"


def test_no_network_fails_fast_naming_yahoo_and_stores_nothing(home: Home) -> None:
    fake = FakeYahoo(script={})  # every symbol fails, as offline
    result = home.run(fake, last=date(2025, 3, 14))

    assert not result.success
    message = step_failure_message(result)
    assert "could not reach Yahoo Finance (query1.finance.yahoo.com)" in message
    assert "nothing was stored" in message
    assert len(fake.calls) == 2  # the first try and one confirming retry, not the whole budget
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert home.scalar("select count(*) from raw.daily_bars") == 0
    assert list_price_fetches(home.archive) == []


def archived_bars(folder: Path, *, synthetic: bool) -> Any:
    """Three bars of AAA archived under `folder` (the sample's kind, or a real import)."""
    from datetime import UTC, datetime

    import pandas as pd

    from warehouse.archive import write_price_fetch

    bars = pd.DataFrame(
        {
            "ticker": "AAA",
            "session_date": SESSIONS[:3],
            "open": 10.0,
            "high": 11.0,
            "low": 9.0,
            "close": 10.0,
            "adj_close": 10.0,
            "volume": 100,
            "dividends": 0.0,
            "stock_splits": 0.0,
            "adj_close_source": "provider",
        }
    )
    return write_price_fetch(
        folder,
        bars,
        source="sample" if synthetic else "import",
        fetched_at=datetime(2025, 1, 7, tzinfo=UTC),
        tickers=["AAA"],
        start=SESSIONS[0],
        end=SESSIONS[2],
        synthetic=synthetic,
        fmt="csv",
    )


def load_synthetic_sample(home: Home) -> None:
    """The warehouse as `adrpulse demo` leaves it: holding synthetic sample fetches."""
    from warehouse.connection import warehouse_connection
    from warehouse.load import load_price_fetch

    manifest = archived_bars(home.root / "sample", synthetic=True)
    with warehouse_connection(home.warehouse) as con:
        load_price_fetch(con, home.root / "sample", manifest)


def test_live_prices_are_never_mixed_into_a_synthetic_warehouse(home: Home) -> None:
    load_synthetic_sample(home)
    fake = FakeYahoo(script=full_script())

    result = home.run(fake, last=date(2025, 3, 14))

    assert not result.success
    message = step_failure_message(result)
    assert "SYNTHETIC demo sample" in message and "ADRPULSE_HOME" in message
    assert fake.calls == []  # refused before any request
    assert home.scalar("select count(*) from raw.daily_bars") == 3


def test_archived_real_prices_are_not_replayed_onto_a_synthetic_warehouse(home: Home) -> None:
    load_synthetic_sample(home)
    archived_bars(home.archive, synthetic=False)  # e.g. an import archived by hand

    result = home.run(FakeYahoo(), tags=replay_tags(str(home.archive), rebuild=False))

    assert not result.success
    assert "SYNTHETIC demo sample" in step_failure_message(result)
    assert home.scalar("select count(*) from raw.price_fetches where not synthetic") == 0
    # A rebuild replaces the warehouse with the archive, so it may load it.
    rebuilt = home.run(FakeYahoo(), tags=replay_tags(str(home.archive), rebuild=True))
    assert rebuilt.success
    assert home.scalar("select bool_or(synthetic) from raw.price_fetches") is False


# --- restatement -----------------------------------------------------------------------------


def test_restated_history_is_refetched_whole_and_replaces_the_ticker(
    home: Home, tmp_path: Path
) -> None:
    assert home.run(FakeYahoo(script=full_script()), last=date(2025, 3, 14)).success
    bbb_before = home.scalar(
        "select list(adj_close order by session_date) from raw.daily_bars where ticker = 'BBB'"
    )

    # A dividend on 2025-03-17: Yahoo rescales AAA's whole adjusted history by 0.98.
    script = full_script()
    aaa_closes = closes(10.0)
    script["AAA"] = history_frame(
        SESSIONS,
        aaa_closes,
        adj_closes=[round(c * 0.98, 6) for c in aaa_closes],
        dividends={"2025-03-17": 0.2},
    )
    fake = FakeYahoo(script=script)
    result = home.run(fake, last=date(2025, 3, 17))

    assert result.success
    assert bars_metadata(result)["restated_tickers"] == ["AAA"]
    # The window request, then AAA alone over its whole history.
    assert fake.calls == [TICKERS, ["AAA"]]
    assert fake.call_kwargs[1]["start"] == HISTORY_START.isoformat()
    assert fake.call_kwargs[1]["end"] == "2025-03-18"
    stored_ratio = home.scalar(
        "select list(distinct round(adj_close / close, 6)) from raw.daily_bars where ticker = 'AAA'"
    )
    assert stored_ratio == [0.98], "AAA must be all new, never half old half new"
    assert home.scalar("select count(*) from raw.daily_bars where ticker = 'AAA'") == len(
        sessions_between(HISTORY_START, date(2025, 3, 17))
    )
    assert (
        home.scalar(
            "select list(adj_close order by session_date) from raw.daily_bars "
            "where ticker = 'BBB' and session_date <= '2025-03-14'"
        )
        == bbb_before
    )
    replacing = [m for m in list_price_fetches(home.archive) if m.replaces_history_of]
    assert [m.replaces_history_of for m in replacing] == [["AAA"]]

    # The archive replays to the same table: a rebuild reproduces the restatement.
    live = home.bars()
    rebuilt = Home(tmp_path / "rebuilt")
    replay = rebuilt.run(
        FakeYahoo(),
        last=date(2025, 3, 17),
        tags=replay_tags(str(home.archive), rebuild=True),
    )
    assert replay.success
    assert rebuilt.bars() == live


# --- backfills -------------------------------------------------------------------------------


def test_a_backfill_range_is_one_run_with_a_few_requests(home: Home) -> None:
    first, last = date(2025, 1, 2), date(2025, 3, 31)
    fake = FakeYahoo(script=full_script())
    result = home.run(fake, first=first, last=last, chunk_size=2)

    assert result.success
    sessions = sessions_between(first, last)
    assert len(sessions) == 60
    assert fake.calls == [["AAA", "BBB"], ["CCC"]]  # batches of chunk_size, not one per day
    assert home.scalar("select count(distinct session_date) from raw.daily_bars") == 60
    materialized = {
        e.partition for e in result.get_asset_materialization_events() if e.asset_key == DAILY_BARS
    }
    assert materialized == {s.isoformat() for s in sessions}

    # A later range over stored tickers: one window request per batch, still not per day.
    fake = FakeYahoo(script=full_script())
    result = home.run(fake, first=date(2025, 2, 3), last=date(2025, 2, 28), chunk_size=2)
    assert result.success
    assert len(fake.calls) == 2
    assert fake.call_kwargs[0]["start"] == "2025-02-03"
    assert fake.call_kwargs[0]["end"] == "2025-03-01"


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        ({"dagster/partition": "2025-01-04"}, "a weekend day"),
        (
            {
                "dagster/asset_partition_range_start": "2025-02-17",
                "dagster/asset_partition_range_end": "2025-02-28",
            },
            "an XNYS holiday",
        ),
    ],
)
def test_a_non_session_partition_key_is_refused(home: Home, tags: dict[str, str], why: str):
    # Dagster itself would map such a key to the next session's window; the asset refuses it.
    fake = FakeYahoo(script=full_script())
    result = home.run(fake, tags=tags)

    assert not result.success
    message = step_failure_message(result)
    assert "not an XNYS session" in message and why in message
    assert fake.calls == []
    assert not home.warehouse.exists(), "refused before anything was opened or stored"


@pytest.mark.parametrize(
    ("as_of", "why"),
    [
        ("2025-03-01", "is a Saturday: XNYS does not trade that day"),  # once moved to Friday
        ("2025-02-17", "is an XNYS holiday"),
        ("2030-01-02", "is after the latest session"),  # once retried twice with back-off
        ("garbage", "is not a date"),
    ],
)
def test_an_as_of_that_is_not_a_past_session_fails_at_once_without_retries(
    home: Home, as_of: str, why: str
) -> None:
    fake = FakeYahoo(script=full_script())
    result = home.run(fake, config={"as_of": as_of})

    assert not result.success
    assert why in step_failure_message(result)
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    assert fake.calls == []
    assert not home.warehouse.exists(), "refused before anything was opened or stored"


def test_dagster_does_not_list_weekends_or_holidays_as_partitions() -> None:
    keys = set(PRICE_SESSIONS.get_partition_keys())
    assert "2025-03-14" in keys
    assert "2025-01-04" not in keys  # Saturday
    assert "2025-02-17" not in keys  # Presidents Day
    assert "2025-01-09" not in keys  # national day of mourning
    assert len([k for k in keys if "2024-01-01" <= k <= "2025-12-31"]) == 502


# --- checks ----------------------------------------------------------------------------------


def test_a_bad_bar_fails_a_blocking_check_and_stops_the_downstream(home: Home) -> None:
    script = full_script()
    bad = script["BBB"].copy()
    bad.loc[bad.index[20], "High"] = bad["Close"].iloc[20] - 0.5  # close above the high
    script["BBB"] = bad
    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 14))

    assert not result.success
    ohlc = checks(result)["ohlc_consistent"]
    assert not ohlc.passed and ohlc.severity == dg.AssetCheckSeverity.ERROR
    offending = ohlc.metadata["offending_rows"].value
    assert [(r["ticker"], r["session_date"]) for r in offending] == [
        ("BBB", SESSIONS[20].isoformat())
    ]
    assert not probe_ran(result), "a failed blocking check must stop the downstream"
    # The bars themselves were loaded (the check reports them; nothing is silently dropped).
    assert home.scalar("select count(*) from raw.daily_bars where ticker = 'BBB'") > 0


def test_a_large_move_without_a_split_warns_with_the_rows(home: Home) -> None:
    script = full_script()
    jump = closes(20.0)
    jump[30:] = [c * 1.6 for c in jump[30:]]  # +60 % in a day, no split
    script["BBB"] = history_frame(SESSIONS, jump)
    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 14))

    assert result.success, "a warning does not stop the run"
    moves = checks(result)["large_moves_without_split"]
    assert not moves.passed and moves.severity == dg.AssetCheckSeverity.WARN
    rows = moves.metadata["offending_rows"].value
    assert [(r["ticker"], r["session_date"]) for r in rows] == [("BBB", SESSIONS[30].isoformat())]
    assert probe_ran(result)


def test_a_gap_inside_a_history_is_an_error(home: Home) -> None:
    script = full_script()
    script["CCC"] = script["CCC"].drop(index=script["CCC"].index[10])
    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 14))

    assert not result.success
    gaps = checks(result)["bars_no_gaps"]
    assert not gaps.passed
    assert gaps.metadata["offending_rows"].value == [
        {"ticker": "CCC", "missing_session": SESSIONS[10].isoformat()}
    ]
    assert not probe_ran(result)


def test_an_unexplained_stale_ticker_is_an_error(home: Home) -> None:
    # CCC stops trading on Yahoo after 2025-03-07 without any error: a silent gap at the end.
    script = full_script()
    kept = SESSIONS.index(date(2025, 3, 7)) + 1
    script["CCC"] = history_frame(SESSIONS[:kept], closes(30.0, kept))
    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 14))

    assert not result.success
    fresh = checks(result)["bars_fresh"]
    assert not fresh.passed and fresh.severity == dg.AssetCheckSeverity.ERROR
    assert fresh.metadata["stale_tickers"].value == ["CCC"]
    assert not probe_ran(result)


# --- what a later run checks ---------------------------------------------------------------------


def test_a_later_run_checks_what_it_loaded_not_the_history(home: Home) -> None:
    first = home.run(FakeYahoo(script=full_script()), last=date(2025, 3, 14))
    assert first.success
    assert checks(first)["ohlc_consistent"].metadata["scope"].value.startswith("every bar")
    # A bar broken behind the loader's back, in history the next run does not load again.
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute(
            "update raw.daily_bars set low = high + 1 where ticker = 'AAA' and session_date = ?",
            [SESSIONS[10]],
        )

    second = home.run(FakeYahoo(script=full_script()), last=date(2025, 3, 17))

    assert second.success
    ohlc = checks(second)["ohlc_consistent"]
    assert ohlc.passed and ohlc.metadata["scope"].value.startswith("bars loaded after fetch")
    # In scope: the bars the second fetch wrote (its lookback) and each ticker's bar before them.
    newest = home.scalar("select max(fetch_id) from raw.price_fetches")
    written = home.scalar("select count(*) from raw.daily_bars where fetch_id = ?", [newest])
    assert written == 3 * 5
    assert ohlc.metadata["rows_in_scope"].value == written + 3
    assert ohlc.metadata["tickers_in_scope"].value == 3


def test_a_fault_in_the_new_bars_is_caught_by_the_scoped_checks(home: Home) -> None:
    assert home.run(FakeYahoo(script=full_script()), last=date(2025, 3, 14)).success
    script = full_script()
    bad = script["BBB"].copy()
    day = bad.index.get_loc(bad.index[bad.index.date == date(2025, 3, 17)][0])
    bad.loc[bad.index[day], "High"] = bad["Close"].iloc[day] - 0.5
    script["BBB"] = bad

    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 17))

    assert not result.success
    ohlc = checks(result)["ohlc_consistent"]
    assert ohlc.metadata["scope"].value.startswith("bars loaded after fetch")
    offending = ohlc.metadata["offending_rows"].value
    assert [(r["ticker"], r["session_date"]) for r in offending] == [("BBB", "2025-03-17")]
    assert not probe_ran(result)


def test_a_failed_check_keeps_its_bars_in_scope_until_they_are_fixed(home: Home) -> None:
    script = full_script()
    bad = script["BBB"].copy()
    bad.loc[bad.index[20], "High"] = bad["Close"].iloc[20] - 0.5
    script["BBB"] = bad
    assert not home.run(FakeYahoo(script=script), last=date(2025, 3, 14)).success

    # The next day loads clean bars, but the bad one (outside its lookback) is still checked.
    result = home.run(FakeYahoo(script=script), last=date(2025, 3, 17))

    assert not result.success
    ohlc = checks(result)["ohlc_consistent"]
    assert ohlc.metadata["scope"].value.startswith("every bar")
    offending = ohlc.metadata["offending_rows"].value
    assert [(r["ticker"], r["session_date"]) for r in offending] == [
        ("BBB", SESSIONS[20].isoformat())
    ]
