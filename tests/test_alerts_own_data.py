"""Alerts on a user's own data: a universe of their own (with a ticker the bundled universe does
not have), a vendor's per-ticker CSVs, and their own alert threshold. The import builds the marts,
and the alert is raised by the user's threshold, not the default one."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import duckdb

from assets.calendar import sessions_between
from assets.settings import SETTINGS
from tests.support.cli import run_cli

SESSIONS = sessions_between(date(2024, 6, 3), date(2025, 3, 28))
# FUTU is in no bundled file: only this user's universe names it.
UNIVERSE = """ticker,name,group_name,exchange,currency
BABA,Alibaba Group Holding,china_adr,NYSE,USD
JD,JD.com,china_adr,NASDAQ,USD
FUTU,Futu Holdings,china_adr,NASDAQ,USD
AAPL,Apple,us_megacap,NASDAQ,USD
MSFT,Microsoft,us_megacap,NASDAQ,USD
SPY,SPDR S&P 500 ETF Trust,benchmark,NYSE Arca,USD
QQQ,Invesco QQQ Trust,benchmark,NASDAQ,USD
"""
# Last-session moves on top of ordinary noise: FUTU's is far beyond any threshold, BABA's is
# beyond the default threshold but below this user's.
LAST_SESSION_MOVES = {"FUTU": 0.25, "BABA": 0.05}
USER_THRESHOLD = 8.0
DEFAULT_THRESHOLD = float(next(s.default for s in SETTINGS if s.field == "alert_sar_threshold"))


def write_vendor_files(folder: Path, tickers: list[str]) -> None:
    """date,open,high,low,close,volume per ticker: a market factor plus 1% idiosyncratic noise."""
    rng = random.Random(20250328)
    market = [rng.gauss(0.0004, 0.008) for _ in SESSIONS]
    folder.mkdir(parents=True)
    for i, ticker in enumerate(tickers):
        beta = 1.0 if ticker in ("SPY", "QQQ") else 0.8 + 0.1 * i
        close = 50.0 + 10 * i
        lines = ["date,open,high,low,close,volume"]
        for n, day in enumerate(SESSIONS):
            r = beta * market[n] + (0.0 if ticker == "SPY" else rng.gauss(0, 0.01))
            if n == len(SESSIONS) - 1:
                r += LAST_SESSION_MOVES.get(ticker, 0.0)
            close *= 1 + r
            lines.append(f"{day},{close:.4f},{close * 1.01:.4f},{close * 0.99:.4f},{close:.4f},"
                         f"{1_000_000 + n}")
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")


def test_the_users_threshold_raises_an_alert_on_their_own_ticker(tmp_path: Path) -> None:
    assert DEFAULT_THRESHOLD < USER_THRESHOLD
    universe = tmp_path / "my_universe.csv"
    universe.write_text(UNIVERSE)
    tickers = [line.split(",")[0] for line in UNIVERSE.splitlines()[1:]]
    bars = tmp_path / "vendor"
    write_vendor_files(bars, tickers)
    home = tmp_path / "home"
    env = {"ADRPULSE_UNIVERSE": str(universe),
           "ADRPULSE_ALERT_SAR_THRESHOLD": str(USER_THRESHOLD)}

    imported = run_cli(home, "import-prices", str(bars), env=env, timeout=1500)
    assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
    # The bundled news files and catalog name tickers this universe lacks: left out, with a
    # warning naming them, instead of failing the run.
    said = imported.stdout + imported.stderr
    assert "names tickers outside your universe (" in said and "PDD" in said, said[-3000:]
    assert "events about no ticker or group of your universe are left out (byd_gods_eye)" in said
    alerts = run_cli(home, "alerts", env=env)
    assert alerts.returncode == 0, alerts.stderr
    assert "FUTU" in alerts.stdout and "BABA" not in alerts.stdout, alerts.stdout

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        raised = con.execute(
            "select ticker, session_date, sar_threshold, standardized_abnormal_return "
            "from marts.fct_alerts"
        ).fetchall()
        sar = dict(con.execute(
            "select ticker, standardized_abnormal_return "
            "from intermediate.int_latest_session_abnormal_returns"
        ).fetchall())
    assert [(t, d, th) for t, d, th, _ in raised] == [("FUTU", SESSIONS[-1], USER_THRESHOLD)]
    assert raised[0][3] >= USER_THRESHOLD
    # BABA's move would have been an alert at the default threshold: the user's setting decided.
    assert DEFAULT_THRESHOLD <= sar["BABA"] < USER_THRESHOLD, sar
    # Every other ticker stayed under the user's threshold, so nothing else was raised.
    assert all(abs(v) < USER_THRESHOLD for t, v in sar.items() if t != "FUTU"), sar
