"""The feed list and alias table, read against the universe in use.

A file the user points to (ADRPULSE_FEEDS, ADRPULSE_ALIASES) is checked strictly: a ticker
outside the universe is a typo to fix, and the run stops naming the file and line. The bundled
files in dbt_project/seeds/ are written for the bundled universe; a user who sets a universe of
their own (ADRPULSE_UNIVERSE) never chose them, so their tickers outside that universe are left
out, with a warning naming them, instead of failing every run that loads reference data.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

from assets.news.feeds import Feed, read_feeds
from assets.news.tagging import Alias, load_aliases
from assets.settings import SEEDS_DIR

log = logging.getLogger(__name__)


def is_bundled(path: Path) -> bool:
    """True for a file shipped in dbt_project/seeds/ (the default of its setting)."""
    return path.resolve().parent == SEEDS_DIR.resolve()


def _warn(path: Path, dropped: set[str], what: str, logger: logging.Logger) -> None:
    if dropped:
        logger.warning(
            "%s names tickers outside your universe (%s): %s. It is the bundled file, so they "
            "are left out; point %s to a file of your own to choose them.",
            path, ", ".join(sorted(dropped)), what,
            "ADRPULSE_FEEDS" if path.name == "news_feeds.csv" else "ADRPULSE_ALIASES",
        )


def feeds_for_universe(
    path: Path, known_tickers: Collection[str], logger: logging.Logger = log
) -> list[Feed]:
    """The feed list; a bundled list loses the ticker tags outside the universe (the feeds
    themselves stay: their news is still read and tagged by the aliases)."""
    if not is_bundled(path):
        return read_feeds(path, known_tickers=known_tickers)
    known = {t.upper() for t in known_tickers}
    feeds = read_feeds(path)
    dropped = {t for f in feeds for t in f.tickers if t not in known}
    _warn(path, dropped, "their feed tags are not applied", logger)
    return [replace(f, tickers=tuple(t for t in f.tickers if t in known)) for f in feeds]


def aliases_for_universe(
    path: Path, known_tickers: Collection[str], logger: logging.Logger = log
) -> list[Alias]:
    """The alias table; a bundled table loses its ticker aliases outside the universe."""
    if not is_bundled(path):
        return load_aliases(path, known_tickers=known_tickers)
    known = {t.upper() for t in known_tickers}
    aliases = load_aliases(path)
    dropped = {a.tag for a in aliases if a.tag_type == "ticker" and a.tag not in known}
    _warn(path, dropped, "their aliases do not tag news", logger)
    return [a for a in aliases if not (a.tag_type == "ticker" and a.tag not in known)]
