"""The dbt resource reports the same dbt version as the executable it runs."""

from __future__ import annotations

import re
import subprocess

from orchestration.dbt_project import DBT_PROJECT, VenvDbtCliResource, dbt_executable


def _version_printed_by(executable: str) -> str:
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+\.\d+\.\d+)", output)
    assert match, output
    return match.group(1)


def test_version_from_package_metadata_matches_dbt_version() -> None:
    resource = VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())
    assert str(resource._cli_version) == _version_printed_by(dbt_executable())


def test_another_executable_is_asked_for_its_version(tmp_path) -> None:
    # A dbt outside this environment may be another version: the resource must run it.
    wrapper = tmp_path / "dbt"
    wrapper.write_text("#!/bin/sh\necho 'Core:'; echo '  - installed: 9.8.7'\n")
    wrapper.chmod(0o755)
    resource = VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(wrapper))
    assert str(resource._cli_version) == "9.8.7"
