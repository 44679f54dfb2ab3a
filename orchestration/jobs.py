"""Jobs: what a run materializes. All run in one process (the executor is set once, on the
Definitions in orchestration/definitions.py).

raw/daily_bars is partitioned by XNYS session, so every job that selects it is partitioned:
- daily_refresh runs one partition (the schedule asks for the day's session);
- backfill_prices runs a range of partitions as a single run and selects only the raw prices
  and their checks (`adrpulse backfill` then runs build_marts once). A range run that also
  selects the dbt models logs a "planned" event per partition for every asset of the run: about
  30 x 312 events for the sample's range, minutes on the SQLite run storage;
- every job that builds the marts also loads the reference files the settings name
  (raw/universe, raw/event_catalog, raw/news_feeds, raw/news_aliases; assets/raw_reference.py),
  so dbt reads the user's universe, events, feeds and aliases;
- build_marts runs the build gate (assets/build_gate.py) before dbt: the blocking checks re-run
  over the stored data, and a failure stops the build unless its run config says force. The jobs
  that load raw data run the checks with the load instead, and those block the models already;
- demo_sample_replay, load_archive and rebuild_from_archive replay the archive without a
  partition: the asset loads the whole archive and freshness is judged at the end of the newest
  loaded fetch (2025-03-31 for the sample). Their partitions stay unmarked in the UI. They
  switch the raw assets to the archive with run tags (assets/source_mode.py), which every run of
  the job carries, however it is launched.
"""

from __future__ import annotations

import dagster as dg

from assets.build_gate import GATE_SPECS
from assets.news_sentiment import NEWS_SENTIMENT
from assets.publish import readers_see_last_good_build
from assets.raw_analysts import ANALYST_ACTIONS
from assets.raw_factors import DAILY_FACTORS
from assets.raw_news import NEWS_ITEMS
from assets.raw_prices import DAILY_BARS
from assets.raw_reference import REFERENCE_KEYS
from assets.settings import SAMPLE_ARCHIVE_DIR
from assets.source_mode import WAREHOUSE_WRITER_TAG, replay_tags

# The gate is a check on the raw assets: selecting them would select it too, so it is taken out
# of every selection but build_marts'.
GATE = dg.AssetSelection.checks(*(spec.key for spec in GATE_SPECS))
RAW_PRICES = dg.AssetSelection.assets(DAILY_BARS).required_multi_asset_neighbors() - GATE
# The items' sentiment scores follow the news wherever it loads, and every build of the marts (a
# no-op when every item is scored), so a new scorer version reaches the marts without a poll.
SENTIMENT = dg.AssetSelection.assets(NEWS_SENTIMENT)
RAW_NEWS = (dg.AssetSelection.assets(NEWS_ITEMS).required_multi_asset_neighbors() - GATE
            | SENTIMENT)
# Analyst actions and valuation snapshots load wherever prices and news load (live or replayed).
RAW_ANALYSTS = dg.AssetSelection.assets(ANALYST_ACTIONS).required_multi_asset_neighbors() - GATE
# The imported factor files load wherever the archive loads; imports live in the home's archive.
RAW_FACTORS = dg.AssetSelection.assets(DAILY_FACTORS)
REFERENCE_FILES = dg.AssetSelection.assets(*REFERENCE_KEYS.values())
MODELS_AND_PUBLISH = REFERENCE_FILES | SENTIMENT | dg.AssetSelection.groups(
    "reference", "staging", "intermediate", "marts", "alerts", "publish"
)
EVERYTHING = RAW_PRICES | RAW_NEWS | RAW_ANALYSTS | RAW_FACTORS | MODELS_AND_PUBLISH


# Every job writes the warehouse (assets/source_mode.py WAREHOUSE_WRITER_TAG).
WRITER_TAGS = dict([WAREHOUSE_WRITER_TAG])
# Jobs that build and publish the marts: when one of their steps fails, published/marts records
# which build readers still see (assets/publish.py), since the UI then shows the marts as failed.
MARTS_HOOKS = {readers_see_last_good_build}


def _archive_tags(root: str, rebuild: bool) -> dict[str, str]:
    # Tags, not config: see assets/source_mode.py for why a replay must not depend on run config.
    return {**replay_tags(root, rebuild), **WRITER_TAGS}


daily_job = dg.define_asset_job(
    name="daily_refresh",
    selection=EVERYTHING,
    description=(
        "Live run: fetch the latest prices, news, analyst actions and valuation snapshots, "
        "rebuild the marts, publish them."
    ),
    tags=WRITER_TAGS,
    hooks=MARTS_HOOKS,
)

backfill_job = dg.define_asset_job(
    name="backfill_prices",
    selection=RAW_PRICES,
    description=(
        "Fetch a range of XNYS sessions into raw/daily_bars as one run with a few large Yahoo "
        "requests, then run the price checks. Launch with a partition range (adrpulse backfill "
        "START END, which then runs build_marts)."
    ),
    tags=WRITER_TAGS,
)

news_job = dg.define_asset_job(
    name="poll_news",
    selection=RAW_NEWS,
    description="Poll every news feed once (live).",
    tags=WRITER_TAGS,
)

build_job = dg.define_asset_job(
    name="build_marts",
    selection=GATE | MODELS_AND_PUBLISH,
    description=(
        "Re-run the blocking checks over what is stored (build_gate), then rebuild every dbt "
        "model and publish the marts. No network. A failed blocking check stops the build and "
        "leaves the published marts unchanged; config ops.build_gate.config.force: true builds "
        "past it and the published build records the failed checks."
    ),
    tags=WRITER_TAGS,
    hooks=MARTS_HOOKS,
)

load_archive_job = dg.define_asset_job(
    name="load_archive",
    selection=EVERYTHING,
    description=(
        "Load archived fetches and imports not loaded yet (ADRPULSE_HOME/archive), then rebuild "
        "and publish the marts. No network."
    ),
    tags=_archive_tags("", rebuild=False),
    hooks=MARTS_HOOKS,
)

rebuild_job = dg.define_asset_job(
    name="rebuild_from_archive",
    selection=EVERYTHING,
    description=(
        "Full rebuild without the network: replay the whole raw archive in fetch order into "
        "fresh raw tables, swapped in only when every file loaded (retracted fetches left out), "
        "then rebuild and publish the marts."
    ),
    tags=_archive_tags("", rebuild=True),
    hooks=MARTS_HOOKS,
)

demo_job = dg.define_asset_job(
    name="demo_sample_replay",
    selection=EVERYTHING,
    description=(
        "Replay the bundled SYNTHETIC sample archive through the whole pipeline (what `make demo` "
        "runs). Offline."
    ),
    tags=_archive_tags(str(SAMPLE_ARCHIVE_DIR), rebuild=True),
    hooks=MARTS_HOOKS,
)

ALL_JOBS = [daily_job, backfill_job, news_job, build_job, load_archive_job, rebuild_job, demo_job]
