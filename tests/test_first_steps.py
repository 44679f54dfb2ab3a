"""What a newcomer meets in the first hour: the README's promises, `make help`, and the CLI's
wording. Quick: no demo build."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from orchestration.commands.common import report_run
from orchestration.commands.news import summary_line
from orchestration.tables import plural
from warehouse.publish import publish

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
QUERYING = (REPO / "docs" / "querying.md").read_text(encoding="utf-8")
PYTHON_ONE_LINER = re.compile(r'^\.venv/bin/python -c "(import duckdb;[^"]*)"$', re.MULTILINE)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_shows_no_make_variables_literally() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "make ui" in result.stdout
    assert "$(" not in result.stdout, result.stdout


def test_the_readme_says_what_the_first_make_demo_costs() -> None:
    paragraph = README[README.index("The first `make demo`") :].split("\n\n", 1)[0]
    assert "1 GB" in paragraph and "minutes" in paragraph


@pytest.mark.parametrize("name", ["README.md", "docs/querying.md"])
def test_the_python_way_comes_before_the_duckdb_cli(name: str) -> None:
    text = README if name == "README.md" else QUERYING
    one_liner = PYTHON_ONE_LINER.search(text)
    assert one_liner, f"{name} shows no .venv/bin/python -c one-liner"
    cli = text.index("duckdb -readonly")
    assert one_liner.start() < cli
    # ... and says where the CLI comes from, since the venv does not have it.
    assert "duckdb-cli" in text and "not" in text[one_liner.end() : cli]


def test_the_python_one_liner_runs(tmp_path: Path) -> None:
    """The README's one-liner, run in a folder whose .adrpulse holds a published build."""
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.execute("create schema marts")
    warehouse.execute("create table marts.example as select 1 as x")
    publish(warehouse, tmp_path / ".adrpulse" / "published")
    warehouse.close()
    code = PYTHON_ONE_LINER.search(README).group(1)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "build_id" in result.stdout


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
        metadata={},
        description=None,
    )
    result = SimpleNamespace(
        get_asset_check_evaluations=lambda: [evaluation], success=True, run_id="r1"
    )
    assert report_run(result) == 0
    assert "Checks: 1 passed, 0 failed, 0 warned" in capsys.readouterr().out


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
