"""The report's charts as PNG bytes, drawn on matplotlib's Agg canvas.

`Figure` is used directly (not pyplot), so there is no global figure state and no GUI backend:
safe in a Dagster step, a CLI process or a test.
"""

from __future__ import annotations

import io
import math
import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

CHINA_COLOR = "#c0392b"
US_COLOR = "#1f4e9c"
GROUP_COLORS = {"china_adr": CHINA_COLOR, "us_megacap": US_COLOR, "china_otc": "#e67e22"}
DPI = 110


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No Software/date metadata: the same data gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _margins_in_inches(
    figure: Figure, rows: int, columns: int, *, left: float, right: float, top: float,
    bottom: float, row_gap: float, column_gap: float,
) -> None:
    """Place a grid of panels with margins and gaps given in inches, not as fractions of the
    figure: the same room for tick labels and titles however many rows the figure has. For
    charts with many small panels, where matplotlib's constrained layout measures every tick
    label of every panel and took most of the time (docs/BENCHMARKS.md)."""
    width, height = figure.get_size_inches()
    panel_width = (width - left - right - (columns - 1) * column_gap) / columns
    panel_height = (height - top - bottom - (rows - 1) * row_gap) / rows
    figure.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height,
        top=1 - top / height, wspace=column_gap / panel_width, hspace=row_gap / panel_height,
    )


def _message_figure(message: str) -> Figure:
    """A picture holding only `message`: what a chart says when it has nothing to draw."""
    lines = textwrap.wrap(message, width=90)
    figure = Figure(figsize=(8, 0.6 + 0.3 * len(lines)))
    figure.text(0.5, 0.5, "\n".join(lines), ha="center", va="center", fontsize=10)
    return figure


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monthly_returns_heatmap_png(monthly: pd.DataFrame) -> bytes:
    """One heatmap per basket: calendar years down, months across, each cell the month's
    compounded return in percent (red below 0, green above, one colour scale for all baskets);
    a month the history starts or ends inside is marked with an asterisk."""
    return _png(monthly_returns_heatmap_figure(monthly))


def monthly_returns_heatmap_figure(monthly: pd.DataFrame) -> Figure:
    if monthly.empty:
        return _message_figure("No monthly returns: this build has no marts.fct_monthly_returns")
    baskets = sorted(monthly["basket"].unique())
    years = sorted(monthly["calendar_year"].unique())
    limit = max(float(monthly["monthly_return"].abs().max()), 1e-9) * 100
    figure = Figure(figsize=(10, 0.9 + 0.45 * len(years) * len(baskets)), layout="constrained")
    axes = figure.subplots(len(baskets), 1, squeeze=False)[:, 0]
    for axis, basket in zip(axes, baskets, strict=True):
        rows = monthly[monthly["basket"] == basket]
        grid = (
            rows.pivot(index="calendar_year", columns="calendar_month", values="monthly_return")
            .reindex(index=years, columns=range(1, 13))
            * 100
        )
        image = axis.imshow(grid.to_numpy(dtype=float), cmap="RdYlGn", vmin=-limit, vmax=limit,
                            aspect="auto")
        partial = {
            (int(r.calendar_year), int(r.calendar_month))
            for r in rows.itertuples()
            if r.is_partial_month
        }
        for i, year in enumerate(years):
            for j, month in enumerate(range(1, 13)):
                value = grid.loc[year, month]
                if pd.notna(value):
                    mark = "*" if (year, month) in partial else ""
                    axis.text(j, i, f"{value:+.1f}{mark}", ha="center", va="center", fontsize=8)
        axis.set_xticks(range(12), MONTHS)
        axis.set_yticks(range(len(years)), [str(y) for y in years])
        axis.set_title(f"{basket}: monthly return, % (* partial month)", fontsize=10)
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="%")
    return figure


def drawdown_png(drawdowns: pd.DataFrame) -> bytes:
    """Each basket's drawdown from its running high (the underwater chart), its deepest point
    marked."""
    return _png(drawdown_figure(drawdowns))


def drawdown_figure(drawdowns: pd.DataFrame) -> Figure:
    if drawdowns.empty:
        return _message_figure("No drawdown chart: this build has no marts.fct_basket_drawdowns")
    figure = Figure(figsize=(10, 3.6), layout="constrained")
    axis = figure.subplots()
    for basket, rows in drawdowns.groupby("basket"):
        color = GROUP_COLORS.get(str(basket), "grey")
        dates = pd.to_datetime(rows["session_date"])
        axis.fill_between(dates, 100 * rows["drawdown"], 0, color=color, alpha=0.18, lw=0)
        axis.plot(dates, 100 * rows["drawdown"], color=color, lw=1.2, label=str(basket))
        deepest = rows.loc[rows["drawdown"].idxmin()]
        axis.annotate(
            f"{100 * deepest['drawdown']:.1f}%",
            (pd.Timestamp(deepest["session_date"]), 100 * deepest["drawdown"]),
            xytext=(0, -10),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color=color,
        )
    axis.axhline(0, color="grey", lw=0.8)
    axis.set_ylim(bottom=115 * float(drawdowns["drawdown"].min()) - 0.5)  # room for the labels
    axis.set_ylabel("drawdown, %")
    axis.set_title("Equal-weight baskets (rebalanced daily): drawdown from the running high")
    axis.legend(loc="lower left")
    axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return figure


def relative_performance_png(relative: pd.DataFrame, events: pd.DataFrame) -> bytes:
    """Both basket indices (100 at the base date) and their spread, events as numbered lines."""
    figure = Figure(figsize=(10, 5.6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    dates = pd.to_datetime(relative["session_date"])
    top.plot(dates, relative["index_a"], color=CHINA_COLOR, lw=1.8, label="China ADR basket")
    top.plot(dates, relative["index_b"], color=US_COLOR, lw=1.8, label="US megacap basket")
    top.axhline(100, color="grey", lw=0.8, ls=":")
    base = pd.Timestamp(relative["base_date"].iloc[0]).date().isoformat()
    top.set_title(f"Equal-weight baskets, buy-and-hold, 100 = close of {base}", pad=4)
    top.set_ylabel("index")
    bottom.fill_between(dates, 100 * relative["spread"], 0, color=CHINA_COLOR, alpha=0.25, lw=0)
    bottom.plot(dates, 100 * relative["spread"], color=CHINA_COLOR, lw=1.2)
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set_ylabel("spread, pp")
    for marker, day in zip(events["marker"], pd.to_datetime(events["day_zero_date"]), strict=True):
        for axis in (top, bottom):
            axis.axvline(day, color="black", lw=0.7, ls="--", alpha=0.5)
        # Staggered heights: catalogued events cluster (four in one week of February 2025).
        top.annotate(
            str(marker),
            (day, 0.97 - 0.06 * (marker % 3)),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "grey", "lw": 0.5},
        )
    top.legend(loc="upper left")
    for axis in (top, bottom):
        axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def event_car_png(car_paths: pd.DataFrame, empty_reason: str = "") -> bytes:
    """One panel per catalogued event: mean CAR by group over the event window, 95% band.
    Without any panel, a picture saying why (`empty_reason`)."""
    return _png(event_car_figure(car_paths, empty_reason))


def event_car_figure(car_paths: pd.DataFrame, empty_reason: str = "") -> Figure:
    # Chronological panels; the frame comes sorted by event id.
    events = list(dict.fromkeys(car_paths.sort_values(["day_zero_date", "event_id"])["event_id"]))
    if not events:
        return _message_figure(
            "No CAR chart: " + (empty_reason or "no catalogued event has two or more pairs")
        )
    columns = min(3, len(events))
    rows = math.ceil(len(events) / columns)
    # at least as wide as the figure's title with room to spare (one event: one panel, 4.2 in
    # clipped it)
    figure = Figure(figsize=(max(4.2 * columns, 7.0), 3.2 * rows))
    axes = figure.subplots(rows, columns, squeeze=False, sharey=True)
    # Room for the y label and tick labels up to "-100" left of the first column (the other
    # columns share its axis and show none), a title above each panel, the day ticks and their
    # label below each panel, and the figure's title above all.
    _margins_in_inches(figure, rows, columns, left=0.85, right=0.12, top=0.6, bottom=0.55,
                       row_gap=0.8, column_gap=0.2)
    for axis, event_id in zip(axes.flat, events, strict=False):
        for group, path in car_paths[car_paths["event_id"] == event_id].groupby("group_name"):
            color = GROUP_COLORS.get(str(group), "grey")
            n = int(path["pairs"].max())
            axis.plot(
                path["relative_day"],
                100 * path["mean_car"],
                color=color,
                lw=1.6,
                label=f"{group} (N={n})",
            )
            axis.fill_between(
                path["relative_day"],
                100 * path["lower"],
                100 * path["upper"],
                color=color,
                alpha=0.18,
                lw=0,
            )
        axis.axvline(0, color="black", lw=0.8, ls="--")
        axis.axhline(0, color="grey", lw=0.8)
        axis.set_title(event_id, fontsize=10)
        axis.set_xlabel("sessions from day 0")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))  # whole days
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="upper left")
    for axis in axes.flat[len(events) :]:
        axis.set_visible(False)
    for axis in axes[:, 0]:
        axis.set_ylabel("mean CAR, % (market model)")
    figure.suptitle("Cumulative abnormal return by event and group, 95% confidence band",
                    y=1 - 0.1 / figure.get_figheight())
    return figure


def valuation_spread_png(spread: pd.DataFrame) -> bytes:
    """Median forward P/E of both baskets by session, and the discount of A to B with the latest
    percentile. Without any session, a picture saying so."""
    usable = spread.dropna(subset=["forward_pe_discount"]) if not spread.empty else spread
    if usable.empty:
        figure = Figure(figsize=(8, 0.9))
        figure.text(
            0.5,
            0.5,
            "No valuation spread yet: the daily runs snapshot the valuations (Yahoo keeps no "
            "history),\nso it starts with the first run that got enough members of both baskets.",
            ha="center",
            va="center",
            fontsize=10,
        )
        return _png(figure)
    figure = Figure(figsize=(10, 5.2), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    dates = pd.to_datetime(usable["session_date"])
    basket_a, basket_b = usable["basket_a"].iloc[0], usable["basket_b"].iloc[0]
    top.plot(dates, usable["median_forward_pe_a"], color=GROUP_COLORS.get(basket_a, CHINA_COLOR),
             lw=1.8, marker=".", label=f"{basket_a} median")
    top.plot(dates, usable["median_forward_pe_b"], color=GROUP_COLORS.get(basket_b, US_COLOR),
             lw=1.8, marker=".", label=f"{basket_b} median")
    top.set_ylabel("forward P/E")
    top.set_title(f"Forward P/E: {basket_a} against {basket_b}", pad=4)
    top.legend(loc="upper left")
    discount = 100 * usable["forward_pe_discount"]
    bottom.fill_between(dates, discount, 0, color=CHINA_COLOR, alpha=0.25, lw=0)
    bottom.plot(dates, discount, color=CHINA_COLOR, lw=1.2, marker=".")
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set_ylabel("discount, %")
    last = usable.iloc[-1]
    bottom.annotate(
        f"{100 * last['forward_pe_discount']:.1f}%, percentile "
        f"{100 * last['forward_pe_discount_percentile']:.0f} of "
        f"{int(last['forward_pe_history_sessions'])} sessions",
        (dates.iloc[-1], discount.iloc[-1]),
        xytext=(-8, -14),
        textcoords="offset points",
        ha="right",
        fontsize=8,
    )
    for axis in (top, bottom):
        axis.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def adr_premium_png(history: pd.DataFrame) -> bytes:
    """One small panel per dual-listed pair: the same-day premium of the ADR to its home line, in
    percent, with zero marked."""
    return _png(adr_premium_figure(history))


def adr_premium_figure(history: pd.DataFrame) -> Figure:
    pairs = list(dict.fromkeys(zip(history["adr_ticker"], history["home_ticker"], strict=True)))
    columns = 2 if len(pairs) > 1 else 1
    rows = max(1, math.ceil(len(pairs) / columns))
    figure = Figure(figsize=(10, 1.9 * rows + 0.6))
    axes = figure.subplots(rows, columns, sharex=True, squeeze=False).ravel()
    # Room for a y label and tick labels up to "-10.0" at the left of each column, for a title
    # above each panel, and for the dates turned 30 degrees below the last row.
    margins = {"left": 0.75, "right": 0.15, "top": 0.55, "bottom": 0.7}
    _margins_in_inches(figure, rows, columns, row_gap=0.38, column_gap=0.8, **margins)
    for axis, (adr, home) in zip(axes, pairs, strict=False):
        pair = history[history["adr_ticker"] == adr]
        axis.plot(pd.to_datetime(pair["session_date"]), 100 * pair["premium_same_day"],
                  color=CHINA_COLOR, lw=1.0)
        axis.axhline(0, color="grey", lw=0.8)
        axis.set_title(f"{adr} vs {home}", fontsize=9, pad=2)
        axis.set_ylabel("premium, %", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.grid(alpha=0.3)
    for axis in axes[len(pairs):]:
        axis.set_visible(False)
    if not pairs:
        axes[0].set_visible(True)
        axes[0].text(0.5, 0.5, "no dual-listed pair has prices", ha="center", va="center",
                     transform=axes[0].transAxes)
    figure.suptitle("ADR premium to the Hong Kong line (same-day close, HKD=X)", fontsize=10,
                    y=1 - 0.12 / figure.get_figheight())
    figure.autofmt_xdate(bottom=margins["bottom"] / figure.get_figheight())
    return figure
