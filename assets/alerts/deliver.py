"""After each build: record the latest session's alerts in raw.alert_log and POST each new one
once to the webhook, if one is configured.

"Once" is kept by the log, not by memory: an alert whose delivery_status is `sent` is never
POSTed again. Before a POST the alert is marked `sending` (committed), and afterwards `sent` or
`failed`; a run that dies during the POST leaves `sending`, which the next run turns into
`unknown` and reports instead of sending again, since the receiver may have it. A `failed`
alert (every attempt timed out or was refused) is tried again by the next run while it is still
an alert of the latest session. A failing endpoint never raises: the outcome is returned for the
asset check to show.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from assets.alerts.webhook import PostResult
from warehouse.alerts import (
    Alert,
    current_alerts,
    delivery_status,
    record_alerts,
    set_delivery,
)

# (url, payload, idempotency key) -> PostResult; assets/resources.py binds the timeout.
Poster = Callable[[str, dict[str, Any], str], PostResult]


@dataclass
class AlertRun:
    alerts: list[Alert]
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # alert_id -> error
    unknown: list[str] = field(default_factory=list)  # a run died mid-POST: not resent
    webhook_configured: bool = False


def _signed_percent(x: float) -> str:
    return f"{x * 100:+.2f}%"


def alert_text(alert: Alert) -> str:
    """The human message: Slack renders *bold* and <url|text> links; other receivers show it as
    plain text."""
    lines = [
        f"*ADR Pulse alert* {alert.ticker} ({alert.group_name or 'unclassified'}) on "
        f"{alert.session_date}: abnormal return {_signed_percent(alert.abnormal_return)}, "
        f"SAR {alert.standardized_abnormal_return:+.2f} "
        f"(threshold {alert.sar_threshold:g})"
    ]
    if alert.headlines:
        lines.append("Headlines, days -1 and 0:")
        for h in alert.headlines:
            score = h["sentiment_score"]
            sentiment = (
                f"{h['sentiment_label']} {score:+.2f}" if score is not None else "not scored"
            )
            title = h["headline"].replace(">", "›").replace("<", "‹")
            link = f"<{h['url']}|{title}>" if h.get("url") else title
            lines.append(f"• day {h['relative_day']}: {link} ({sentiment})")
    else:
        lines.append(f"No headline tagged to {alert.ticker} on days -1 and 0.")
    return "\n".join(lines)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """Slack-compatible {"text": ...} plus the structured fields, for any other receiver."""
    return {
        "text": alert_text(alert),
        "alert_id": alert.alert_id,
        "ticker": alert.ticker,
        "session_date": str(alert.session_date),
        "group": alert.group_name,
        "abnormal_return": alert.abnormal_return,
        "standardized_abnormal_return": alert.standardized_abnormal_return,
        "sar_threshold": alert.sar_threshold,
        "headlines": alert.headlines,
    }


def process_alerts(
    con: duckdb.DuckDBPyConnection,
    webhook_url: str,
    post: Poster,
    log: logging.Logger,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AlertRun:
    alerts = current_alerts(con)
    record_alerts(
        con, alerts, {a.alert_id: json.dumps(a.headlines, sort_keys=True) for a in alerts}, now()
    )
    run = AlertRun(alerts, webhook_configured=bool(webhook_url))
    for alert in alerts:
        status = delivery_status(con, alert.alert_id)
        if status == "sent":
            run.already_sent.append(alert.alert_id)
            continue
        if status in ("sending", "unknown"):
            set_delivery(con, alert.alert_id, "unknown",
                         error="an earlier run stopped during the POST; not sent again")
            run.unknown.append(alert.alert_id)
            continue
        if not webhook_url:
            continue
        payload = alert_payload(alert)
        set_delivery(con, alert.alert_id, "sending")
        result = post(webhook_url, payload, alert.alert_id)
        if result.ok:
            set_delivery(con, alert.alert_id, "sent", attempts=result.attempts,
                         http_status=result.http_status, delivered_at=now(),
                         payload=json.dumps(payload, sort_keys=True))
            run.sent.append(alert.alert_id)
            log.info(f"alert {alert.alert_id} sent to the webhook ({result.attempts} attempt(s))")
        else:
            set_delivery(con, alert.alert_id, "failed", attempts=result.attempts,
                         http_status=result.http_status, error=result.error)
            run.failed[alert.alert_id] = result.error or "failed"
            log.warning(
                f"alert {alert.alert_id} NOT delivered after {result.attempts} attempt(s): "
                f"{result.error}; the next run tries again"
            )
    log.info(
        f"{len(alerts)} alert(s) on the latest session: {len(run.sent)} sent, "
        f"{len(run.already_sent)} sent before, {len(run.failed)} failed, "
        f"{len(run.unknown)} unknown" + ("" if webhook_url else " (no webhook configured)")
    )
    return run
