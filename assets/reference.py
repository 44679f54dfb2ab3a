"""The four reference files, as ONE mechanism from the file a user points to to the marts.

The universe (ADRPULSE_UNIVERSE), the event catalog (ADRPULSE_EVENTS), the feed list
(ADRPULSE_FEEDS) and the alias table (ADRPULSE_ALIASES) default to the CSVs in
dbt_project/seeds/. Every run that builds the marts reads the files the settings name, validates
them with the same readers the Python side uses (errors name file and line), and replaces
raw.universe, raw.event_catalog, raw.news_feeds and raw.news_aliases with their rows in one
transaction (warehouse/reference.py). dbt reads those tables as sources, so the marts' groups and
events are the user's, not a copy frozen in the dbt project.

No Dagster here: the raw/reference assets (assets/raw_reference.py), the tests' dbt helper
(tests/support/dbt.py) and the benchmark all call `load_reference_files`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from assets.events import read_event_catalog
from assets.news.scope import aliases_for_universe, feeds_for_universe, is_bundled
from assets.universe import read_universe
from warehouse.reference import replace_reference_tables

log = logging.getLogger(__name__)


class ReferenceFileError(ValueError):
    """A reference file cannot be used: the message names the file and line, and the setting."""


@dataclass(frozen=True)
class ReferenceFiles:
    universe: Path
    event_catalog: Path
    news_feeds: Path
    news_aliases: Path

    def named(self) -> dict[str, Path]:
        """raw table -> the file it is loaded from."""
        return {
            "universe": self.universe,
            "event_catalog": self.event_catalog,
            "news_feeds": self.news_feeds,
            "news_aliases": self.news_aliases,
        }


# The variable that points to each file, for error messages.
SETTING_OF = {
    "universe": "ADRPULSE_UNIVERSE",
    "event_catalog": "ADRPULSE_EVENTS",
    "news_feeds": "ADRPULSE_FEEDS",
    "news_aliases": "ADRPULSE_ALIASES",
}


def _fail(table: str, path: Path, exc: Exception) -> ReferenceFileError:
    return ReferenceFileError(
        f"{exc} (the {table.replace('_', ' ')} file, set by {SETTING_OF[table]}={path}); fix the "
        "file and run again: nothing was loaded, the marts keep the previous reference data"
    )


def read_reference_rows(
    files: ReferenceFiles, logger: logging.Logger = log
) -> dict[str, list[tuple[Any, ...]]]:
    """Every file read and validated, as rows of its raw table (warehouse/schema.py).

    The feed list and alias table are checked against the universe, as the news ingest checks
    them: in a file of the user's, a ticker nobody follows is a typo to fix, not a tag to keep
    (the bundled files are cut to the universe instead: assets/news/scope.py).
    """
    rows: dict[str, list[tuple[Any, ...]]] = {}
    try:
        members = read_universe(files.universe)
    except (OSError, ValueError) as exc:
        raise _fail("universe", files.universe, exc) from exc
    rows["universe"] = [
        (m.ticker, m.name or None, m.group_name, m.exchange or None, m.currency) for m in members
    ]
    known = [m.ticker for m in members]
    try:
        events = read_event_catalog(files.event_catalog)
    except (OSError, ValueError) as exc:
        raise _fail("event_catalog", files.event_catalog, exc) from exc
    if is_bundled(files.event_catalog):
        # The bundled catalog is written for the bundled universe: with a universe of the
        # user's, an event about none of its tickers or groups has nobody to study.
        in_scope = set(known) | {m.group_name for m in members}
        outside = [e.event_id for e in events if not set(e.scope) & in_scope]
        if outside:
            logger.warning(
                "%s: events about no ticker or group of your universe are left out (%s); it is "
                "the bundled catalog, point ADRPULSE_EVENTS to a file of your own to choose.",
                files.event_catalog, ", ".join(outside),
            )
            events = [e for e in events if e.event_id not in outside]
    rows["event_catalog"] = [
        (
            e.event_id,
            e.title,
            e.announced_at,
            e.announced_date,
            e.announced_timezone or None,
            " ".join(e.scope),
            e.source or None,
            e.approximate,
        )
        for e in events
    ]
    try:
        feeds = feeds_for_universe(files.news_feeds, known, logger)
    except (OSError, ValueError) as exc:
        raise _fail("news_feeds", files.news_feeds, exc) from exc
    rows["news_feeds"] = [
        (f.name, f.url, " ".join(f.tickers) or None, f.allow_private_network) for f in feeds
    ]
    try:
        aliases = aliases_for_universe(files.news_aliases, known, logger)
    except (OSError, ValueError) as exc:
        raise _fail("news_aliases", files.news_aliases, exc) from exc
    rows["news_aliases"] = [
        (
            a.alias,
            a.tag,
            a.tag_type,
            a.confidence,
            a.case_sensitive,
            "|".join(a.guard) or None,
        )
        for a in aliases
    ]
    return rows


def load_reference_files(
    con: duckdb.DuckDBPyConnection, files: ReferenceFiles, logger: logging.Logger = log
) -> dict[str, int]:
    """Validate the four files and replace the raw reference tables with them (all or nothing);
    return the rows loaded per table."""
    return replace_reference_tables(con, read_reference_rows(files, logger))
