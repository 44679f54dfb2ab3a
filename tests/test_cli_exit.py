"""The CLI and Python's garbage collector: `adrpulse` (orchestration.cli:entry) freezes what is
alive before the process exits, so the interpreter's exit does not collect it again; main(), which
tests and other callers run inside their own process, and run_job leave the collector as it was."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from assets.settings import REPO_ROOT
from orchestration.cli import main
from orchestration.commands import common


def test_main_leaves_the_callers_collector_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADRPULSE_HOME", str(tmp_path / "home"))
    assert gc.get_freeze_count() == 0
    assert main(["settings"]) == 0
    assert "ADRPULSE_HOME" in capsys.readouterr().out
    assert gc.get_freeze_count() == 0


def test_a_run_freezes_only_while_it_runs() -> None:
    with common._alive_objects_frozen():
        frozen = gc.get_freeze_count()
    assert frozen > 1000 and gc.get_freeze_count() == 0


def test_the_console_script_freezes_before_the_process_exits(tmp_path: Path) -> None:
    # atexit runs after entry() has frozen the heap and called sys.exit, before the final
    # collection of the interpreter's exit
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count()))\n"
        "from orchestration.cli import entry\n"
        "sys.argv = ['adrpulse', 'settings']\n"
        "entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
        env={"ADRPULSE_HOME": str(tmp_path / "home"), "PATH": str(Path(sys.executable).parent)},
    )
    assert done.returncode == 0, done.stderr
    count = int(done.stdout.strip().splitlines()[-1].split(": ")[1])
    assert count > 1000
