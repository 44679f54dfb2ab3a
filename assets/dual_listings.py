"""The dual-listings reference (dbt_project/seeds/dual_listings.csv): each ADR in the universe
that also trades on its home exchange, the home line's ticker, and how many ordinary shares one
ADS stands for from a given date. The premium mart reads it as the `dual_listings` seed; the price
fetch reads it here to know which home lines to fetch. No Dagster here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assets.calendar import exchange_of

DUAL_LISTINGS_COLUMNS = (
    "adr_ticker",
    "home_ticker",
    "home_exchange",
    "home_currency",
    "shares_per_ads",
    "effective_from",
)
DEFAULT_DUAL_LISTINGS = (
    Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "dual_listings.csv"
)
# The FX bar that turns a HKD close into USD: Yahoo's HKD=X is HKD per 1 USD.
HKD_PER_USD_TICKER = "HKD=X"


@dataclass(frozen=True)
class DualListing:
    adr_ticker: str
    home_ticker: str
    home_exchange: str
    home_currency: str
    shares_per_ads: float
    effective_from: date


def read_dual_listings(path: Path = DEFAULT_DUAL_LISTINGS) -> list[DualListing]:
    """Read and validate the dual-listings CSV; errors name the file, line and the fix."""
    if not path.exists():
        raise FileNotFoundError(f"dual-listings file {path} does not exist")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        if header[: len(DUAL_LISTINGS_COLUMNS)] != DUAL_LISTINGS_COLUMNS:
            raise ValueError(
                f"{path}: header must start with {','.join(DUAL_LISTINGS_COLUMNS)}, "
                f"got {','.join(header)}"
            )
        out: list[DualListing] = []
        seen: set[tuple[str, date]] = set()
        for line_no, row in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            adr = (row["adr_ticker"] or "").strip().upper()
            home = (row["home_ticker"] or "").strip().upper()
            exchange = (row["home_exchange"] or "").strip().upper()
            if not adr or not home:
                raise ValueError(f"{where}: adr_ticker and home_ticker are required")
            if exchange != exchange_of(home):
                raise ValueError(
                    f"{where}: home_ticker {home} trades on {exchange_of(home)}, not {exchange!r}"
                )
            try:
                ratio = float(row["shares_per_ads"])
            except (TypeError, ValueError):
                raise ValueError(
                    f"{where}: shares_per_ads {row['shares_per_ads']!r} is not a number"
                ) from None
            if not ratio > 0:
                raise ValueError(f"{where}: shares_per_ads must be positive, got {ratio}")
            try:
                since = date.fromisoformat((row["effective_from"] or "").strip())
            except ValueError:
                raise ValueError(
                    f"{where}: effective_from {row['effective_from']!r} is not YYYY-MM-DD"
                ) from None
            if (adr, since) in seen:
                raise ValueError(f"{where}: {adr} has two ratios effective from {since}")
            seen.add((adr, since))
            out.append(
                DualListing(adr, home, exchange, (row["home_currency"] or "").strip(), ratio, since)
            )
    return out


def home_line_tickers(listings: list[DualListing], hk_benchmark: str) -> list[str]:
    """What the price fetch adds to the universe for the premium and the home-line event study:
    every home line, the HKD per USD bar and the Hong Kong benchmark (in that order, deduplicated).
    """
    tickers = [listing.home_ticker for listing in listings]
    if any(listing.home_currency == "HKD" for listing in listings):
        tickers.append(HKD_PER_USD_TICKER)
    if tickers and hk_benchmark:  # no home line followed: no benchmark needed either
        tickers.append(hk_benchmark)
    return list(dict.fromkeys(tickers))


def price_tickers(universe: list[str], hk_benchmark: str) -> list[str]:
    """Every ticker a live price run fetches: the universe, then the home lines of its dual-listed
    ADRs (ADRs absent from the universe are skipped), HKD=X and the Hong Kong benchmark. All go
    through the same yfinance fetch (batches, retries, archive) as the universe."""
    followed = set(universe)
    listings = [item for item in read_dual_listings() if item.adr_ticker in followed]
    return list(dict.fromkeys([*universe, *home_line_tickers(listings, hk_benchmark)]))
