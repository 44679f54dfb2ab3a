"""The bundled feed list, alias table and event catalog against a user's own universe: cut to it
with a warning; the same content in a file of the user's is checked strictly."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from assets.news.scope import aliases_for_universe, feeds_for_universe, is_bundled
from assets.reference import ReferenceFileError, ReferenceFiles, read_reference_rows
from assets.settings import SEEDS_DIR

MINE = ["BABA", "JD", "AAPL", "SPY"]


def test_the_bundled_files_are_cut_to_the_universe_and_say_what_they_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds_path, aliases_path = SEEDS_DIR / "news_feeds.csv", SEEDS_DIR / "news_aliases.csv"
    assert is_bundled(feeds_path) and is_bundled(aliases_path)
    with caplog.at_level(logging.WARNING):
        feeds = feeds_for_universe(feeds_path, MINE)
        aliases = aliases_for_universe(aliases_path, MINE)
    assert feeds and {t for f in feeds for t in f.tickers} <= set(MINE)
    ticker_tags = {a.tag for a in aliases if a.tag_type == "ticker"}
    assert ticker_tags and ticker_tags <= set(MINE)
    assert any(a.tag_type == "theme" for a in aliases)  # themes are not tickers: all kept
    said = caplog.text
    assert "PDD" in said and "ADRPULSE_FEEDS" in said and "ADRPULSE_ALIASES" in said


def test_a_copy_of_the_same_file_is_the_users_and_stays_strict(tmp_path: Path) -> None:
    own = tmp_path / "news_feeds.csv"
    shutil.copy(SEEDS_DIR / "news_feeds.csv", own)
    assert not is_bundled(own)
    with pytest.raises(ValueError, match=r"news_feeds.csv:\d+: ticker \w+ is not in the universe"):
        feeds_for_universe(own, MINE)


def test_bundled_events_about_nobody_in_the_universe_are_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    universe = tmp_path / "universe.csv"
    universe.write_text("ticker,name,group_name,exchange,currency\n"
                        "BABA,Alibaba,china_adr,NYSE,USD\nAAPL,Apple,us_megacap,NASDAQ,USD\n")
    files = ReferenceFiles(universe, SEEDS_DIR / "event_catalog.csv",
                           SEEDS_DIR / "news_feeds.csv", SEEDS_DIR / "news_aliases.csv")
    with caplog.at_level(logging.WARNING):
        rows = read_reference_rows(files)
    kept = {row[0] for row in rows["event_catalog"]}
    assert "byd_gods_eye" not in kept  # scope BYDDY only
    assert {"ant_ipo_halt", "xi_symposium", "apple_alibaba_report"} <= kept
    assert "byd_gods_eye" in caplog.text

    # The user's own catalog with an event about nobody is kept as written (dbt's day-0 test
    # then names it), and the user's own feed list with an unknown ticker stops the load.
    own_feeds = tmp_path / "feeds.csv"
    shutil.copy(SEEDS_DIR / "news_feeds.csv", own_feeds)
    with pytest.raises(ReferenceFileError, match="ADRPULSE_FEEDS"):
        read_reference_rows(ReferenceFiles(universe, files.event_catalog, own_feeds,
                                           files.news_aliases))
