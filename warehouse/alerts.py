"""raw.alert_log: the alerts of every build and what was delivered for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class Alert:
    alert_id: str
    ticker: str
    session_date: Any  # datetime.date
    group_name: str | None
    abnormal_return: float
    standardized_abnormal_return: float
    sar_threshold: float
    headlines: list[dict[str, Any]]  # headline, url, relative_day, sentiment_*, published_at


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ? and table_catalog = current_database()", [schema, table]
    ).fetchone()[0])


def current_alerts(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """The alerts of the last build (marts.fct_alerts) with their headlines, largest |SAR|
    first; none before the marts exist."""
    if not _exists(con, "marts", "fct_alerts"):
        return []
    headlines: dict[str, list[dict[str, Any]]] = {}
    if _exists(con, "marts", "fct_alert_headlines"):
        for row in con.execute(
            "select alert_id, headline, item_url, relative_day, sentiment_score, "
            "sentiment_label, published_at from marts.fct_alert_headlines "
            "order by alert_id, published_at, item_key"
        ).fetchall():
            headlines.setdefault(row[0], []).append({
                "headline": row[1], "url": row[2], "relative_day": int(row[3]),
                "sentiment_score": _float(row[4]), "sentiment_label": row[5],
                "published_at": row[6].isoformat() if row[6] is not None else None,
            })
    return [
        Alert(r[0], r[1], r[2], r[3], float(r[4]), float(r[5]), float(r[6]),
              headlines.get(r[0], []))
        for r in con.execute(
            "select alert_id, ticker, session_date, group_name, abnormal_return, "
            "standardized_abnormal_return, sar_threshold from marts.fct_alerts "
            "order by abs(standardized_abnormal_return) desc, ticker"
        ).fetchall()
    ]


def record_alerts(
    con: duckdb.DuckDBPyConnection, alerts: list[Alert], headlines_json: dict[str, str],
    now: datetime,
) -> None:
    """Insert new alerts (status not_configured until a delivery says otherwise) and refresh the
    figures of known ones; their delivery record is kept."""
    con.execute("begin transaction")
    try:
        for a in alerts:
            con.execute(
                """insert into raw.alert_log (alert_id, ticker, session_date, group_name,
                       abnormal_return, standardized_abnormal_return, sar_threshold,
                       headline_count, headlines_json, first_raised_at, last_raised_at,
                       delivery_status, delivery_attempts)
                   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'not_configured', 0)
                   on conflict (alert_id) do update set
                       group_name = excluded.group_name,
                       abnormal_return = excluded.abnormal_return,
                       standardized_abnormal_return = excluded.standardized_abnormal_return,
                       sar_threshold = excluded.sar_threshold,
                       headline_count = excluded.headline_count,
                       headlines_json = excluded.headlines_json,
                       last_raised_at = excluded.last_raised_at""",
                [a.alert_id, a.ticker, a.session_date, a.group_name, a.abnormal_return,
                 a.standardized_abnormal_return, a.sar_threshold, len(a.headlines),
                 headlines_json[a.alert_id], now, now],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def delivery_status(con: duckdb.DuckDBPyConnection, alert_id: str) -> str | None:
    row = con.execute(
        "select delivery_status from raw.alert_log where alert_id = ?", [alert_id]
    ).fetchone()
    return row[0] if row else None


def set_delivery(
    con: duckdb.DuckDBPyConnection, alert_id: str, status: str, *, attempts: int = 0,
    http_status: int | None = None, error: str | None = None,
    delivered_at: datetime | None = None, payload: str | None = None,
) -> None:
    """Record a delivery step; each call is its own committed statement, so the record of a
    POST survives whatever happens next."""
    con.execute(
        """update raw.alert_log set delivery_status = ?,
               delivery_attempts = delivery_attempts + ?,
               delivery_http_status = coalesce(?, delivery_http_status),
               delivery_error = ?,
               delivered_at = coalesce(?, delivered_at),
               delivered_payload = coalesce(?, delivered_payload)
           where alert_id = ?""",
        [status, attempts, http_status, error, delivered_at, payload, alert_id],
    )
