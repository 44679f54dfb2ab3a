"""Default paths of the sample generator, relative to the repository checkout.

The generator is a developer tool run from a clone, so its defaults point into the repository
(assets/settings.py computes where that is); every function still takes the paths as arguments.
"""

from __future__ import annotations

from pathlib import Path

from assets.settings import SAMPLE_ARCHIVE_DIR, SEEDS_DIR

SAMPLE_DIR = Path(__file__).resolve().parent

DEFAULT_UNIVERSE_PATH = SEEDS_DIR / "universe.csv"
DEFAULT_EVENT_CATALOG_PATH = SEEDS_DIR / "event_catalog.csv"
DEFAULT_ARCHIVE_DIR = SAMPLE_ARCHIVE_DIR
DEFAULT_FEEDS_PATH = SAMPLE_DIR / "feeds.csv"
