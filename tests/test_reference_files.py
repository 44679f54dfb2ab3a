"""The reference files the settings name: read and validated with errors naming file and line,
and loaded whole into the raw tables dbt reads (assets/events.py, assets/reference.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from assets.events import EVENT_COLUMNS, read_event_catalog
from assets.reference import ReferenceFileError, load_reference_files, read_reference_rows
from tests.support.dbt import SEEDS_DIR, default_reference_files
from warehouse.schema import REFERENCE_TABLES, create_raw_schema

HEADER = ",".join(EVENT_COLUMNS)
GOOD_EVENT = (
    "ev_war,EV price war,2025-03-03T09:00:00+08:00,2025-03-03,Asia/Shanghai,china_ev,x,false"
)


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_raw_schema(con)
    return con


def test_the_shipped_event_catalog_is_valid() -> None:
    events = read_event_catalog(SEEDS_DIR / "event_catalog.csv")
    assert len(events) >= 10
    by_id = {e.event_id: e for e in events}
    symposium = by_id["xi_symposium"]
    assert symposium.scope == ("china_adr", "china_otc")
    assert symposium.announced_at == datetime(2025, 2, 17, 2, 0, tzinfo=UTC)
    assert by_id["ma_reappears"].announced_at is None


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("bad id!,t,,2025-03-03,,BABA,,false", "event_id 'bad id!'"),
        ("e1,,,2025-03-03,,BABA,,false", "has no title"),
        ("e1,t,2025-03-03T09:00:00,2025-03-03,,BABA,,false", "has no UTC offset"),
        ("e1,t,yesterday,2025-03-03,,BABA,,false", "is not an ISO 8601 instant"),
        ("e1,t,,03/03/2025,,BABA,,false", "announced_date '03/03/2025' is not a date"),
        ("e1,t,,2025-03-03,Mars/Olympus,BABA,,false", "not an IANA time zone"),
        ("e1,t,,2025-03-03,,,,false", "has an empty scope"),
        ("e1,t,,2025-03-03,,BABA,,maybe", "approximate must be true or false"),
        ("e1,t,,2025-03-03,,BABA,,false,extra", "more fields than the header"),
    ],
)
def test_a_bad_event_row_names_the_file_and_line(tmp_path: Path, row: str, expected: str) -> None:
    path = _write(tmp_path / "events.csv", HEADER, GOOD_EVENT, row)
    with pytest.raises(ValueError) as raised:
        read_event_catalog(path)
    assert f"{path}:3:" in str(raised.value)
    assert expected in str(raised.value)


def test_a_repeated_event_id_names_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", HEADER, GOOD_EVENT, GOOD_EVENT)
    with pytest.raises(ValueError, match=r"csv:3: event_id ev_war is already used on line 2"):
        read_event_catalog(path)


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "events.csv", "event_id,title,date", "e1,t,2025-03-03")
    with pytest.raises(ValueError, match=r"events.csv:1: header must be event_id,title"):
        read_event_catalog(path)


def test_the_defaults_load_into_the_raw_tables() -> None:
    con = _warehouse()
    counts = load_reference_files(con, default_reference_files())
    assert set(counts) == set(REFERENCE_TABLES)
    for table, n in counts.items():
        assert n > 0
        assert con.execute(f"select count(*) from raw.{table}").fetchall()[0][0] == n
    assert con.execute(
        "select group_name from raw.universe where ticker = 'BABA'"
    ).fetchall() == [("china_adr",)]
    at, day, approximate = con.execute(
        "select announced_at, announced_date, approximate from raw.event_catalog "
        "where event_id = 'baba_fq3_earnings'"
    ).fetchall()[0]
    assert at == datetime(2025, 2, 20, 11, 30, tzinfo=UTC)
    assert (day, approximate) == (date(2025, 2, 20), False)


def test_a_user_universe_and_catalog_replace_the_rows_and_blanks_get_defaults(
    tmp_path: Path,
) -> None:
    con = _warehouse()
    load_reference_files(con, default_reference_files())
    universe = _write(
        tmp_path / "universe.csv",
        "ticker,name,group_name,exchange,currency",
        "nio,NIO,china_ev,NYSE,",
        "LI,Li Auto,,NASDAQ,USD",
        "BABA,Alibaba,china_adr,NYSE,USD",
        "JD,JD.com,china_adr,NASDAQ,USD",
        "PDD,PDD,china_adr,NASDAQ,USD",
        "BIDU,Baidu,china_adr,NASDAQ,USD",
        "NTES,NetEase,china_adr,NASDAQ,USD",
        "BILI,Bilibili,china_adr,NASDAQ,USD",
        "TME,TME,china_adr,NYSE,USD",
        "XPEV,XPeng,china_ev,NYSE,USD",
        "BYDDY,BYD,china_otc,OTC,USD",
        "AAPL,Apple,us_megacap,NASDAQ,USD",
        "MSFT,Microsoft,us_megacap,NASDAQ,USD",
        "GOOGL,Alphabet,us_megacap,NASDAQ,USD",
        "AMZN,Amazon,us_megacap,NASDAQ,USD",
        "META,Meta,us_megacap,NASDAQ,USD",
        "NVDA,NVIDIA,us_megacap,NASDAQ,USD",
        "TSLA,Tesla,us_megacap,NASDAQ,USD",
        "GM,GM,us_china_exposed,NYSE,USD",
        "SBUX,Starbucks,us_china_exposed,NASDAQ,USD",
        "SPY,SPY,benchmark,NYSE Arca,USD",
        "QQQ,QQQ,benchmark,NASDAQ,USD",
        "KWEB,KWEB,china_etf,NYSE Arca,USD",
        "FXI,FXI,china_etf,NYSE Arca,USD",
        "MCHI,MCHI,china_etf,NASDAQ,USD",
    )
    events = _write(tmp_path / "events.csv", HEADER, GOOD_EVENT)
    files = default_reference_files(universe=universe, event_catalog=events)
    counts = load_reference_files(con, files)
    assert counts["universe"] == 25 and counts["event_catalog"] == 1
    rows = dict(
        con.execute(
            "select ticker, group_name || '/' || currency from raw.universe "
            "where ticker in ('NIO', 'LI')"
        ).fetchall()
    )
    assert rows == {"NIO": "china_ev/USD", "LI": "unclassified/USD"}
    assert con.execute("select event_id, scope from raw.event_catalog").fetchall() == [
        ("ev_war", "china_ev")
    ]


def test_a_bad_file_loads_nothing_and_names_file_line_and_setting(tmp_path: Path) -> None:
    con = _warehouse()
    load_reference_files(con, default_reference_files())
    before = con.execute("select count(*) from raw.event_catalog").fetchall()[0][0]
    bad = _write(tmp_path / "events.csv", HEADER, GOOD_EVENT, "e2,t,,2025-13-01,,BABA,,false")
    with pytest.raises(ReferenceFileError) as raised:
        load_reference_files(con, default_reference_files(event_catalog=bad))
    message = str(raised.value)
    assert f"{bad}:3:" in message and "ADRPULSE_EVENTS" in message
    assert con.execute("select count(*) from raw.event_catalog").fetchall()[0][0] == before


def test_feeds_and_aliases_are_checked_against_the_users_universe(tmp_path: Path) -> None:
    universe = _write(
        tmp_path / "universe.csv", "ticker,name,group_name,exchange,currency", "AAPL,Apple,x,,"
    )
    # A feed list of the user's (here a copy of the shipped one) is checked strictly; the shipped
    # file itself is cut to the universe instead (tests/test_reference_scope.py).
    own_feeds = tmp_path / "my_feeds.csv"
    own_feeds.write_text((SEEDS_DIR / "news_feeds.csv").read_text())
    with pytest.raises(ReferenceFileError) as raised:
        read_reference_rows(default_reference_files(universe=universe, news_feeds=own_feeds))
    message = str(raised.value)
    # the first feed of the shipped list is about BABA, which this universe does not follow
    assert "my_feeds.csv:2: ticker BABA is not in the universe" in message
    assert "ADRPULSE_FEEDS" in message


def test_a_missing_file_names_its_setting(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(ReferenceFileError, match="ADRPULSE_UNIVERSE"):
        read_reference_rows(default_reference_files(universe=missing))
