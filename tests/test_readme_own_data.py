"""The README's "Your own data, first steps" block, run verbatim (only the two paths it names
are pointed into a temporary folder): import a vendor's per-ticker CSVs for part of the universe,
build, list, query."""

from __future__ import annotations

import re
import shlex
from datetime import date
from pathlib import Path

import pytest

from assets.calendar import sessions_between
from assets.settings import SEEDS_DIR
from assets.universe import universe_tickers
from tests.support.cli import REPO, run_cli

MARKER = "<!-- walkthrough: own data"
SESSIONS = sessions_between(date(2025, 1, 2), date(2025, 3, 28))


def walkthrough_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(MARKER):]
    block = re.search(r"```bash\n(.*?)```", after, flags=re.S)
    assert block, "the walkthrough block is missing from README.md"
    return [line for line in block.group(1).splitlines() if line.strip()]


def write_vendor_files(folder: Path, tickers: list[str]) -> None:
    """A vendor's per-ticker files: date,open,high,low,close,volume; one ticker ends early."""
    folder.mkdir(parents=True)
    for i, ticker in enumerate(tickers):
        days = SESSIONS if i else SESSIONS[:-3]
        lines = ["date,open,high,low,close,volume"]
        for n, day in enumerate(days):
            close = 20.0 + 3 * i + 0.05 * n + (0.4 if n % 7 == 3 else 0.0)
            lines.append(
                f"{day},{close - 0.1:.2f},{close + 0.3:.2f},{close - 0.3:.2f},{close:.2f},"
                f"{1_000_000 + 1000 * n}"
            )
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")


def test_the_readme_walkthrough_runs_verbatim(tmp_path: Path) -> None:
    universe = universe_tickers(SEEDS_DIR / "universe.csv")
    mine = [t for t in ("SPY", "QQQ", "BABA", "JD", "AAPL", "MSFT") if t in universe]
    absent = sorted(set(universe) - set(mine))
    bars = tmp_path / "vendor" / "bars"
    write_vendor_files(bars, mine)
    home = tmp_path / "adrpulse-mine"
    env: dict[str, str] = {}
    outputs = []
    for line in walkthrough_commands():
        line = line.replace("~/adrpulse-mine", str(home)).replace("~/vendor/bars/", f"{bars}/")
        if line.startswith("export "):
            name, value = line.removeprefix("export ").split("=", 1)
            env[name] = value
            continue
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/adrpulse", line
        assert env.get("ADRPULSE_HOME") == str(home)
        result = run_cli(home, *argv[1:], timeout=1200)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr[-4000:]}"
        outputs.append(result.stdout)
    imported, built, listing, query = outputs
    assert "Traceback" not in imported + built
    # The tickers the vendor did not send are named, and one short file ends early: warnings.
    for ticker in absent[:3]:
        assert ticker in imported
    assert "marts.fct_ticker_performance" in listing and "fraction" in listing
    rows = query.strip().splitlines()
    assert rows[0] == "ticker,session_date,return_1d,drawdown"
    assert len(rows) == 6 and all(r.split(",")[1] == str(SESSIONS[-1]) for r in rows[1:])


@pytest.mark.parametrize("command", walkthrough_commands())
def test_every_walkthrough_line_is_a_real_command(command: str) -> None:
    if command.startswith("export "):
        return
    argv = shlex.split(command)
    result = run_cli(REPO / ".adrpulse-unused", argv[1], "--help", timeout=120)
    assert result.returncode == 0, result.stderr
