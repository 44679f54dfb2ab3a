"""Write the bundled SYNTHETIC sample archive: fake bars and feeds, byte for byte reproducible.

    python -m orchestration.tools.sample_data.generate [--out DIR] [--feeds-out FILE]

The archive has the layout of warehouse/archive.py and is written through its writers, so the
pipeline replays it exactly like a real one. Everything is fixed: the random seed, fetch ids and
fetch times; no wall clock is read. Running it twice gives identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from assets.calendar import sessions_between, shift_sessions
from assets.dual_listings import read_dual_listings
from assets.universe import read_universe
from orchestration.tools.sample_data.analysts import analyst_actions_frame, valuation_infos
from orchestration.tools.sample_data.home_lines import (
    read_event_announcements,
    simulate_home_lines,
)
from orchestration.tools.sample_data.locations import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_EVENT_CATALOG_PATH,
    DEFAULT_FEEDS_PATH,
    DEFAULT_UNIVERSE_PATH,
)
from orchestration.tools.sample_data.news_feeds import all_news_fetches, feeds_csv_text
from orchestration.tools.sample_data.prices import simulate_bars
from orchestration.tools.sample_data.shocks import (
    SAMPLE_END,
    SAMPLE_START,
    injected_shocks,
    shocks_csv_text,
    unannounced_moves,
)
from warehouse.archive import write_news_fetch, write_price_fetch, write_snapshot_fetch

SEED = 20250331
PRICE_SOURCE = "sample"
BACKFILL_END = date(2025, 2, 28)
BACKFILL_FETCHED_AT = datetime(2025, 2, 28, 23, 0, tzinfo=UTC)
# Daily fetches run after the US close (22:30 UTC is 17:30 or 18:30 in New York).
DAILY_FETCH_HOUR_UTC = (22, 30)
LOOKBACK_SESSIONS = 5
# One daily fetch where the thin OTC line came back empty; the next day's lookback fills it in.
FAILED_TICKER_ON: dict[date, str] = {date(2025, 3, 12): "BYDDY"}
NOTE = "SYNTHETIC sample data from orchestration/tools/sample_data/generate.py; not market data"
SHOCKS_FILE = "injected_shocks.csv"
MOVES_FILE = "injected_moves.csv"
ARCHIVE_README = """# SYNTHETIC sample archive

Everything under this folder is invented by `python -m orchestration.tools.sample_data.generate`:
the prices are a random simulation and the feeds are made-up headlines. It is NOT market data and
NOT news.
`injected_shocks.csv` lists the abnormal returns deliberately put into the prices on the catalogued
event days; `injected_moves.csv` the uncatalogued news-driven moves on the last session (what the
alerts catch). See orchestration/tools/sample_data/README.md.
"""


@dataclass(frozen=True)
class GenerationSummary:
    price_fetches: int
    price_rows: int
    news_fetches: int
    shocks: int
    snapshot_fetches: int = 0


def _price_fetch_id(fetched_at: datetime, kind: str = "") -> str:
    """Shaped like warehouse.archive.new_fetch_id, with a hash instead of random bits (the
    archive kind goes into the hash, so the snapshots of a run get ids of their own)."""
    stamp = fetched_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    salt = f"{kind}|" if kind else ""
    digest = hashlib.sha256(f"{salt}{PRICE_SOURCE}|{stamp}".encode()).hexdigest()[:6]
    return f"{stamp}-{PRICE_SOURCE}-{digest}"


def _write_snapshots(out_dir: Path, bars: pd.DataFrame, tickers: list[str]) -> int:
    """An analyst fetch and a valuation snapshot per March session, with the daily price fetch
    (assets/analysts/: the whole action history as of the run; the session's valuation fields)."""
    fetches = 0
    session_date = pd.to_datetime(bars["session_date"]).dt.date
    for day in sessions_between(shift_sessions(BACKFILL_END, 1), SAMPLE_END):
        fetched_at = datetime(day.year, day.month, day.day, *DAILY_FETCH_HOUR_UTC, tzinfo=UTC)
        session_bars = bars[session_date == day]
        closes = dict(zip(session_bars["ticker"], session_bars["close"], strict=True))
        payloads = {
            "analyst": analyst_actions_frame(fetched_at),
            "valuation": valuation_infos(closes, tickers),
        }
        for kind, data in payloads.items():
            write_snapshot_fetch(
                out_dir,
                kind,
                data,
                source=PRICE_SOURCE,
                fetched_at=fetched_at,
                tickers=tickers,
                session_date=day,
                synthetic=True,
                note=f"{NOTE}; daily {kind} snapshot",
                fetch_id=_price_fetch_id(fetched_at, kind),
            )
            fetches += 1
    return fetches


def _write_prices(out_dir: Path, bars: pd.DataFrame, tickers: list[str]) -> int:
    """One backfill fetch, then a daily fetch per March session with a lookback overlap."""
    fetches = 0
    session_date = pd.to_datetime(bars["session_date"]).dt.date
    backfill = bars[session_date <= BACKFILL_END]
    write_price_fetch(
        out_dir,
        backfill,
        source=PRICE_SOURCE,
        fetched_at=BACKFILL_FETCHED_AT,
        tickers=tickers,
        start=SAMPLE_START,
        end=BACKFILL_END,
        synthetic=True,
        note=f"{NOTE}; initial backfill",
        fmt="csv",
        fetch_id=_price_fetch_id(BACKFILL_FETCHED_AT),
    )
    fetches += 1
    for day in sessions_between(shift_sessions(BACKFILL_END, 1), SAMPLE_END):
        start = shift_sessions(day, -LOOKBACK_SESSIONS)
        fetched_at = datetime(day.year, day.month, day.day, *DAILY_FETCH_HOUR_UTC, tzinfo=UTC)
        rows = bars[(session_date >= start) & (session_date <= day)]
        failed = [FAILED_TICKER_ON[day]] if day in FAILED_TICKER_ON else []
        rows = rows[~rows["ticker"].isin(failed)]
        write_price_fetch(
            out_dir,
            rows,
            source=PRICE_SOURCE,
            fetched_at=fetched_at,
            tickers=tickers,
            start=start,
            end=day,
            failed_tickers=failed,
            synthetic=True,
            note=f"{NOTE}; daily update with a {LOOKBACK_SESSIONS}-session lookback",
            fmt="csv",
            fetch_id=_price_fetch_id(fetched_at),
        )
        fetches += 1
    return fetches


def _write_news(out_dir: Path) -> int:
    fetches = all_news_fetches()
    for fetch in fetches:
        write_news_fetch(
            out_dir,
            feed_name=fetch.feed_name,
            url=fetch.url,
            fetched_at=fetch.fetched_at,
            http_status=fetch.http_status,
            body=fetch.body,
            content_type=fetch.content_type,
            etag=fetch.etag,
            last_modified=fetch.last_modified,
            error=fetch.error,
            synthetic=True,
            fetch_id=fetch.fetch_id,
        )
    return len(fetches)


def generate(
    out_dir: Path = DEFAULT_ARCHIVE_DIR,
    feeds_path: Path = DEFAULT_FEEDS_PATH,
    universe_path: Path = DEFAULT_UNIVERSE_PATH,
    catalog_path: Path = DEFAULT_EVENT_CATALOG_PATH,
) -> GenerationSummary:
    """Rebuild the archive in `out_dir` (its prices/, news/, analyst/ and valuation/ are
    replaced) and feeds.csv."""
    members = read_universe(universe_path)
    shocks = injected_shocks(universe_path, catalog_path, SAMPLE_START, SAMPLE_END)
    moves = unannounced_moves(SAMPLE_START, SAMPLE_END)
    us_bars = simulate_bars(
        members, sessions_between(SAMPLE_START, SAMPLE_END), [*shocks, *moves], SEED
    )
    # The Hong Kong lines of the dual-listed ADRs, HKD=X and 2800.HK, in the same fetches.
    home_bars = simulate_home_lines(
        us_bars, read_dual_listings(), shocks, read_event_announcements(catalog_path),
        SAMPLE_START, SAMPLE_END, SEED,
    )
    bars = pd.concat([us_bars, home_bars], ignore_index=True)
    tickers = [m.ticker for m in members] + list(dict.fromkeys(home_bars["ticker"]))

    out_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("prices", "news", "analyst", "valuation"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
    price_fetches = _write_prices(out_dir, bars, tickers)
    news_fetches = _write_news(out_dir)
    # Analysts and valuations are fetched for the universe only (assets/analysts/), not the
    # home lines or FX.
    snapshot_fetches = _write_snapshots(out_dir, bars, [m.ticker for m in members])
    (out_dir / SHOCKS_FILE).write_bytes(shocks_csv_text(shocks).encode())
    (out_dir / MOVES_FILE).write_bytes(shocks_csv_text(moves).encode())
    (out_dir / "README.md").write_bytes(ARCHIVE_README.encode())
    feeds_path.parent.mkdir(parents=True, exist_ok=True)
    feeds_path.write_bytes(feeds_csv_text().encode())
    return GenerationSummary(
        price_fetches, len(bars), news_fetches, len(shocks), snapshot_fetches
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.tools.sample_data.generate",
        description=(
            "Write the SYNTHETIC sample archive (fake prices, feeds, analyst actions and "
            "valuations; reproducible)."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_ARCHIVE_DIR,
        help=(
            "archive folder; its prices/, news/, analyst/ and valuation/ are replaced "
            "(default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--feeds-out",
        type=Path,
        default=DEFAULT_FEEDS_PATH,
        help="where to write the sample feed list (default: %(default)s)",
    )
    parser.add_argument(
        "--universe",
        type=Path,
        default=DEFAULT_UNIVERSE_PATH,
        help="universe CSV (default: %(default)s)",
    )
    parser.add_argument(
        "--events",
        type=Path,
        default=DEFAULT_EVENT_CATALOG_PATH,
        help="event catalog CSV (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    summary = generate(args.out, args.feeds_out, args.universe, args.events)
    print(
        f"wrote {summary.price_fetches} price fetches ({summary.price_rows} bars), "
        f"{summary.news_fetches} news fetches, {summary.snapshot_fetches} analyst and valuation "
        f"snapshots and {summary.shocks} injected shocks to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
