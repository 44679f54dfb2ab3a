"""Run configuration shared by the raw assets: where a run takes its data from."""

from pathlib import Path

import dagster as dg

from assets.source_mode import RunSource, SourceMode, run_source, tags_of


class RawSourceConfig(dg.Config):
    """Run configuration, editable in the UI's launchpad (job tags, when present, win)."""

    mode: SourceMode = SourceMode.live
    """live: fetch from the network, archive, then load. archive: load archived fetches only."""
    replay_archive: str = ""
    """archive mode: the archive to replay (default: ADRPULSE_HOME/archive)."""
    rebuild: bool = False
    """archive mode: empty the asset's raw tables first, then replay every fetch in order."""

    def source(self, context: dg.AssetExecutionContext, home_archive: Path) -> RunSource:
        """The run's source: its job tags where present, else this config."""
        return run_source(
            tags_of(context),
            mode=self.mode,
            replay_archive=self.replay_archive,
            rebuild=self.rebuild,
            home_archive=home_archive,
        )
