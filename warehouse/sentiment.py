"""raw.news_sentiment: which stored items need a (new) score, and storing scores idempotently."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.rows import insert_rows

# (item_key, model, model_version, text_hash, score, label)
ScoreRow = tuple[str, str, str, str, float, str]


@dataclass(frozen=True)
class SentimentRefresh:
    scored: int  # items scored in this call (new, changed headline or another model version)
    removed: int  # scores deleted: items no longer in raw.news_items, or another model's
    stored: int  # scores of this model stored after the call


def items_to_score(
    con: duckdb.DuckDBPyConnection, model: str, model_version: str,
    hash_of: Callable[[str], str],
) -> list[tuple[str, str]]:
    """(item_key, headline) of the items without a current score from `model` at
    `model_version`: never scored, scored by another version, or whose headline changed."""
    stored = {
        key: (version, text_hash)
        for key, version, text_hash in con.execute(
            "select item_key, model_version, text_hash from raw.news_sentiment where model = ?",
            [model],
        ).fetchall()
    }
    items = con.execute("select item_key, title from raw.news_items order by item_key").fetchall()
    return [
        (key, title) for key, title in items
        if stored.get(key) != (model_version, hash_of(title))
    ]


def store_scores(
    con: duckdb.DuckDBPyConnection, model: str, rows: Sequence[ScoreRow], scored_at: datetime
) -> SentimentRefresh:
    """Upsert `rows`, and drop the scores of items no longer stored and of any other model, in one
    transaction: running it twice on the same items changes nothing."""
    con.execute("begin transaction")
    try:
        insert_rows(
            con, "insert or replace into raw.news_sentiment", [(*row, scored_at) for row in rows]
        )
        # One model's scores at a time, so the marts never mix scales: switching the scorer
        # replaces the old model's rows.
        removed = con.execute(
            "delete from raw.news_sentiment where model <> ? or item_key not in "
            "(select item_key from raw.news_items) returning item_key",
            [model],
        ).fetchall()
        stored = con.execute(
            "select count(*) from raw.news_sentiment where model = ?", [model]
        ).fetchone()[0]
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return SentimentRefresh(len(rows), len(removed), int(stored))
