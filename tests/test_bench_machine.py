"""What a bench run says it measured: the commit of the code (with a mark when tracked files were
changed), and the hour and load when it started. Checked against real git repositories."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from orchestration.tools.benchmark.machine import busy_cores, run_facts, source_revision


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "model.sql").write_text("select 1\n")
    _git(repo, "add", "model.sql")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first")
    return repo


def test_a_clean_checkout_is_named_by_its_commit(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "notes.txt").write_text("untracked: not part of the measured code\n")
    assert source_revision(repo) == _git(repo, "rev-parse", "--short=7", "HEAD")


def test_a_rewritten_markdown_document_is_not_a_code_change(tmp_path: Path) -> None:
    # --write-docs rewrites docs/BENCHMARKS.md between the runs of one round
    repo = _repo(tmp_path)
    (repo / "docs").mkdir()
    (repo / "docs" / "BENCHMARKS.md").write_text("# Benchmarks\n")
    _git(repo, "add", "docs/BENCHMARKS.md")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "docs")
    (repo / "docs" / "BENCHMARKS.md").write_text("# Benchmarks\n\na section\n")
    assert source_revision(repo) == _git(repo, "rev-parse", "--short=7", "HEAD")


def test_a_changed_tracked_file_is_marked(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    commit = _git(repo, "rev-parse", "--short=7", "HEAD")
    (repo / "model.sql").write_text("select 2\n")
    assert source_revision(repo) == f"{commit} + uncommitted changes"


def test_a_folder_outside_git_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "installed"
    plain.mkdir()
    # keeps git from finding a repository above tmp_path
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert source_revision(plain) == "not a git checkout"


# Two readings of /proc/stat's cpu line, as Linux writes them (user nice system idle iowait irq
# softirq steal guest guest_nice), one second apart on a 2-core machine.
QUIET = (
    "cpu  5573886 2531 797695 4595946 66091 0 14891 5431 0 0",
    "cpu  5573888 2531 797696 4596143 66091 0 14891 5431 0 0",
)
ONE_CORE_TAKEN = (
    "cpu  5573886 2531 797695 4595946 66091 0 14891 5431 0 0",
    "cpu  5573986 2531 797695 4596046 66091 0 14891 5431 0 0",
)


def test_busy_cores_counts_non_idle_time_over_all_time() -> None:
    assert busy_cores(*QUIET, cores=2) == pytest.approx(2 * 3 / 200)
    assert busy_cores(*ONE_CORE_TAKEN, cores=2) == pytest.approx(1.0)
    # iowait is idle: a core waiting on disk is free for the run
    waiting = ("cpu  0 0 0 100 0 0 0 0 0 0", "cpu  0 0 0 150 50 0 0 0 0 0")
    assert busy_cores(*waiting, cores=2) == 0.0


def test_busy_cores_refuses_another_line() -> None:
    with pytest.raises(ValueError, match="cpu0"):
        busy_cores("cpu0 1 2 3 4 5 6 7 8 0 0", QUIET[1], cores=2)


def test_run_facts_name_the_commit_hour_and_cpu_in_use(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    facts = run_facts(repo)
    assert list(facts) == ["commit", "started", "CPU busy before the start"]
    assert facts["commit"] == source_revision(repo)
    assert re.fullmatch(r"\d\d:\d\d UTC", facts["started"])
    assert re.fullmatch(
        r"\d+\.\d\d of \d+ cores \(1 s sample\)", facts["CPU busy before the start"]
    )
