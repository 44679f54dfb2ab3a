"""assets/dbt_launcher.py: every dbt command of the pipeline runs through `adrpulse-dbt`, which
answers as dbt's own script does (output, run results, exit codes) and freezes what is alive once
dbt has parsed the project, before the first node runs."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from assets.dbt_launcher import PARSED_EVENT, _freeze_once_parsed
from assets.dbt_project import DBT_LAUNCHER, dbt_executable, stock_dbt_executable
from assets.settings import REPO_ROOT

pytestmark = pytest.mark.slow


def _tiny_project(root: Path) -> Path:
    """A dbt project of one model whose key is not unique: its data test fails."""
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nprofile: tiny\nconfig-version: 2\n"
    )
    (root / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {root / 'tiny.duckdb'}\n      threads: 1\n"
    )
    (root / "models" / "pairs.sql").write_text("select 1 as id union all select 1 as id\n")
    (root / "models" / "pairs.yml").write_text(
        "models:\n  - name: pairs\n    columns:\n      - name: id\n"
        "        data_tests: [unique]\n"
    )
    return root


def _build(executable: str, project: Path, *extra: str) -> tuple[int, dict[str, str], str]:
    target = project / f"target_{Path(executable).name}"
    done = subprocess.run(
        [executable, "build", "--profiles-dir", ".", "--target-path", str(target), *extra],
        cwd=project, capture_output=True, text=True,
        env={"DO_NOT_TRACK": "1", "PATH": str(Path(sys.executable).parent)},
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return done.returncode, {r["unique_id"]: r["status"] for r in results}, done.stdout


def test_the_pipeline_runs_dbt_through_the_launcher() -> None:
    # make setup installs the console script beside dbt's
    assert Path(dbt_executable()).name == DBT_LAUNCHER
    assert Path(stock_dbt_executable()).name == "dbt"


def test_the_launcher_answers_as_dbts_own_script(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "tiny")
    ours = _build(dbt_executable(), project)
    stock = _build(stock_dbt_executable(), project)
    # the failing data test: exit 1 from both, the same nodes with the same statuses
    assert ours[0] == stock[0] == 1
    assert ours[1] == stock[1]
    assert sorted(ours[1].values()) == ["fail", "success"]
    assert "Found 1 model, 1 test" in ours[2] and "ERROR=1" in ours[2]
    # a command dbt cannot parse: dbt's usage error, exit 2
    for executable in (dbt_executable(), stock_dbt_executable()):
        bad = subprocess.run([executable, "build", "--no-such-option"], capture_output=True)
        assert bad.returncode == 2


def test_what_is_alive_once_dbt_has_parsed_is_frozen_before_a_node_runs(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path / "tiny")
    # dbt's own runner with the launcher's callback and a spy that notes the freeze count as the
    # first node starts; in a child process, so the test's own heap is not frozen
    script = (
        "import gc, json, sys\n"
        "from dbt.cli.main import dbtRunner\n"
        "from assets.dbt_launcher import _freeze_once_parsed\n"
        "seen = []\n"
        "def spy(event):\n"
        "    if event.info.name == 'NodeStart' and not seen:\n"
        "        seen.append(gc.get_freeze_count())\n"
        "dbtRunner(callbacks=[_freeze_once_parsed, spy]).invoke(\n"
        "    ['build', '--profiles-dir', '.', '--target-path', 'target_spy', '--quiet'])\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True,
        env={"DO_NOT_TRACK": "1", "PYTHONPATH": str(REPO_ROOT)}, check=True,
    )
    frozen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(frozen) == 1 and frozen[0] > 10_000


def test_only_the_parsed_event_freezes() -> None:
    assert gc.get_freeze_count() == 0
    try:
        _freeze_once_parsed(SimpleNamespace(info=SimpleNamespace(name="NodeStart")))
        assert gc.get_freeze_count() == 0
        _freeze_once_parsed(SimpleNamespace(info=SimpleNamespace(name=PARSED_EVENT)))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
