"""The numbers a reader wants first from a mart, shown as metadata on the mart's asset after each
dbt build (assets/dbt_models.py), next to its row count and schema."""

from collections.abc import Callable
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from assets.reporting.data import latest_premiums

VALUATION_SPREAD = dg.AssetKey(["marts", "fct_valuation_spread"])
ADR_PREMIUM = dg.AssetKey(["marts", "fct_adr_premium"])
# |z| at or beyond this is unusual for the pair (the report and queries/adr_premium_today say so)
UNUSUAL_PREMIUM_Z = 2.0

LATEST_VALUATION_SPREAD_SQL = """
    select session_date, basket_a, basket_b, median_forward_pe_a, median_forward_pe_b,
           forward_pe_discount, forward_pe_discount_percentile, forward_pe_history_sessions,
           price_to_sales_discount, price_to_sales_discount_percentile
    from marts.fct_valuation_spread
    where forward_pe_discount is not null
    order by session_date desc
    limit 10
"""


def _fmt(value: Any, pattern: str) -> str:
    return "" if value is None else pattern.format(value)


def valuation_spread_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The latest forward P/E discount of basket A to B, its percentile in the stored history,
    and the last ten sessions as a table."""
    rows = con.execute(LATEST_VALUATION_SPREAD_SQL).fetchall()
    if not rows:
        return {"latest_forward_pe_discount": "no session with both baskets' forward P/E yet"}
    (day, a, b, pe_a, pe_b, discount, percentile, sessions, ps_discount, _) = rows[0]
    lines = [
        f"| session | median fwd P/E {a} | {b} | discount | percentile | P/S discount |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d, _, _, pa, pb, disc, pct, _, psd, _ in rows:
        lines.append(
            f"| {d} | {pa:.1f} | {pb:.1f} | {disc:.1%} | {_fmt(pct, '{:.0%}')} | "
            f"{_fmt(psd, '{:.1%}')} |"
        )
    return {
        "latest_valuation_session": str(day),
        "median_forward_pe": dg.MetadataValue.md(f"{a}: {pe_a:.2f}, {b}: {pe_b:.2f}"),
        "forward_pe_discount": dg.MetadataValue.float(float(discount)),
        "forward_pe_discount_percentile": dg.MetadataValue.float(float(percentile)),
        "stored_sessions": int(sessions),
        "price_to_sales_discount": (
            dg.MetadataValue.float(float(ps_discount)) if ps_discount is not None else "n/a"
        ),
        "latest_sessions": dg.MetadataValue.md("\n".join(lines)),
    }


def adr_premium_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Each dual-listed pair's latest same-day premium (ADR close against home close x shares per
    ADS / HKD per USD), its 60-session z-score and the next-session premium, as a table; and the
    pairs whose premium is unusual (|z| >= 2)."""
    latest = latest_premiums(con)
    if latest.empty:
        return {"latest_premiums": "no pair has prices for both lines and HKD=X yet"}
    lines = [
        "| ADR | home line | as of | ADR close | home close | HKD per USD | shares per ADS "
        "| premium | z (60 sessions) | next-session premium |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    unusual = []
    for row in latest.itertuples(index=False):
        z = None if pd.isna(row.premium_zscore) else float(row.premium_zscore)
        following = None if pd.isna(row.premium_next_session) else row.premium_next_session
        lines.append(
            f"| {row.adr_ticker} | {row.home_ticker} | {row.session_date:%Y-%m-%d} "
            f"| {row.adr_close:.2f} | {row.home_close_same_day:.2f} | {row.hkd_per_usd:.4f} "
            f"| {row.shares_per_ads:g} | {row.premium_same_day:+.2%} | {_fmt(z, '{:+.2f}')} "
            f"| {_fmt(following, '{:+.2%}')} |"
        )
        if z is not None and abs(z) >= UNUSUAL_PREMIUM_Z:
            unusual.append(row.adr_ticker)
    return {
        "latest_premium_session": f"{max(latest['session_date']):%Y-%m-%d}",
        "pairs_with_premium": len(latest),
        "unusual_premiums": dg.MetadataValue.json(unusual),
        "latest_premiums": dg.MetadataValue.md("\n".join(lines)),
    }


MART_HEADLINES: dict[dg.AssetKey, Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]] = {
    VALUATION_SPREAD: valuation_spread_metadata,
    ADR_PREMIUM: adr_premium_metadata,
}
