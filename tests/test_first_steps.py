"""What a newcomer meets in the first hour: the README's promises, `make help`, and the CLI's
wording. Quick: no demo build."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestration.commands.common import report_run
from orchestration.commands.news import summary_line
from orchestration.tables import plural

REPO = Path(__file__).resolve().parent.parent


def test_plural() -> None:
    assert plural(1, "ticker") == "1 ticker"
    assert plural(0, "ticker") == "0 tickers"
    assert plural(2, "XNYS session") == "2 XNYS sessions"
    assert plural(1, "batch", "batches") == "1 batch"
    assert plural(3, "batch", "batches") == "3 batches"
    assert plural(1500, "row") == "1,500 rows"


def test_one_feed_and_one_item_are_singular() -> None:
    outcome = {"status": "ok", "new_items": 1, "updated_items": 0}
    assert summary_line([outcome]).startswith("1 feed polled: 1 ok; 1 new item, 0 updated")


def test_one_check_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    evaluation = SimpleNamespace(
        asset_key=SimpleNamespace(to_user_string=lambda: "raw/daily_bars"),
        check_name="one_check",
        passed=True,
        severity=SimpleNamespace(value="ERROR"),
    )
    result = SimpleNamespace(
        get_asset_check_evaluations=lambda: [evaluation], success=True, run_id="r1"
    )
    assert report_run(result) == 0
    assert "1 check passed, 0 failed" in capsys.readouterr().out


def test_cli_counts_are_not_written_with_a_fixed_plural() -> None:
    """No `{len(tickers)} tickers`-style f-string left in the CLI: counts go through plural()."""
    fixed = re.compile(r"\{(len\([^)]*\)|n_\w+|batches)\}\s+(tickers|sessions|XNYS sessions|rows)")
    offenders = [
        f"{path.name}: {match.group(0)}"
        for path in sorted((REPO / "orchestration" / "commands").glob("*.py"))
        for match in fixed.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
    assert "batch(es)" not in (REPO / "orchestration" / "commands" / "prices.py").read_text()
