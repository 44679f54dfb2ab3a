"""Alerts after a build: the log in raw.alert_log, the message, and webhook delivery against a
loopback HTTP receiver (success, 500 then success, timeout, rerun, refusal, no webhook)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from assets.alerts.deliver import alert_text, process_alerts
from assets.alerts.webhook import post_json
from tests.support.webhook_server import WebhookServer
from warehouse.schema import create_raw_schema

LOG = logging.getLogger("test_alerts")
NOW = datetime(2025, 3, 31, 23, 0, tzinfo=UTC)


@pytest.fixture
def con(tmp_path: Path):
    """A warehouse with the two alert marts as the build leaves them: PDD (two headlines) and
    NIO (none)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_raw_schema(con)
    con.execute("create schema marts")
    con.execute("""
        create table marts.fct_alerts as select * from (values
          ('PDD_20250331', 'PDD', date '2025-03-31', 'china_adr', -0.11, -3.52, 2.58),
          ('NIO_20250331', 'NIO', date '2025-03-31', 'china_adr', 0.12, 3.23, 2.58)
        ) as t(alert_id, ticker, session_date, group_name, abnormal_return,
               standardized_abnormal_return, sar_threshold)""")
    con.execute("""
        create table marts.fct_alert_headlines as select * from (values
          ('PDD_20250331', 'k1', -1, timestamptz '2025-03-28 14:30:00+00',
           'Temu owner PDD faces EU probe', 'https://x.invalid/1', 0.0, 'neutral'),
          ('PDD_20250331', 'k2', 0, timestamptz '2025-03-31 11:45:00+00',
           'PDD shares tumble as EU opens investigation', 'https://x.invalid/2', -0.34,
           'negative')
        ) as t(alert_id, item_key, relative_day, published_at, headline, item_url,
               sentiment_score, sentiment_label)""")
    yield con
    con.close()


def _poster(timeout: float = 2.0):
    def post(url, payload, key):
        # The real client; only the waits between attempts are skipped to keep the test fast.
        return post_json(url, payload, timeout_seconds=timeout, idempotency_key=key,
                         sleep=lambda _: None)
    return post


def _log(con) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute(
            "select alert_id, delivery_status, delivery_attempts, delivery_http_status, "
            "delivery_error, delivered_payload from raw.alert_log"
        ).fetchall()
    }


def test_each_alert_is_posted_once_as_slack_text_plus_fields_and_recorded(con) -> None:
    with WebhookServer([200]) as server:
        run = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert sorted(run.sent) == ["NIO_20250331", "PDD_20250331"]
        assert len(server.received) == 2
        pdd = next(r for r in server.received if r.body["ticker"] == "PDD")
    assert pdd.headers["Idempotency-Key"] == "PDD_20250331"
    assert pdd.headers["Content-Type"] == "application/json"
    body = pdd.body
    assert body["session_date"] == "2025-03-31" and body["group"] == "china_adr"
    assert body["abnormal_return"] == -0.11 and body["standardized_abnormal_return"] == -3.52
    assert [h["headline"] for h in body["headlines"]] == [
        "Temu owner PDD faces EU probe", "PDD shares tumble as EU opens investigation"]
    assert body["headlines"][1]["sentiment_label"] == "negative"
    assert "PDD (china_adr) on 2025-03-31: abnormal return -11.00%, SAR -3.52" in body["text"]
    assert "<https://x.invalid/2|PDD shares tumble as EU opens investigation>" in body["text"]
    log = _log(con)
    assert log["PDD_20250331"][:4] == ("sent", 1, 200, None)
    assert json.loads(log["PDD_20250331"][4]) == body  # what was sent is what is recorded


def test_a_500_is_retried_and_the_second_attempt_counts(con) -> None:
    con.execute("delete from marts.fct_alerts where ticker = 'NIO'")
    with WebhookServer([500, 200]) as server:
        run = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 2
    assert run.sent == ["PDD_20250331"] and not run.failed
    assert _log(con)["PDD_20250331"][:4] == ("sent", 2, 200, None)


def test_a_timing_out_endpoint_is_a_recorded_failure_never_an_exception(con) -> None:
    con.execute("delete from marts.fct_alerts where ticker = 'NIO'")
    with WebhookServer([("sleep", 1.5, 200)]) as server:
        run = process_alerts(con, server.url, _poster(timeout=0.3), LOG, now=lambda: NOW)
    assert run.sent == []
    assert run.failed == {"PDD_20250331": "timed out after 0.3 s"}
    status, attempts, http_status, error, payload = _log(con)["PDD_20250331"]
    assert (status, attempts, http_status, payload) == ("failed", 3, None, None)
    assert error == "timed out after 0.3 s"
    # The next run tries again, and a working endpoint then gets it once.
    with WebhookServer([200]) as server:
        again = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 1
    assert again.sent == ["PDD_20250331"]
    assert _log(con)["PDD_20250331"][:4] == ("sent", 4, 200, None)


def test_a_rerun_sends_nothing_twice(con) -> None:
    with WebhookServer([200]) as server:
        process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 2
        rerun = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 2
    assert rerun.sent == [] and sorted(rerun.already_sent) == ["NIO_20250331", "PDD_20250331"]
    assert con.execute("select count(*) from raw.alert_log").fetchone()[0] == 2


def test_a_refusal_is_not_retried(con) -> None:
    con.execute("delete from marts.fct_alerts where ticker = 'NIO'")
    with WebhookServer([404]) as server:
        run = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 1
    assert run.failed["PDD_20250331"].startswith("HTTP 404")
    assert _log(con)["PDD_20250331"][:3] == ("failed", 1, 404)


def test_without_a_webhook_alerts_are_logged_and_sent_once_one_is_set(con) -> None:
    run = process_alerts(con, "", _poster(), LOG, now=lambda: NOW)
    assert len(run.alerts) == 2 and run.sent == [] and not run.webhook_configured
    assert {v[0] for v in _log(con).values()} == {"not_configured"}
    headlines = json.loads(con.execute(
        "select headlines_json from raw.alert_log where ticker = 'PDD'").fetchone()[0])
    assert [h["relative_day"] for h in headlines] == [-1, 0]
    with WebhookServer([200]) as server:
        later = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert len(server.received) == 2
    assert sorted(later.sent) == ["NIO_20250331", "PDD_20250331"]


def test_a_run_that_died_mid_post_does_not_send_again(con) -> None:
    process_alerts(con, "", _poster(), LOG, now=lambda: NOW)
    con.execute("update raw.alert_log set delivery_status = 'sending' where ticker = 'PDD'")
    with WebhookServer([200]) as server:
        run = process_alerts(con, server.url, _poster(), LOG, now=lambda: NOW)
        assert [r.body["ticker"] for r in server.received] == ["NIO"]
    assert run.unknown == ["PDD_20250331"]
    assert _log(con)["PDD_20250331"][0] == "unknown"


def test_the_message_says_when_no_headline_explains_the_move(con) -> None:
    run = process_alerts(con, "", _poster(), LOG, now=lambda: NOW)
    nio = next(a for a in run.alerts if a.ticker == "NIO")
    assert alert_text(nio).endswith("No headline tagged to NIO on days -1 and 0.")
    assert "SAR +3.23 (threshold 2.58)" in alert_text(nio)


def test_an_unusable_webhook_url_is_a_recorded_failure(con) -> None:
    run = process_alerts(con, "hooks.example.invalid/no-scheme", _poster(), LOG, now=lambda: NOW)
    assert set(run.failed) == {"NIO_20250331", "PDD_20250331"}
    assert {v[0] for v in _log(con).values()} == {"failed"}
