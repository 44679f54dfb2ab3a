"""Write seeds/xnys_sessions.csv and seeds/xhkg_sessions.csv: every XNYS (XHKG) session of the
calendar range, one per line.

dbt cannot call exchange_calendars, and deriving sessions from price data would hide a missing
session, so the calendar is a committed seed. Re-run after widening assets.calendar's range:

    .venv/bin/python dbt_project/scripts/make_sessions_seed.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from assets.calendar import CALENDAR_END, CALENDAR_START, XHKG, XNYS, sessions_between  # noqa: E402

SEED_PATH = REPO_ROOT / "dbt_project" / "seeds" / "xnys_sessions.csv"
# The home lines' calendar (Hong Kong), for the dual-listing premium's "next home session".
XHKG_SEED_PATH = REPO_ROOT / "dbt_project" / "seeds" / "xhkg_sessions.csv"


def render_sessions_csv(exchange: str = XNYS) -> str:
    lines = ["session_date"]
    lines += [day.isoformat() for day in sessions_between(CALENDAR_START, CALENDAR_END, exchange)]
    return "\n".join(lines) + "\n"


def main() -> None:
    for exchange, path in ((XNYS, SEED_PATH), (XHKG, XHKG_SEED_PATH)):
        path.write_text(render_sessions_csv(exchange))
        print(f"wrote {path} ({len(path.read_text().splitlines()) - 1} sessions)")


if __name__ == "__main__":
    main()
