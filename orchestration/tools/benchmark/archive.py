"""Write the bench's raw archive through warehouse.archive, exactly like the pipeline's fetches.

The history is a backfill fetched in chunks of tickers (one archived fetch per chunk, Parquet);
the last simulated session is held back as the daily update, archived later by `append_update`.
Fetch ids and times are fixed, so the same seed gives byte-identical data files.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets.calendar import sessions_between, shift_sessions
from orchestration.tools.benchmark.bars import simulate_bars
from orchestration.tools.benchmark.events import bench_events, catalog_csv_text
from orchestration.tools.benchmark.spec import BenchSpec
from orchestration.tools.benchmark.universe import bench_universe
from orchestration.tools.benchmark.workdir import BenchPaths
from warehouse.archive import write_price_fetch

SOURCE = "bench"
# The last session of the history; the update is the session after it.
HISTORY_END = date(2025, 6, 30)
SESSIONS_PER_YEAR = 252
NOTE = "SYNTHETIC bench data from orchestration/tools/benchmark; not market data"


def _fetch_id(fetched_at: datetime, seed: int) -> str:
    stamp = fetched_at.strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(f"{SOURCE}|{seed}|{stamp}".encode()).hexdigest()[:6]
    return f"{stamp}-{SOURCE}-{digest}"


def _fetch_time(session: date, number: int) -> datetime:
    return datetime(session.year, session.month, session.day, 23, 0, tzinfo=UTC) + timedelta(
        seconds=number
    )


def history_sessions(years: int) -> list[date]:
    return sessions_between(
        shift_sessions(HISTORY_END, -(years * SESSIONS_PER_YEAR - 1)), HISTORY_END
    )


def generate_archive(
    paths: BenchPaths, n_tickers: int, years: int, seed: int, chunk_tickers: int = 250
) -> BenchSpec:
    """Write the bench reference files, the history fetches and the held-back update bars."""
    history = history_sessions(years)
    update_session = shift_sessions(history[-1], 1)
    universe = bench_universe(n_tickers, seed)
    events = bench_events(universe.tickers, history, years, seed)
    paths.universe_csv.parent.mkdir(parents=True, exist_ok=True)
    paths.universe_csv.write_text(universe.csv_text())
    paths.event_catalog_csv.write_text(catalog_csv_text(events))
    pq.write_table(
        pa.table(
            {
                "event_id": [e.event_id for e in events],
                "ticker": [e.ticker for e in events],
                "day_zero_date": pa.array([e.day_zero for e in events], pa.date32()),
            }
        ),
        paths.events_parquet,
    )
    history_rows = 0
    files: list[str] = []
    update_parts: list[pa.Table] = []
    sessions = [*history, update_session]
    last = pa.scalar(update_session, pa.date32())
    for number, (tickers, bars) in enumerate(
        simulate_bars(universe, sessions, events, seed, chunk_tickers)
    ):
        is_update = pc.equal(bars["session_date"], last)
        part = bars.filter(pc.invert(is_update))
        update_parts.append(bars.filter(is_update))
        fetched_at = _fetch_time(history[-1], number)
        manifest = write_price_fetch(
            paths.archive,
            part.to_pandas(),
            source=SOURCE,
            fetched_at=fetched_at,
            tickers=tickers,
            start=history[0],
            end=history[-1],
            synthetic=True,
            note=NOTE,
            fetch_id=_fetch_id(fetched_at, seed),
        )
        history_rows += manifest.rows
        files.append(manifest.data_file)
    pq.write_table(pa.concat_tables(update_parts), paths.root / "update_bars.parquet")
    spec = BenchSpec(
        tickers=len(universe),
        years=years,
        seed=seed,
        chunk_tickers=chunk_tickers,
        first_session=history[0].isoformat(),
        last_history_session=history[-1].isoformat(),
        update_session=update_session.isoformat(),
        history_rows=history_rows,
        update_rows=sum(p.num_rows for p in update_parts),
        events=len(events),
        history_files=files,
    )
    spec.write(paths.spec_json)
    return spec


def append_update(paths: BenchPaths, spec: BenchSpec) -> str:
    """Archive the held-back session as one daily fetch (as the 18:00 run would); its data file."""
    bars = pq.read_table(paths.root / "update_bars.parquet")
    session = date.fromisoformat(spec.update_session)
    fetched_at = _fetch_time(session, 0)
    manifest = write_price_fetch(
        paths.archive,
        bars.to_pandas(),
        source=SOURCE,
        fetched_at=fetched_at,
        tickers=sorted(set(bars["ticker"].to_pylist())),
        start=session,
        end=session,
        synthetic=True,
        note=NOTE,
        fetch_id=_fetch_id(fetched_at, spec.seed),
    )
    return manifest.data_file


def main(argv: list[str]) -> int:
    """`python -m orchestration.tools.benchmark.archive ROOT TICKERS YEARS SEED`: generate, as a
    measured child."""
    import sys

    if len(argv) != 5:
        print(
            "usage: python -m orchestration.tools.benchmark.archive ROOT TICKERS YEARS SEED",
            file=sys.stderr,
        )
        return 2
    paths = BenchPaths(Path(argv[1]))
    spec = generate_archive(paths, int(argv[2]), int(argv[3]), int(argv[4]))
    paths.results.mkdir(parents=True, exist_ok=True)
    (paths.results / "generate.json").write_text(json.dumps({"rows": spec.history_rows}))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
