"""The dbt resource: the same dbt version as the executable it runs, and no in-process dbt."""

from __future__ import annotations

import re
import subprocess

from assets.dbt_project import DBT_PROJECT, SubprocessDbtCliResource, dbt_executable


def _version_printed_by(executable: str) -> str:
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+\.\d+\.\d+)", output)
    assert match, output
    return match.group(1)


def test_version_from_package_metadata_matches_dbt_version() -> None:
    resource = SubprocessDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())
    assert str(resource._cli_version) == _version_printed_by(dbt_executable())


def test_another_executable_is_asked_for_its_version(tmp_path) -> None:
    # A dbt outside this environment may be another version: the resource must run it.
    wrapper = tmp_path / "dbt"
    # Printed as dbt-core prints it: the core version first, then the latest and the plugins.
    wrapper.write_text(
        "#!/bin/sh\ncat <<'EOF'\nCore:\n  - installed: 9.8.7\n"
        "  - latest:    9.9.1  - Update available!\n\nPlugins:\n"
        "  - duckdb: 9.8.2 - Up to date!\nEOF\n"
    )
    wrapper.chmod(0o755)
    resource = SubprocessDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(wrapper))
    assert str(resource._cli_version) == "9.8.7"


def test_a_command_runs_as_the_subprocess_alone(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ADRPULSE_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    resource = SubprocessDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())
    invocation = resource.cli(["parse"], target_path=tmp_path / "target")
    invocation.wait()
    assert invocation.is_successful()
    assert (tmp_path / "target" / "manifest.json").exists()
    assert invocation.adapter is None  # nothing of dbt was loaded into this process for it
