"""Where the raw assets take their data from in a run."""

from __future__ import annotations

from enum import Enum


class SourceMode(Enum):
    live = "live"  # fetch from the network, archive what was received, then load it
    archive = "archive"  # load archived fetches only: no network
