"""Tagging with the shipped alias table: true positives, known false positives, and the rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.news.tagging import (
    FEED_TICKER_CONFIDENCE,
    SUMMARY_CONFIDENCE_FACTOR,
    Alias,
    load_aliases,
    tag_item,
    tag_text,
)
from assets.universe import universe_tickers

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
HEADER = "alias,tag,tag_type,confidence,case_sensitive,guard\n"


@pytest.fixture(scope="module")
def aliases() -> list[Alias]:
    return load_aliases(SEEDS / "news_aliases.csv",
                        known_tickers=universe_tickers(SEEDS / "universe.csv"))


def tags_of(title: str, aliases: list[Alias], summary: str | None = None) -> set[str]:
    return {t.tag for t in tag_text(title, summary, aliases)}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Apple picks Alibaba AI for iPhones in China", {"AAPL", "BABA", "ai"}),
        ("Taobao and Tmall merchants brace for Singles Day", {"BABA"}),
        ("Jack Ma reappears in online video", {"BABA"}),
        ("Joe Tsai confirms partnership in Dubai", {"BABA"}),
        ("JD.com beats estimates", {"JD"}),
        ("JD shares jump after results", {"JD"}),
        ("Temu owner PDD Holdings slides", {"PDD"}),
        ("NetEase and Bilibili report gaming revenue", {"NTES", "BILI"}),
        ("Tencent Music subscriber growth slows", {"TME"}),
        ("NIO stock soars on deliveries", {"NIO"}),
        ("Nio, Li Auto and XPeng deliveries rise", {"NIO", "LI", "XPEV"}),
        ("BYD launches God's Eye driver assistance with DeepSeek", {"BYDDY", "deepseek"}),
        ("Baidu's Ernie Bot gets an upgrade", {"BIDU"}),
        ("Tim Cook visits Shanghai", {"AAPL"}),
        ("Microsoft, Alphabet and Amazon capex", {"MSFT", "GOOGL", "AMZN"}),
        ("Meta shares rise after Instagram update", {"META"}),
        ("Nvidia loses $600bn as DeepSeek rattles AI trade", {"NVDA", "deepseek", "ai"}),
        ("Tesla and General Motors cut prices in China", {"TSLA", "GM"}),
        ("Starbucks loses share in China", {"SBUX"}),
        ("New tariffs on Chinese goods", {"tariffs"}),
        ("SAMR opens antitrust probe", {"antitrust"}),
        ("Artificial intelligence spending surges", {"ai"}),
        ("$BABA and $PDD lead premarket movers", {"BABA", "PDD"}),
    ],
)
def test_true_positives(title: str, expected: set[str], aliases: list[Alias]) -> None:
    assert tags_of(title, aliases) == expected


@pytest.mark.parametrize(
    ("title", "not_expected"),
    [
        ("JD Vance criticises China on trade", "JD"),
        ("Vice President JD Vance visits Europe", "JD"),
        ("Vance: JD stock is a bargain, says no one", "JD"),
        ("Grandma's apple pie recipe", "AAPL"),
        ("Apple Pie Recipes For Fall", "AAPL"),
        ("Apple Cider Vinegar: Health Claims Examined", "AAPL"),
        ("Washington growers expect a record Apple harvest in the orchard", "AAPL"),
        ("an apple a day", "AAPL"),
        ("A meta-analysis of 40 trials", "META"),
        ("Meta-analysis finds no effect", "META"),
        ("Photo metadata leaks location", "META"),
        ("The meta narrative of markets", "META"),
        ("Li said the plan would work", "LI"),
        ("Premier Li Qiang pledges support", "LI"),
        ("Antonio and the senior team", "NIO"),
        ("the nio word in lowercase", "NIO"),
        ("OpenAI raises money", "ai"),
        ("Ai Weiwei opens exhibition", "ai"),
        ("Said the chairman", "ai"),
        ("Amazon rainforest fires spread", "AMZN"),
        ("GM crops debate returns to Europe", "GM"),
        ("Nikola Tesla museum reopens", "TSLA"),
        ("Learning the alphabet early", "GOOGL"),
    ],
)
def test_known_false_positives_are_not_tagged(title: str, not_expected: str,
                                             aliases: list[Alias]) -> None:
    assert not_expected not in tags_of(title, aliases)


def test_a_guard_vetoes_only_the_match_it_concerns(aliases: list[Alias]) -> None:
    # "JD Vance" is vetoed, but the JD.com alias in the same headline still tags JD.
    tags = tag_text("JD Vance meets JD.com executives", None, aliases)
    (jd,) = [t for t in tags if t.tag == "JD"]
    assert jd.matched_alias == "JD.com"


def test_one_tag_per_tag_keeping_the_most_confident_alias(aliases: list[Alias]) -> None:
    tags = tag_text("Alibaba's Taobao and Tmall; Jack Ma and Joe Tsai speak", None, aliases)

    assert [t.tag for t in tags] == ["BABA"]
    assert tags[0].matched_alias == "Alibaba"
    assert tags[0].confidence == max(a.confidence for a in aliases if a.tag == "BABA")
    assert tags[0].tag_type == "ticker"


def test_summary_only_matches_count_less(aliases: list[Alias]) -> None:
    (in_title,) = tag_text("Baidu results", None, aliases)
    (in_summary,) = tag_text("Chinese tech results", "Baidu beat estimates", aliases)
    (in_both,) = tag_text("Baidu results", "Baidu beat estimates", aliases)

    assert in_summary.confidence == pytest.approx(in_title.confidence * SUMMARY_CONFIDENCE_FACTOR)
    assert in_both.confidence == in_title.confidence


def test_theme_tags_have_theme_type(aliases: list[Alias]) -> None:
    tags = {t.tag: t for t in tag_text("DeepSeek and tariffs", None, aliases)}

    assert tags["deepseek"].tag_type == "theme"
    assert tags["tariffs"].tag_type == "theme"


def test_feed_tickers_add_low_confidence_tags_that_text_overrides(aliases: list[Alias]) -> None:
    tags = {t.tag: t for t in tag_item("Chinese stocks rally on stimulus hopes", None, aliases,
                                       feed_name="yahoo_baba", feed_tickers=["baba"])}
    assert tags["BABA"].confidence == FEED_TICKER_CONFIDENCE
    assert tags["BABA"].matched_alias == "feed:yahoo_baba"

    named = {t.tag: t for t in tag_item("Alibaba rallies", None, aliases,
                                        feed_name="yahoo_baba", feed_tickers=["BABA"])}
    assert named["BABA"].matched_alias == "Alibaba"
    assert named["BABA"].confidence > FEED_TICKER_CONFIDENCE


def test_every_shipped_alias_outranks_a_feed_ticker(aliases: list[Alias]) -> None:
    lowest_text_confidence = min(a.confidence for a in aliases) * SUMMARY_CONFIDENCE_FACTOR
    assert lowest_text_confidence > FEED_TICKER_CONFIDENCE


def test_multiword_alias_matches_across_whitespace_runs(aliases: list[Alias]) -> None:
    assert tags_of("Li\u00a0 Auto  recalls cars", aliases) == {"LI"}


# --- the alias file and its rules --------------------------------------------------------------

def write_aliases(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "aliases.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_covering_and_nearby_guards(tmp_path: Path) -> None:
    path = write_aliases(tmp_path, "Rocket,RKT,ticker,0.9,true,Rocket League|launch pad\n")
    aliases = load_aliases(path)

    assert tags_of("Rocket shares rise", aliases) == {"RKT"}
    assert tags_of("Rocket League tournament", aliases) == set()  # the phrase covers the match
    assert tags_of("Rocket on launch pad today", aliases) == set()  # nearby context
    # Far from the nearby guard the match stands.
    assert tags_of("Rocket shares rise as results beat and later a launch pad", aliases) == \
        {"RKT"}


def test_case_insensitive_alias(tmp_path: Path) -> None:
    aliases = load_aliases(write_aliases(tmp_path, "Alibaba,BABA,ticker,0.9,false,\n"))

    assert tags_of("ALIBABA SOARS", aliases) == {"BABA"}
    assert tags_of("alibaba soars", aliases) == {"BABA"}
    assert tags_of("Alibabas", aliases) == set()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Foo,FOO,company,0.9,false,\n", "tag_type must be ticker or theme"),
        ("Foo,FOO,ticker,1.5,false,\n", "confidence must be in (0, 1]"),
        ("Foo,FOO,ticker,high,false,\n", "is not a number"),
        ("Foo,FOO,ticker,0.9,maybe,\n", "case_sensitive must be true or false"),
        (",FOO,ticker,0.9,false,\n", "empty alias"),
        ("Foo,Bad Theme,theme,0.9,false,\n", "must be lowercase"),
        ("Foo,FOO,ticker,0.9,false,\nfoo,FOO,ticker,0.8,false,\n", "repeats line 2"),
    ],
)
def test_invalid_alias_rows_name_file_and_line(tmp_path: Path, rows: str, message: str) -> None:
    path = write_aliases(tmp_path, rows)
    bad_line = rows.count("\n") + 1  # the last row is the bad one

    with pytest.raises(ValueError, match=f"aliases.csv:{bad_line}: ") as raised:
        load_aliases(path)
    assert message in str(raised.value)


def test_case_sensitive_variants_are_distinct_rows(tmp_path: Path) -> None:
    path = write_aliases(tmp_path, "NIO,NIO,ticker,0.9,true,\nNio,NIO,ticker,0.9,true,\n")

    assert [a.alias for a in load_aliases(path)] == ["NIO", "Nio"]


def test_unknown_ticker_is_rejected_when_the_universe_is_given(tmp_path: Path) -> None:
    path = write_aliases(tmp_path, "Foo,FOO,ticker,0.9,false,\n")

    with pytest.raises(ValueError, match="aliases.csv:2: ticker FOO is not in the universe"):
        load_aliases(path, known_tickers=["BABA"])


def test_wrong_header_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("alias,tag\nFoo,FOO\n", encoding="utf-8")
    with pytest.raises(ValueError, match="aliases.csv:1: header must be"):
        load_aliases(path)
    with pytest.raises(FileNotFoundError, match="ADRPULSE_ALIASES"):
        load_aliases(tmp_path / "missing.csv")
