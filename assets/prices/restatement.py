"""Detect restated adjusted history and plan the re-fetch that replaces it.

Yahoo's adjusted close is back-adjusted: after every new dividend or split it rescales the whole
earlier series. An incremental fetch of the last few sessions then disagrees with what is stored
for the same sessions, and the stored older rows are stale too. The fix is to fetch the ticker's
full history again and archive it with `replaces_history_of=[ticker]`, so the loader deletes the old
rows and inserts the new ones in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from assets.prices.normalize import PROVIDER


def compare_adjusted_close(
    stored: pd.DataFrame, fetched: pd.DataFrame, rel_tol: float = 1e-6
) -> pd.DataFrame:
    """Sessions where the fetched adj_close differs from the stored one, beyond rel_tol.

    Only rows whose adjusted close came from the provider on both sides are compared (when the
    frames carry `adj_close_source`): an imported series with adj_close = close is expected to
    differ from Yahoo's, and replacing a user's import is the user's decision. Rows with a missing
    adj_close on either side are not compared. Returns ticker, session_date, stored_adj_close,
    fetched_adj_close, rel_diff.
    """
    columns = ["ticker", "session_date", "stored_adj_close", "fetched_adj_close", "rel_diff"]
    if rel_tol < 0:
        raise ValueError(f"rel_tol must be >= 0, got {rel_tol}")
    if not len(stored) or not len(fetched):
        return pd.DataFrame(columns=columns)
    left = _comparable(stored).rename(columns={"adj_close": "stored_adj_close"})
    right = _comparable(fetched).rename(columns={"adj_close": "fetched_adj_close"})
    both = left.merge(right, on=["ticker", "session_date"], how="inner")
    both = both.dropna(subset=["stored_adj_close", "fetched_adj_close"])
    s = both["stored_adj_close"].to_numpy(dtype="float64")
    f = both["fetched_adj_close"].to_numpy(dtype="float64")
    scale = np.maximum(np.abs(s), np.abs(f))
    diff = np.abs(f - s)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / scale, 0.0)
    both["rel_diff"] = rel
    out = both.loc[rel > rel_tol, columns]
    return out.sort_values(["ticker", "session_date"], kind="stable").reset_index(drop=True)


def _comparable(bars: pd.DataFrame) -> pd.DataFrame:
    frame = bars
    if "adj_close_source" in frame.columns:
        frame = frame.loc[frame["adj_close_source"] == PROVIDER]
    out = frame.loc[:, ["ticker", "session_date", "adj_close"]].copy()
    out["session_date"] = pd.to_datetime(out["session_date"]).dt.date
    return out


def detect_restated_tickers(
    stored: pd.DataFrame, fetched: pd.DataFrame, rel_tol: float = 1e-6
) -> list[str]:
    """Tickers whose fetched adj_close disagrees with the stored one on an overlapping session."""
    diffs = compare_adjusted_close(stored, fetched, rel_tol=rel_tol)
    return sorted(diffs["ticker"].unique().tolist())


@dataclass(frozen=True)
class RefetchPlan:
    """Re-fetch `tickers` over start..end (inclusive) and archive with replaces_history_of."""

    tickers: list[str]
    start: date
    end: date

    @property
    def replaces_history_of(self) -> list[str]:
        return list(self.tickers)


def plan_restatement_refetch(
    restated: list[str], stored: pd.DataFrame, *, history_start: date, end: date
) -> RefetchPlan | None:
    """The full-history re-fetch that replaces the restated tickers' stored rows.

    Starts at the earlier of `history_start` and the first stored session of those tickers, so
    the replacement covers every stored row it deletes. None when nothing was restated.
    """
    if not restated:
        return None
    start = history_start
    if len(stored):
        mine = stored.loc[stored["ticker"].isin(restated), "session_date"]
        if len(mine):
            first_stored = pd.to_datetime(mine).min().date()
            start = min(start, first_stored)
    if end < start:
        raise ValueError(f"re-fetch end {end} is before its start {start}")
    return RefetchPlan(tickers=sorted(set(restated)), start=start, end=end)
