"""Where the raw assets take their data from in a run: the network, or the raw archive.

One mechanism decides it: run tags. Jobs that replay the archive (demo, rebuild, load) carry the
tags below, so every run of the job replays, however it is launched (CLI, schedule, UI). Run
config could not do this: the raw prices asset is partitioned, and Dagster applies a partitioned
job's default config only to single-partition runs, so a replay launched from the UI without a
partition would silently fall back to live fetching. A run with no tags is live; to replay from
the UI's launchpad, add the tag `adrpulse/source=archive`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

SOURCE_TAG = "adrpulse/source"  # live | archive
REPLAY_ARCHIVE_TAG = "adrpulse/replay_archive"  # a folder; empty = ADRPULSE_HOME/archive
REBUILD_TAG = "adrpulse/rebuild"  # "true": replay into fresh raw tables, models from scratch
# "true": a rebuild loads the good archive files and lists the bad ones instead of failing
# (`adrpulse rebuild --skip-bad`)
SKIP_BAD_TAG = "adrpulse/skip_bad"
# Every job writes the DuckDB warehouse, which takes one writer process at a time: each run carries
# this tag, and the queued run coordinator (PostgreSQL instances, orchestration/prepare.py) starts
# one run with it at a time. Within a run, steps share the `warehouse` pool the same way.
WAREHOUSE_WRITER_TAG = ("adrpulse/warehouse", "write")


class SourceMode(Enum):
    live = "live"  # fetch from the network, archive what was received, then load it
    archive = "archive"  # load archived fetches only: no network


@dataclass(frozen=True)
class RunSource:
    mode: SourceMode
    archive: Path
    rebuild: bool
    skip_bad: bool = False


def replay_tags(replay_archive: str, rebuild: bool, skip_bad: bool = False) -> dict[str, str]:
    """Run tags of a job that replays an archive."""
    tags = {
        SOURCE_TAG: SourceMode.archive.value,
        REPLAY_ARCHIVE_TAG: replay_archive,
        REBUILD_TAG: "true" if rebuild else "false",
    }
    if skip_bad:
        tags[SKIP_BAD_TAG] = "true"
    return tags


def run_source(tags: Mapping[str, str], home_archive: Path) -> RunSource:
    """The run's source, from its tags (no tags: a live run into the home's archive)."""
    try:
        mode = SourceMode(tags.get(SOURCE_TAG, SourceMode.live.value))
    except ValueError as exc:
        raise ValueError(
            f"run tag {SOURCE_TAG}={tags[SOURCE_TAG]!r} is not live or archive"
        ) from exc
    folder = tags.get(REPLAY_ARCHIVE_TAG, "")
    return RunSource(
        mode=mode,
        archive=Path(folder) if folder else home_archive,
        rebuild=tags.get(REBUILD_TAG) == "true",
        skip_bad=tags.get(SKIP_BAD_TAG) == "true",
    )


def tags_of(context: Any) -> dict[str, str]:
    return dict(context.run.tags) if context.run is not None else {}
