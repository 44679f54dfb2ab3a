"""Headline sentiment: the scorers, the agreement measure, the labelled set and its command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assets.news.sentiment import (
    DEFAULT_SCORER,
    LABELS,
    LabelledSetError,
    agreement,
    evaluate,
    lm_score,
    read_labelled,
    score_items,
    scorer,
    text_hash,
    vader_score,
)
from assets.settings import DOCS_DIR, REPO_ROOT
from tests.support.cli import run_cli

LABELLED = REPO_ROOT / "tests" / "data" / "labelled_headlines.csv"


def test_agreement_matches_hand_computed_figures() -> None:
    truth = ["positive", "positive", "negative", "neutral", "neutral"]
    predicted = ["positive", "neutral", "negative", "neutral", "negative"]
    accuracy, macro_f1, f1s = agreement(truth, predicted)
    # positive: tp 1, fp 0, fn 1 -> 2/3; negative: tp 1, fp 1, fn 0 -> 2/3;
    # neutral: tp 1, fp 1, fn 1 -> 1/2.
    assert accuracy == pytest.approx(3 / 5)
    assert f1s == pytest.approx({"positive": 2 / 3, "negative": 2 / 3, "neutral": 1 / 2})
    assert macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3)


def test_a_label_never_predicted_counts_as_zero_f1() -> None:
    _, macro_f1, f1s = agreement(["positive", "negative"], ["positive", "positive"])
    assert f1s["negative"] == 0.0 and f1s["neutral"] == 0.0
    assert macro_f1 == pytest.approx((2 / 3) / 3)


@pytest.mark.parametrize("score", [vader_score, lm_score])
def test_scorers_read_clear_headlines(score) -> None:
    assert score("Alibaba profit surges and beats estimates").label == "positive"
    assert score("Nvidia shares crash after losses and lawsuit").label == "negative"
    assert score("Baidu to hold annual meeting in June").label == "neutral"
    assert -1.0 <= score("Tesla recalls vehicles over defect").score <= 1.0


def test_lm_polarity_is_the_exact_ratio_of_counts() -> None:
    # "gains" is positive, "loss" negative in Loughran-McDonald: (1 - 1) / 2 = 0.
    assert lm_score("JD gains despite loss").score == 0.0
    assert lm_score("JD profit gains").score == 1.0


def test_scores_carry_model_name_and_installed_version() -> None:
    model = scorer()
    assert model.name == DEFAULT_SCORER
    rows = score_items([("k1", "Apple beats estimates"), ("k2", "Apple misses estimates")], model)
    assert [r[0] for r in rows] == ["k1", "k2"]
    assert {r[1] for r in rows} == {"vader"}
    assert rows[0][2].startswith("vaderSentiment 3.")
    assert rows[0][3] == text_hash("Apple beats estimates") != rows[1][3]
    with pytest.raises(ValueError, match="unknown sentiment scorer 'finbert'"):
        scorer("finbert")


def test_the_labelled_set_is_large_enough_and_says_where_it_comes_from() -> None:
    rows = read_labelled(LABELLED)
    assert len(rows) >= 200
    assert {label for _, label in rows} == set(LABELS)
    assert len({h for h, _ in rows}) == len(rows), "a headline is listed twice"
    head = LABELLED.read_text(encoding="utf-8").splitlines()[:3]
    assert any("WRITTEN FOR THIS PROJECT" in line for line in head)
    assert any("labelled by hand" in line for line in head)


def test_a_bad_labelled_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "set.csv"
    bad.write_text("# comment\nheadline,label\nApple rises,bullish\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"set\.csv:3: expected 'headline,label'"):
        read_labelled(bad)
    bad.write_text("title,sentiment\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"set\.csv:1: the header"):
        read_labelled(bad)


def test_the_docs_give_the_measured_agreement_and_the_chosen_scorer_is_the_better_one() -> None:
    results = {r.scorer: r for r in evaluate(read_labelled(LABELLED))}
    best = max(results.values(), key=lambda r: r.macro_f1)
    assert best.scorer == DEFAULT_SCORER
    docs = (DOCS_DIR / "news.md").read_text(encoding="utf-8")
    assert "adrpulse sentiment-eval" in docs
    for r in results.values():
        row = re.search(rf"^\| `{r.scorer}` .*$", docs, re.MULTILINE)
        assert row, f"docs/news.md has no agreement row for {r.scorer}"
        assert f"{r.accuracy:.3f}" in row.group(0) and f"{r.macro_f1:.3f}" in row.group(0)


def test_sentiment_eval_prints_a_table_and_rejects_a_missing_file(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", "sentiment-eval")
    assert result.returncode == 0, result.stderr
    assert "hand-labelled headlines" in result.stdout
    assert re.search(r"^vader \(used\)\s+vaderSentiment 3\.3\.2\s+0\.\d{3}", result.stdout,
                     re.MULTILINE)
    missing = run_cli(tmp_path / "home", "sentiment-eval", "--file", str(tmp_path / "no.csv"))
    assert missing.returncode == 1
    assert "cannot read the labelled set" in missing.stderr and "Traceback" not in missing.stderr


def _item(con, key: str, title: str) -> None:
    con.execute(
        "insert or replace into raw.news_items (item_key, feed_name, title, published_is_fallback,"
        " first_seen_at, last_seen_at, first_fetch_id, last_fetch_id) values "
        "(?, 'f', ?, false, now(), now(), 'x', 'x')",
        [key, title],
    )


def test_stored_items_are_scored_once_and_rescored_only_when_they_change() -> None:
    import logging

    import duckdb

    from assets.news.sentiment import refresh_stored_scores
    from warehouse.schema import create_raw_schema

    log = logging.getLogger("test")
    con = duckdb.connect()
    create_raw_schema(con)
    _item(con, "a", "Alibaba profit surges")
    _item(con, "b", "Nvidia shares crash")
    model = scorer()
    first = refresh_stored_scores(con, model, log)
    assert (first.scored, first.removed, first.stored) == (2, 0, 2)
    rows = con.execute(
        "select item_key, model, model_version, label from raw.news_sentiment order by 1"
    ).fetchall()
    assert rows == [("a", "vader", model.version, "positive"),
                    ("b", "vader", model.version, "negative")]
    again = refresh_stored_scores(con, model, log)
    assert (again.scored, again.removed, again.stored) == (0, 0, 2)
    # A revised headline is scored again; a deleted item loses its score; another model's
    # rows are replaced.
    _item(con, "a", "Alibaba shares slump on weak results")
    con.execute("delete from raw.news_items where item_key = 'b'")
    con.execute(
        "insert into raw.news_sentiment values ('x', 'old', 'v0', 'h', 0, 'neutral', now())"
    )
    changed = refresh_stored_scores(con, model, log)
    assert (changed.scored, changed.removed, changed.stored) == (1, 2, 1)
    assert con.execute("select item_key, label from raw.news_sentiment").fetchall() == [
        ("a", "negative")
    ]
