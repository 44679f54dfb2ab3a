"""Write seeds/xnys_sessions.csv: every XNYS session of the calendar range, one per line.

dbt cannot call exchange_calendars, and deriving sessions from price data would hide a missing
session, so the calendar is a committed seed. Re-run after widening assets.calendar's range:

    .venv/bin/python dbt_project/scripts/make_sessions_seed.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from assets.calendar import CALENDAR_END, CALENDAR_START, sessions_between  # noqa: E402

SEED_PATH = REPO_ROOT / "dbt_project" / "seeds" / "xnys_sessions.csv"


def render_sessions_csv() -> str:
    lines = ["session_date"]
    lines += [day.isoformat() for day in sessions_between(CALENDAR_START, CALENDAR_END)]
    return "\n".join(lines) + "\n"


def main() -> None:
    SEED_PATH.write_text(render_sessions_csv())
    print(f"wrote {SEED_PATH} ({len(SEED_PATH.read_text().splitlines()) - 1} sessions)")


if __name__ == "__main__":
    main()
