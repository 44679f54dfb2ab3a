"""The dbt resource: the same dbt version as the executable it runs, no in-process dbt, our vars
on every command, per-run artifacts under ADRPULSE_HOME, and private dagster-dbt API guarded."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource

from assets.dbt_project import AdrPulseDbtCliResource, dbt_executable
from assets.settings import Settings


def _version_printed_by(executable: str) -> str:
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+\.\d+\.\d+)", output)
    assert match, output
    return match.group(1)


def _resource(tmp_path: Path, executable: str | None = None) -> AdrPulseDbtCliResource:
    settings = Settings.from_env({"ADRPULSE_HOME": str(tmp_path / "home")})
    return AdrPulseDbtCliResource.from_settings(settings, executable)


def test_the_private_methods_overridden_still_exist_on_dagster_dbt() -> None:
    # The overrides apply only on the checked dagster-dbt release; if dagster-dbt renames these,
    # this fails before the overrides silently stop doing anything.
    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"), cached_property)
    params = list(inspect.signature(DbtCliResource._initialize_dbt_core_adapter).parameters)
    assert params == ["self", "args"]


def test_version_from_package_metadata_matches_dbt_version(tmp_path: Path) -> None:
    resource = _resource(tmp_path)
    assert str(resource._cli_version) == _version_printed_by(dbt_executable())


def test_another_executable_is_asked_for_its_version(tmp_path: Path) -> None:
    # A dbt outside this environment may be another version: the resource must run it.
    wrapper = tmp_path / "dbt"
    # Printed as dbt-core prints it: the core version first, then the latest and the plugins.
    wrapper.write_text(
        "#!/bin/sh\ncat <<'EOF'\nCore:\n  - installed: 9.8.7\n"
        "  - latest:    9.9.1  - Update available!\n\nPlugins:\n"
        "  - duckdb: 9.8.2 - Up to date!\nEOF\n"
    )
    wrapper.chmod(0o755)
    assert str(_resource(tmp_path, str(wrapper))._cli_version) == "9.8.7"


def test_a_command_runs_as_the_subprocess_alone_with_our_vars(tmp_path: Path) -> None:
    resource = _resource(tmp_path)
    # No ADRPULSE_WAREHOUSE in the environment: the profile gets the path from --vars.
    invocation = resource.cli(resource.with_vars(["parse"]), target_path=tmp_path / "target")
    invocation.wait()
    assert invocation.is_successful()
    assert (tmp_path / "target" / "manifest.json").exists()
    assert invocation.adapter is None  # nothing of dbt was loaded into this process for it


def test_run_artifacts_live_under_the_home_and_old_ones_are_pruned(tmp_path: Path) -> None:
    resource = _resource(tmp_path)
    made = []
    for i in range(8):
        path = resource.run_target_path(f"run-{i}")
        path.mkdir(exist_ok=True)
        made.append(path)
    runs = Path(resource.target_root) / "runs"
    assert runs.is_relative_to(tmp_path / "home")
    assert len(list(runs.iterdir())) <= 5
    assert made[-1].exists()


def test_a_run_starts_from_the_parse_state_of_the_homes_run_before(tmp_path: Path) -> None:
    resource = _resource(tmp_path)
    first = resource.run_target_path("run-1")
    resource.cli(resource.with_vars(["parse"]), target_path=first).wait()
    # make setup's state has other vars (no home's warehouse path): the first run parses all
    assert json.loads((first / "perf_info.json").read_text())["parsed_path_count"] > 0
    second = resource.run_target_path("run-2")
    assert (second / "partial_parse.msgpack").read_bytes() == (
        first / "partial_parse.msgpack"
    ).read_bytes()
    invocation = resource.cli(resource.with_vars(["parse"]), target_path=second)
    invocation.wait()
    assert invocation.is_successful()
    perf = json.loads((second / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0
