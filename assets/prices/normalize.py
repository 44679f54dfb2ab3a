"""Turn what `yfinance.download` returns into the canonical long form of daily bars.

We always call `yf.download(..., auto_adjust=False, actions=True)` with the default
`group_by='column'` and `multi_level_index=True`. yfinance 1.7 then returns:

- columns: a MultiIndex named ['Price', 'Ticker'] (also for a single ticker), sorted by price field:
  Adj Close, Close, Dividends, High, Low, Open, Stock Splits, Volume (plus Capital Gains when an ETF
  or fund is in the batch);
- index: named 'Date'; tz-naive at midnight for daily bars by default (`ignore_tz=True` strips the
  exchange zone, keeping the exchange-local date), or zone-aware midnight America/New_York with
  `ignore_tz=False`;
- a failed ticker among others: all-NaN columns, and only the six price/volume fields (no Dividends
  or Stock Splits columns); a failed ticker alone: zero rows;
- NaN rows for a ticker on dates another ticker in the batch traded.

The session date is the index date as stamped (midnight in the exchange's zone). A zone-aware index
is read in America/New_York, never in another zone: midnight New York read in UTC would still be
the same day, but read in a zone west of New York it becomes the previous day.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from warehouse.archive import PRICE_COLUMNS

NEW_YORK_ZONE = "America/New_York"
PROVIDER = "provider"

# yfinance field name -> canonical column.
_FIELD_TO_COLUMN: dict[str, str] = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
    "Dividends": "dividends",
    "Stock Splits": "stock_splits",
}
PRICE_VALUE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close")


class AutoAdjustedFrameError(ValueError):
    """The frame has the auto_adjust=True column set, which cannot fill the canonical form."""


def empty_bars() -> pd.DataFrame:
    """A canonical bars frame with no rows and the canonical dtypes."""
    return canonical_dtypes(pd.DataFrame({c: [] for c in PRICE_COLUMNS}))


def canonical_dtypes(bars: pd.DataFrame) -> pd.DataFrame:
    """Columns in PRICE_COLUMNS order with the dtypes the archive and loader expect."""
    out = bars.loc[:, list(PRICE_COLUMNS)].copy()
    out["ticker"] = out["ticker"].astype(object)
    out["session_date"] = out["session_date"].astype(object)
    for col in (*PRICE_VALUE_COLUMNS, "dividends", "stock_splits"):
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64")
    out["volume"] = _to_nullable_int(out["volume"])
    out["adj_close_source"] = out["adj_close_source"].astype(object)
    return out.reset_index(drop=True)


def _to_nullable_int(values: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(values, errors="raise").astype("float64")
    rounded = numeric.round()
    return rounded.astype("Int64")


def session_dates(index: pd.Index) -> list:
    """The session date of each index entry: midnight in New York, zone stripped.

    Raises ValueError for an entry that is not midnight (intraday bars, or a zone conversion
    upstream), since its date would be ambiguous.
    """
    if not isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert(NEW_YORK_ZONE).tz_localize(None)
    not_midnight = index != index.normalize()
    if not_midnight.any():
        first = index[np.argmax(not_midnight)]
        raise ValueError(
            f"index entry {first} is not midnight in {NEW_YORK_ZONE}: expected daily bars from "
            "yf.download(interval='1d'); intraday or re-zoned stamps have no single session date"
        )
    return [ts.date() for ts in index]


def _split_levels(frame: pd.DataFrame) -> tuple[int, int]:
    """(field level, ticker level) of the frame's column MultiIndex."""
    names = list(frame.columns.names)
    if "Price" in names and "Ticker" in names:
        return names.index("Price"), names.index("Ticker")
    # Unnamed levels: recognise the field level by its values (group_by='column' puts it first).
    level0 = {str(v) for v in frame.columns.get_level_values(0)}
    if level0 & set(_FIELD_TO_COLUMN):
        return 0, 1
    return 1, 0


def _as_multi(frame: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    if isinstance(frame.columns, pd.MultiIndex):
        return frame
    # multi_level_index=False with one ticker gives flat field columns.
    if len(tickers) != 1:
        raise ValueError(
            "flat columns with several tickers: call yf.download with the default "
            "multi_level_index=True and group_by='column'"
        )
    out = frame.copy()
    out.columns = pd.MultiIndex.from_product(
        [list(frame.columns), [tickers[0].upper()]], names=["Price", "Ticker"]
    )
    return out


def normalize_download(frame: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
    """Canonical long bars (warehouse.archive.PRICE_COLUMNS) from one `yf.download` result.

    `tickers` are the symbols requested; the frame's ticker level is matched case-insensitively
    (yfinance upper-cases symbols) and the requested spelling is kept. A requested ticker with no
    columns or only NaN rows yields no rows; the caller decides whether that is a failure. Rows
    where every price is NaN are dropped. Raises AutoAdjustedFrameError for the auto_adjust=True
    column set.
    """
    if frame is None:
        raise ValueError("yf.download returned None instead of a DataFrame")
    wanted = {t.upper(): t for t in tickers}
    if len(wanted) != len(tickers):
        raise ValueError(f"duplicate tickers in request: {sorted(tickers)}")
    if frame.shape[1] == 0:
        return empty_bars()
    frame = _as_multi(frame, tickers)
    field_level, ticker_level = _split_levels(frame)
    fields = {str(v) for v in frame.columns.get_level_values(field_level)}
    frame_tickers = {str(v) for v in frame.columns.get_level_values(ticker_level)}

    unexpected = sorted(t for t in frame_tickers if t.upper() not in wanted)
    if unexpected:
        raise ValueError(
            f"yf.download returned tickers that were not requested: {unexpected} "
            f"(requested {sorted(tickers)})"
        )
    if "Close" in fields and "Adj Close" not in fields:
        raise AutoAdjustedFrameError(
            "the frame has no 'Adj Close' column: it was downloaded with auto_adjust=True, where "
            "'Close' is already adjusted and the raw close is lost; download with auto_adjust=False"
        )

    dates = session_dates(frame.index) if len(frame.index) else []
    pieces: list[pd.DataFrame] = []
    for symbol in sorted(frame_tickers):
        sub = frame.xs(symbol, axis=1, level=ticker_level)
        piece = _ticker_piece(sub, wanted[symbol.upper()], dates)
        if len(piece):
            pieces.append(piece)
    if not pieces:
        return empty_bars()
    bars = pd.concat(pieces, ignore_index=True)
    bars = bars.sort_values(["ticker", "session_date"], kind="stable")
    return canonical_dtypes(bars)


def _ticker_piece(sub: pd.DataFrame, ticker: str, dates: list) -> pd.DataFrame:
    columns = {}
    for field, column in _FIELD_TO_COLUMN.items():
        if field in sub.columns:
            columns[column] = pd.to_numeric(sub[field], errors="coerce").to_numpy(dtype="float64")
        else:
            columns[column] = np.full(len(sub), np.nan)
    piece = pd.DataFrame(columns)
    piece.insert(0, "session_date", dates)
    piece.insert(0, "ticker", ticker)
    piece["adj_close_source"] = PROVIDER

    has_price = piece[list(PRICE_VALUE_COLUMNS)].notna().any(axis=1)
    piece = piece.loc[has_price]
    if len(piece) and piece["adj_close"].isna().all() and piece["close"].notna().any():
        # Closes but no adjusted close at all: auto_adjust=True data in a frame whose 'Adj Close'
        # column only came from a failed peer's empty placeholder (yfinance's empty_df has one).
        raise AutoAdjustedFrameError(
            f"{ticker}: 'Close' has values but 'Adj Close' is empty on every row; the data "
            "looks auto-adjusted (auto_adjust=True); download with auto_adjust=False"
        )
    return piece


def rows_per_ticker(bars: pd.DataFrame, tickers: Iterable[str]) -> dict[str, int]:
    """How many bars each requested ticker got (0 for a ticker absent from `bars`)."""
    counts = bars.groupby("ticker").size().to_dict() if len(bars) else {}
    return {t: int(counts.get(t, 0)) for t in tickers}
