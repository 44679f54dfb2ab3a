"""The alerts/alert_log asset in Dagster: a failing webhook is a WARN with the error and a
successful run, never a failed one; the alerts check warns and lists the alerts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from assets.alert_log import ALERTS_CHECK, DELIVERY_CHECK, alert_log
from assets.resources import AlertWebhookResource, WarehouseResource
from tests.support.webhook_server import WebhookServer
from warehouse.schema import create_raw_schema


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        create_raw_schema(con)
        con.execute("create schema marts")
        con.execute("""
            create table marts.fct_alerts as select 'PDD_20250331' as alert_id, 'PDD' as ticker,
                date '2025-03-31' as session_date, 'china_adr' as group_name,
                -0.11::double as abnormal_return, -3.5::double as standardized_abnormal_return,
                2.58::double as sar_threshold""")
        con.execute("""
            create table marts.fct_alert_headlines as select 'PDD_20250331' as alert_id,
                'k1' as item_key, 0 as relative_day,
                timestamptz '2025-03-31 11:45:00+00' as published_at,
                'PDD shares tumble' as headline, 'https://x.invalid/2' as item_url,
                -0.34::double as sentiment_score, 'negative' as sentiment_label""")
    finally:
        con.close()


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_failing_webhook_warns_with_the_error_and_the_run_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _warehouse(path)
    with WebhookServer([500]) as server:
        result = dg.materialize(
            [alert_log],
            resources={
                "warehouse": WarehouseResource(path=str(path)),
                "alert_webhook": AlertWebhookResource(url=server.url, timeout_seconds=2.0),
            },
        )
        attempts = len(server.received)
    assert result.success
    assert attempts == 3  # bounded: 500 is retried, three attempts in all
    checks = _checks(result)
    delivery = checks[DELIVERY_CHECK]
    assert not delivery.passed and delivery.severity == dg.AssetCheckSeverity.WARN
    assert "PDD_20250331: HTTP 500" in (delivery.description or "")
    alerts = checks[ALERTS_CHECK]
    assert not alerts.passed and alerts.severity == dg.AssetCheckSeverity.WARN
    rows = alerts.metadata["alerts"].value
    assert rows == [{
        "ticker": "PDD", "session_date": "2025-03-31", "group": "china_adr",
        "abnormal_return": -0.11, "sar": -3.5,
        "headlines": "[day 0] PDD shares tumble (negative)",
    }]


def test_no_alert_and_no_webhook_pass_both_checks(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _warehouse(path)
    con = duckdb.connect(str(path))
    con.execute("delete from marts.fct_alerts")
    con.close()
    result = dg.materialize(
        [alert_log],
        resources={
            "warehouse": WarehouseResource(path=str(path)),
            "alert_webhook": AlertWebhookResource(url="", timeout_seconds=2.0),
        },
    )
    assert result.success
    checks = _checks(result)
    assert checks[ALERTS_CHECK].passed and checks[DELIVERY_CHECK].passed
    assert "no webhook configured" in (checks[DELIVERY_CHECK].description or "")
