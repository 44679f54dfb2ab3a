"""What one generated bench archive holds (bench_spec.json): sizes, sessions, files, row counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BenchSpec:
    tickers: int
    years: int
    seed: int
    chunk_tickers: int
    first_session: str
    last_history_session: str
    update_session: str
    history_rows: int
    update_rows: int  # the bars of one update session
    events: int
    history_files: list[str]
    # The held-back sessions, one daily update each, in order (update_session first); a spec
    # written before there could be several holds update_session alone.
    update_sessions: list[str] = field(default_factory=list)

    def update_session_at(self, number: int) -> str:
        """The session of the run's update `number` (0: the first, update_session)."""
        return (self.update_sessions or [self.update_session])[number]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def read(cls, path: Path) -> BenchSpec:
        return cls(**json.loads(path.read_text()))
