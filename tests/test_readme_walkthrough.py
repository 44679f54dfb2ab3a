"""The README's walkthrough, "From the demo to live data", run as written: its commands in order,
in a temporary home, with the network faked as absent (tests/support/offline_cli.py). The demo
home refuses the live run with the message the README shows; the live home's run fails at once
with the README's no-network message instead of hanging or retrying; the schedules start there.

`make demo` is what the session's `demo_home` fixture already ran (`adrpulse demo`, the target's
recipe, checked below), copied into the walkthrough's repository home; `make ui` is a server and
is covered by tests/test_ui_graphql.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from assets.settings import REPO_ROOT
from tests.support.cli import isolated_env

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SECTION = "## From the demo to live data"
LIVE_RUN_TIMEOUT = 600  # a hang would be caught here; the run itself takes a minute or two


def walkthrough() -> tuple[list[str], list[str]]:
    """The commands of the section's bash block, and its text blocks (the documented output)."""
    start = README.index(SECTION)
    section = README[start : README.index("\n## ", start + len(SECTION))]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    (bash,) = [body for lang, body in blocks if lang == "bash"]
    commands = [line.split("#", 1)[0].strip() for line in bash.splitlines()]
    return [c for c in commands if c], [body.strip() for lang, body in blocks if lang == "text"]


@dataclass
class Step:
    command: str
    home: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def test_make_demo_is_adrpulse_demo() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\ndemo:") + 1 :].split("\n")[1]
    assert recipe.strip() == "$(BIN)/adrpulse demo"


def test_the_readme_walkthrough_runs_as_written(demo_home: Path, tmp_path: Path) -> None:
    commands, (refusal, offline) = walkthrough()
    repo_home = tmp_path / "repo" / ".adrpulse"  # ADRPULSE_HOME's default, in the repository
    user_home = tmp_path / "you"  # ~
    user_home.mkdir()
    env: dict[str, str] = {"ADRPULSE_HOME": str(repo_home)}
    steps: list[Step] = []
    for command in commands:
        if command == "make demo":
            shutil.copytree(demo_home, repo_home)
            continue
        if command == "make ui":
            assert command == commands[-1], "make ui runs until stopped: keep it last"
            continue
        if command.startswith("export "):
            name, value = command.removeprefix("export ").split("=", 1)
            env[name] = str(user_home) + value[1:] if value.startswith("~/") else value
            continue
        program, *args = shlex.split(command)
        assert program == ".venv/bin/adrpulse", f"the walkthrough runs {command!r}"
        home = Path(env["ADRPULSE_HOME"])
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "tests.support.offline_cli", *args],
            cwd=REPO_ROOT,
            env={**isolated_env(home), **env, "HOME": str(user_home)},
            capture_output=True,
            text=True,
            timeout=LIVE_RUN_TIMEOUT,
        )
        steps.append(
            Step(command, home, result.returncode, result.stdout, result.stderr,
                 time.monotonic() - started)
        )  # fmt: skip

    def explain(step: Step) -> str:
        return f"{step.command} in {step.home}:\n{step.stdout[-3000:]}\n{step.stderr[-3000:]}"

    query, demo_run, live_run, schedules = steps
    assert query.returncode == 0 and query.home == repo_home, explain(query)
    assert "xi_symposium" in query.stdout

    # The demo home refuses the live run, with the README's words, before anything runs.
    assert demo_run.home == repo_home and demo_run.returncode == 1, explain(demo_run)
    documented = re.sub(
        r"ADRPULSE_HOME=\S+", f"ADRPULSE_HOME={repo_home.resolve()}", refusal, count=1
    )
    assert documented in demo_run.stderr, explain(demo_run)
    assert "Dagster run" not in demo_run.stderr
    assert not any((repo_home / "archive").rglob("*.json")), "the refused run archived a fetch"

    # The live home: the run fails at once with the README's no-network message, no retry.
    assert live_run.home == user_home / "adrpulse-live", explain(live_run)
    assert live_run.returncode == 1, explain(live_run)
    assert offline in live_run.stderr, explain(live_run)
    assert "STEP_UP_FOR_RETRY" not in live_run.stderr and "max_retries" not in live_run.stderr
    assert "Stack Trace" not in live_run.stderr  # an expected failure, not a crash

    # ... and the schedules start there.
    assert schedules.returncode == 0, explain(schedules)
    assert "Started daily_after_close" in schedules.stdout
    status = {line.split()[0]: line.split()[-1] for line in schedules.stdout.splitlines() if line}
    assert status["daily_after_close"] == status["news_every_two_hours"] == "RUNNING"
