"""Analyst actions and valuation snapshots from Yahoo's per-ticker quote endpoints, without
Dagster: fetching (fetch.py) and archiving, loading and replaying (live.py)."""
