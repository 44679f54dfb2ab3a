"""raw/news_sentiment: a sentiment score for every stored news item (assets/news/sentiment.py).

Runs after the raw news in every job that loads news, and in build_marts, so the marts always
read a score for each stored item from the scorer in use. Idempotent: only items without a
current score (new, headline changed, another model version) are scored.

No `from __future__ import annotations` here: Dagster reads the resource annotations of the
asset function at runtime.
"""

import dagster as dg

from assets.metadata import asset_table_metadata
from assets.news.sentiment import refresh_stored_scores, scorer
from assets.raw_news import NEWS_ITEMS
from assets.resources import WarehouseResource

NEWS_SENTIMENT = dg.AssetKey(["raw", "news_sentiment"])


@dg.asset(
    key=NEWS_SENTIMENT,
    deps=[NEWS_ITEMS],
    group_name="raw",
    pool="warehouse",
    kinds={"duckdb", "python"},
    description=(
        "One row per stored news item: the headline's sentiment score (-1..1) and label "
        "(positive, negative, neutral) from an offline lexicon, with the model name and version "
        "(docs/news.md, 'Headline sentiment')."
    ),
)
def news_sentiment(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    model = scorer()
    with warehouse.connect() as con:
        result = refresh_stored_scores(con, model, context.log)
        labels = dict(
            con.execute(
                "select label, count(*) from raw.news_sentiment group by label order by label"
            ).fetchall()
        )
        table = asset_table_metadata(con, NEWS_SENTIMENT)
    return dg.MaterializeResult(
        metadata={
            **table,
            "model": model.name,
            "model_version": model.version,
            "scored_in_run": result.scored,
            "removed_in_run": result.removed,
            "labels": dg.MetadataValue.json(labels),
        }
    )
