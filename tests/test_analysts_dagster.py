"""raw/analyst_actions and raw/valuation_snapshots through Dagster: a live run over fakes with
one ticker failing, its WARN checks, and a rebuild replaying the archive without the network.

Everything real except Yahoo's network: the YahooPricesResource's Ticker factory is
tests/support/yfinance_fakes.FakeYahooQuotes' (real yfinance.Ticker objects answering offline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from assets.raw_analysts import (
    ANALYST_COMPLETE_CHECK,
    VALUATION_COMPLETE_CHECK,
    VALUATION_FIELDS_CHECK,
    raw_analysts,
)
from assets.source_mode import replay_tags
from tests.support.resources import pipeline_resources, scripted_yahoo
from tests.support.yfinance_fakes import FakeYahooQuotes, analyst_action

TICKERS = ["AAA", "BBB", "CCC"]
INFO = {
    "marketCap": 1e11, "trailingPE": 20.0, "forwardPE": 15.0,
    "priceToSalesTrailing12Months": 3.0, "priceToBook": 2.0, "enterpriseToEbitda": 10.0,
    "dividendYield": 1.0, "targetMeanPrice": 50.0, "recommendationMean": 2.0,
    "numberOfAnalystOpinions": 12,
}


def _home(root: Path) -> dict[str, Any]:
    universe = root / "universe.csv"
    universe.write_text(
        "ticker,name,group_name,exchange,currency\n"
        + "".join(f"{t},{t} Inc,test_group,NASDAQ,USD\n" for t in TICKERS)
    )
    return pipeline_resources(root, ADRPULSE_UNIVERSE=str(universe))


def _run(resources: dict[str, Any], tags: dict[str, str] | None = None):
    return dg.materialize(
        [raw_analysts], resources=resources, tags=tags or {}, raise_on_error=False
    )


def _rows(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_live_run_isolates_a_failing_ticker_and_warns(tmp_path: Path):
    fake = FakeYahooQuotes(
        actions={
            "AAA": [analyst_action("2025-03-03T21:15:00Z", "Jefferies", action="up",
                                   current_target=60.0, prior_target=45.0)],
            "BBB": [analyst_action("2025-03-04T14:00:00Z", "Citigroup", action="main",
                                   price_target_action="Lowers", current_target=20.0,
                                   prior_target=25.0)],
            "CCC": ConnectionError("connection reset by peer"),
        },
        info={"AAA": INFO, "BBB": {**INFO, "forwardPE": "Infinity"},
              "CCC": ConnectionError("connection reset by peer")},
    )
    resources = _home(tmp_path)
    resources["yahoo"] = scripted_yahoo(resources["yahoo"], ticker=fake.ticker, backoff_seconds=0)
    result = _run(resources)
    assert result.success  # Yahoo's failures warn, they never fail the run
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name in (ANALYST_COMPLETE_CHECK, VALUATION_COMPLETE_CHECK):
        assert not checks[name].passed
        assert checks[name].severity == dg.AssetCheckSeverity.WARN
        assert "CCC" in checks[name].description
    fields = checks[VALUATION_FIELDS_CHECK]
    assert not fields.passed and fields.severity == dg.AssetCheckSeverity.WARN
    assert "BBB forwardPE" in fields.description
    assert _rows(tmp_path, "select ticker, firm from raw.analyst_actions order by 1") == [
        ("AAA", "Jefferies"), ("BBB", "Citigroup"),
    ]
    assert _rows(tmp_path, "select ticker, forward_pe from raw.valuation_snapshots order by 1") == [
        ("AAA", 15.0), ("BBB", None),
    ]

    # A rebuild replays the archive offline (no Ticker is asked) into the same rows.
    requests = len(fake.requests)
    before = _rows(tmp_path, "select * from raw.analyst_actions order by all")
    rebuilt = _run(resources, replay_tags("", rebuild=True))
    assert rebuilt.success and len(fake.requests) == requests
    assert _rows(tmp_path, "select * from raw.analyst_actions order by all") == before
    assert _rows(tmp_path, "select count(*) from raw.valuation_snapshots") == [(2,)]
