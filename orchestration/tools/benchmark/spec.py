"""What one generated bench archive holds (bench_spec.json): sizes, sessions, files, row counts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
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
    update_rows: int
    events: int
    history_files: list[str]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def read(cls, path: Path) -> BenchSpec:
        return cls(**json.loads(path.read_text()))
