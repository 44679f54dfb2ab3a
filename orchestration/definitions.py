"""The Dagster code location: assets, checks, jobs, schedules and resources of ADR Pulse."""

from __future__ import annotations

import warnings

import dagster as dg

from orchestration import pool_guard
from orchestration.dbt_project import ensure_manifest
from orchestration.instance import prepare_environment
from orchestration.settings import Settings

SETTINGS = Settings.from_env()
prepare_environment(SETTINGS)
ensure_manifest()
# Pool slots (issue 21): runs of this code location (CLI, UI, daemon) wait for a pool slot without
# spinning, honour SIGINT/SIGTERM and the wait timeout, and free the slots of dead runs.
pool_guard.install()

# Imported after the manifest exists: the dbt assets are built from it at import time.


from assets.dbt_models import adrpulse_dbt_models  # noqa: E402
from assets.news_checks import NEWS_CHECKS  # noqa: E402
from assets.price_checks import PRICE_CHECKS  # noqa: E402
from assets.publish import published_marts  # noqa: E402
from assets.raw_news import raw_news  # noqa: E402
from assets.raw_prices import raw_prices  # noqa: E402
from assets.report import adrpulse_report  # noqa: E402
from assets.sources import SOURCE_SPECS  # noqa: E402
from orchestration.freshness import with_session_freshness  # noqa: E402
from orchestration.jobs import ALL_JOBS  # noqa: E402
from orchestration.resources import build_resources  # noqa: E402
from orchestration.schedules import ALL_SCHEDULES  # noqa: E402

with warnings.catch_warnings():
    # map_resolved_asset_specs is marked preview in Dagster 1.13; it is the one call that applies
    # a policy to every asset, dbt models included.
    warnings.simplefilter("ignore", category=dg.PreviewWarning)
    defs = dg.Definitions(
        assets=[
            *SOURCE_SPECS,
            raw_prices,
            raw_news,
            adrpulse_dbt_models,
            published_marts,
            adrpulse_report,
        ],
        asset_checks=[*NEWS_CHECKS, *PRICE_CHECKS],
        jobs=ALL_JOBS,
        schedules=ALL_SCHEDULES,
        resources=build_resources(SETTINGS),
    ).map_resolved_asset_specs(func=with_session_freshness)
