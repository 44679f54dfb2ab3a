"""Alerts: significant abnormal moves on the latest session, with the headlines that may explain
them, recorded in raw.alert_log and POSTed once to a webhook (no Dagster here)."""
