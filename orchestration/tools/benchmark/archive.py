"""Write the bench's raw archive through warehouse.archive, exactly like the pipeline's fetches.

The history is a backfill fetched in chunks of tickers (one archived fetch per chunk, Parquet);
the last simulated sessions (one by default) are held back as the daily updates, each archived
later by `append_update`, one session a day as the daily run fetches them.
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
    paths: BenchPaths,
    n_tickers: int,
    years: int,
    seed: int,
    chunk_tickers: int = 250,
    update_sessions: int = 1,
) -> BenchSpec:
    """Write the bench reference files, the history fetches and the held-back bars of
    `update_sessions` daily updates (the sessions after the history). The history depends on
    that count (the draws span every session), so runs compared session for session hold back
    the same number."""
    history = history_sessions(years)
    updates = [shift_sessions(history[-1], n) for n in range(1, update_sessions + 1)]
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
    sessions = [*history, *updates]
    first_update = pa.scalar(updates[0], pa.date32())
    for number, (tickers, bars) in enumerate(
        simulate_bars(universe, sessions, events, seed, chunk_tickers, held_back=len(updates))
    ):
        is_update = pc.greater_equal(bars["session_date"], first_update)
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
    update_bars = pa.concat_tables(update_parts)
    pq.write_table(update_bars, paths.root / "update_bars.parquet")
    spec = BenchSpec(
        tickers=len(universe),
        years=years,
        seed=seed,
        chunk_tickers=chunk_tickers,
        first_session=history[0].isoformat(),
        last_history_session=history[-1].isoformat(),
        update_session=updates[0].isoformat(),
        history_rows=history_rows,
        update_rows=pc.sum(pc.equal(update_bars["session_date"], first_update)).as_py() or 0,
        events=len(events),
        history_files=files,
        update_sessions=[d.isoformat() for d in updates],
    )
    spec.write(paths.spec_json)
    return spec


def append_update(paths: BenchPaths, spec: BenchSpec, number: int = 0) -> str:
    """Archive held-back session `number` (0: the first) as one daily fetch (as the 18:00 run
    would); its data file."""
    session = date.fromisoformat(spec.update_session_at(number))
    held_back = pq.read_table(paths.root / "update_bars.parquet")
    bars = held_back.filter(
        pc.equal(held_back["session_date"], pa.scalar(session, pa.date32()))
    )
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
    """`python -m orchestration.tools.benchmark.archive ROOT TICKERS YEARS SEED [UPDATES]`:
    generate, as a measured child (UPDATES: held-back sessions, default 1)."""
    import sys

    if len(argv) not in (5, 6):
        print(
            "usage: python -m orchestration.tools.benchmark.archive ROOT TICKERS YEARS SEED "
            "[UPDATES]",
            file=sys.stderr,
        )
        return 2
    paths = BenchPaths(Path(argv[1]))
    updates = int(argv[5]) if len(argv) == 6 else 1
    spec = generate_archive(
        paths, int(argv[2]), int(argv[3]), int(argv[4]), update_sessions=updates
    )
    paths.results.mkdir(parents=True, exist_ok=True)
    (paths.results / "generate.json").write_text(json.dumps({"rows": spec.history_rows}))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
