"""Where one bench run keeps its files (the --out folder)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchPaths:
    root: Path

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def universe_csv(self) -> Path:
        return self.root / "seeds" / "universe.csv"

    @property
    def event_catalog_csv(self) -> Path:
        return self.root / "seeds" / "event_catalog.csv"

    @property
    def events_parquet(self) -> Path:
        """Day 0 of every bench event (event_id, ticker, day_zero_date) for the floor and pandas."""
        return self.root / "seeds" / "bench_events.parquet"

    @property
    def spec_json(self) -> Path:
        """What the generator made: sizes, sessions, the update session, row counts."""
        return self.root / "bench_spec.json"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def load_floor_db(self) -> Path:
        return self.root / "load_floor.duckdb"

    @property
    def floor_db(self) -> Path:
        return self.root / "floor.duckdb"

    @property
    def pandas_out(self) -> Path:
        return self.root / "pandas_out"

    @property
    def dbt_project(self) -> Path:
        return self.root / "dbt_project"

    @property
    def results(self) -> Path:
        """One JSON per stage child: what it processed."""
        return self.root / "results"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def spark_home(self) -> Path:
        """ADRPULSE_HOME of the `--spark` stages: their raw Parquet, Spark tables and metastore
        are under spark_home/spark (Settings.spark_dir), as `adrpulse build --target spark`
        keeps them under its home."""
        return self.root / "spark_home"
