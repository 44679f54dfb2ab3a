"""alerts/alert_log: after the marts are built, the latest session's significant abnormal moves
become alerts, recorded in raw.alert_log and POSTed once to the webhook (assets/alerts/).

Two WARN checks show them in the UI: `latest_session_alerts` fails (as a warning) when the latest
session has alerts and lists them; `webhook_delivery` fails (as a warning) when a POST did not
get through. Neither ever fails the run.

No `from __future__ import annotations` here: Dagster reads the resource annotations of the
asset function at runtime.
"""

import dagster as dg

from assets.alerts.deliver import process_alerts
from assets.metadata import asset_table_metadata
from assets.resources import AlertWebhookResource, WarehouseResource

ALERT_LOG = dg.AssetKey(["alerts", "alert_log"])
FCT_ALERTS = dg.AssetKey(["marts", "fct_alerts"])
FCT_ALERT_HEADLINES = dg.AssetKey(["marts", "fct_alert_headlines"])
ALERTS_CHECK = "latest_session_alerts"
DELIVERY_CHECK = "webhook_delivery"

ALERT_CHECK_SPECS = [
    dg.AssetCheckSpec(
        ALERTS_CHECK, asset=ALERT_LOG, blocking=False,
        description=(
            "WARN when the latest session has alerts: tickers whose |standardised abnormal "
            "return| is at least ADRPULSE_ALERT_SAR_THRESHOLD. The metadata lists each with its "
            "headlines of days -1 and 0."
        ),
    ),
    dg.AssetCheckSpec(
        DELIVERY_CHECK, asset=ALERT_LOG, blocking=False,
        description=(
            "WARN when an alert could not be POSTed to ADRPULSE_ALERT_WEBHOOK (after bounded "
            "retries) or its delivery is unknown; the error is in the metadata. Passes when no "
            "webhook is configured."
        ),
    ),
]


def _alert_rows(run) -> list[dict]:
    """One record per alert: the UI shows them as JSON, the CLI as the check's offending rows."""
    return [
        {
            "ticker": a.ticker,
            "session_date": str(a.session_date),
            "group": a.group_name or "",
            "abnormal_return": round(float(a.abnormal_return), 4),
            "sar": round(float(a.standardized_abnormal_return), 2),
            "headlines": " | ".join(
                f"[day {h['relative_day']}] {h['headline']} ({h['sentiment_label']})"
                for h in a.headlines
            ) or "(none tagged on days -1 and 0)",
        }
        for a in run.alerts
    ]


@dg.asset(
    key=ALERT_LOG,
    deps=[FCT_ALERTS, FCT_ALERT_HEADLINES],
    group_name="alerts",
    pool="warehouse",
    kinds={"duckdb", "python"},
    check_specs=ALERT_CHECK_SPECS,
    description=(
        "Every alert raised by a build (the latest session's |SAR| >= "
        "ADRPULSE_ALERT_SAR_THRESHOLD) with its headlines, and what was delivered to "
        "ADRPULSE_ALERT_WEBHOOK: each alert is POSTed once (docs/alerts.md)."
    ),
)
def alert_log(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    alert_webhook: AlertWebhookResource,
):
    with warehouse.connect() as con:
        run = process_alerts(con, alert_webhook.url, alert_webhook.post, context.log)
        table = asset_table_metadata(con, dg.AssetKey(["raw", "alert_log"]))
    yield dg.MaterializeResult(
        metadata={
            **table,
            "alerts_latest_session": len(run.alerts),
            "sent_in_run": len(run.sent),
            "delivery_failed_in_run": len(run.failed),
            "webhook_configured": run.webhook_configured,
        }
    )
    yield dg.AssetCheckResult(
        check_name=ALERTS_CHECK,
        passed=not run.alerts,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(run.alerts)} significant abnormal move(s) on the latest session"
            if run.alerts else "no significant abnormal move on the latest session"
        ),
        metadata={"alerts": dg.MetadataValue.json(_alert_rows(run)), "count": len(run.alerts)},
    )
    problems = {**run.failed, **{a: "delivery unknown (a run stopped mid-POST)"
                                 for a in run.unknown}}
    yield dg.AssetCheckResult(
        check_name=DELIVERY_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            "; ".join(f"{k}: {v}" for k, v in problems.items()) if problems
            else ("no webhook configured (ADRPULSE_ALERT_WEBHOOK)"
                  if not run.webhook_configured else
                  f"{len(run.sent)} sent, {len(run.already_sent)} sent by an earlier run")
        ),
        metadata={
            "undelivered": dg.MetadataValue.json(
                [{"alert_id": k, "error": v} for k, v in problems.items()]
            ),
            "sent": dg.MetadataValue.json(run.sent),
            "already_sent": dg.MetadataValue.json(run.already_sent),
        },
    )
