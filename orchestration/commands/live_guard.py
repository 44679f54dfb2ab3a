"""Refusing live work on a home that holds the synthetic sample, before anything runs.

The rule itself is assets/sample_home.py; the raw assets apply it again at the start of every live
run (a run launched from the UI or by a schedule never passes here). Checking here as well means
the command stops before it loads Dagster or asks the network for anything.
"""

from __future__ import annotations

from assets.sample_home import LIVE_DATA_REFUSED, sample_fetches_in, synthetic_home_message
from assets.settings import Settings
from orchestration.commands.common import CliError


def refuse_sample_home(settings: Settings, refused: str = LIVE_DATA_REFUSED) -> None:
    """CliError when the home's warehouse holds the synthetic sample. A warehouse busy with a run
    is not checked here: the run's own check (in the raw assets) still applies."""
    count = sample_fetches_in(settings.warehouse_path)
    if count:
        raise CliError(synthetic_home_message(settings.home, count, refused))
