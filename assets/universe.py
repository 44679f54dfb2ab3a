"""The universe file (ADRPULSE_UNIVERSE, default dbt_project/seeds/universe.csv): the tickers ADR
Pulse follows and their groups. The marts read it too, loaded into raw.universe
(assets/reference.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

UNIVERSE_COLUMNS = ("ticker", "name", "group_name", "exchange", "currency")
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Member:
    ticker: str
    name: str
    group_name: str
    exchange: str
    currency: str


def read_universe(path: Path) -> list[Member]:
    """Read and validate the universe CSV; errors name the file and line."""
    if not path.exists():
        raise FileNotFoundError(f"universe file {path} does not exist (set ADRPULSE_UNIVERSE)")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        if header[: len(UNIVERSE_COLUMNS)] != UNIVERSE_COLUMNS:
            raise ValueError(
                f"{path}: header must start with {','.join(UNIVERSE_COLUMNS)}, "
                f"got {','.join(header)}"
            )
        members: list[Member] = []
        seen: set[str] = set()
        for line_no, row in enumerate(reader, start=2):
            ticker = (row["ticker"] or "").strip().upper()
            if not ticker:
                raise ValueError(f"{path}:{line_no}: empty ticker")
            if ticker in seen:
                raise ValueError(f"{path}:{line_no}: ticker {ticker} is listed twice")
            seen.add(ticker)
            members.append(
                Member(
                    ticker=ticker,
                    name=(row["name"] or "").strip(),
                    group_name=(row["group_name"] or "").strip() or UNCLASSIFIED,
                    exchange=(row["exchange"] or "").strip(),
                    currency=(row["currency"] or "").strip() or "USD",
                )
            )
    return members


def universe_tickers(path: Path) -> list[str]:
    return [m.ticker for m in read_universe(path)]
