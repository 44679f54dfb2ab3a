"""The Dagster code location: importing it does nothing, and its assets, checks, jobs and
schedules are what the operators rely on.

The definitions load in a subprocess with a temporary ADRPULSE_HOME, as `dagster dev` would load
them, and report a JSON summary (`SUMMARY_SCRIPT` below); the tests assert on that summary.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import REPO, isolated_env
from tests.support.dbt import unit_vocabulary

# The layers of the pipeline, in the order data flows through them (asset groups).
LAYER_ORDER = {
    "sources": 0,
    "reference": 1,
    "raw": 1,
    "staging": 2,
    "intermediate": 3,
    "marts": 4,
    "publish": 5,
}
DBT_LAYERS = ("reference", "staging", "intermediate", "marts")
OPERATED_JOBS = {
    "daily_refresh",
    "poll_news",
    "build_marts",
    "load_archive",
    "rebuild_from_archive",
    "demo_sample_replay",
}


SUMMARY_SCRIPT = r"""
import json

import dagster as dg

from assets.dbt_project import dbt_project
from assets.settings import Settings
from orchestration.definitions import defs as load_defs
from orchestration.prepare import prepare

prepare(Settings.from_env())
defs = load_defs()
dg.Definitions.validate_loadable(defs)
graph = defs.resolve_asset_graph()
assets = {}
for key in graph.get_all_asset_keys():
    node = graph.get(key)
    schema = node.metadata.get("dagster/column_schema")
    schema = getattr(schema, "schema", schema)
    assets[key.to_user_string()] = {
        "columns": [
            [c.name, c.description, (c.tags or {}).get("unit")] for c in schema.columns
        ] if schema is not None else [],
        "group": node.group_name,
        "description": node.description or "",
        "materializable": node.is_materializable,
        "parents": sorted(p.to_user_string() for p in node.parent_keys),
        "checks": sorted(c.name for c in node.check_keys),
    }
# op name -> {config field: default} of the job's run config (what the launchpad shows)
def _ops_config(job):
    ops = job.run_config_schema.config_type.fields["ops"].config_type.fields
    found = {}
    for op, field in ops.items():
        config = field.config_type.fields.get("config")
        if config is not None and hasattr(config.config_type, "fields"):
            found[op] = {
                name: (f.default_value if f.default_provided else None)
                for name, f in config.config_type.fields.items()
            }
    return found


jobs = {
    job.name: {
        "executor": job.executor_def.name,
        "assets": sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys),
        "checks": sorted(k.to_user_string() for k in job.asset_layer.asset_graph.asset_check_keys),
        "ops_config": _ops_config(job),
    }
    for job in defs.resolve_all_job_defs()
    if not job.name.startswith("__")
}
schedules = {
    schedule.name: {
        "cron": schedule.cron_schedule,
        "timezone": schedule.execution_timezone,
        "job": schedule.job_name,
        "default_status": schedule.default_status.value,
    }
    for schedule in defs.schedules or []
}
summary = {
    "assets": assets,
    "jobs": jobs,
    "schedules": schedules,
    "manifest": str(dbt_project().manifest_path),
}
print(json.dumps(summary))
"""


def _python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`python -c code` with `home` as ADRPULSE_HOME and nothing of the caller's state."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=isolated_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("definitions_home")
    result = _python(SUMMARY_SCRIPT, home)
    assert result.returncode == 0, f"the definitions do not load:\n{result.stderr[-5000:]}"
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    loaded["home"] = str(home)
    return loaded


def upstream_of(assets: dict[str, Any], key: str) -> set[str]:
    seen: set[str] = set()
    stack = list(assets[key]["parents"])
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(assets.get(parent, {}).get("parents", []))
    return seen


def test_preparing_writes_dagster_home_under_adrpulse_home(summary: dict[str, Any]) -> None:
    dagster_yaml = Path(summary["home"]) / "dagster" / "dagster.yaml"
    assert dagster_yaml.is_file()
    text = dagster_yaml.read_text()
    assert "telemetry:\n  enabled: false" in text
    assert "default_limit: 1" in text


def test_the_assets_operators_rely_on_exist(summary: dict[str, Any]) -> None:
    assets = summary["assets"]
    for key in ("raw/daily_bars", "raw/news_items", "marts/fct_event_car", "published/marts"):
        assert key in assets, f"{key} is missing from the asset graph"
        assert assets[key]["materializable"]


def test_every_asset_has_a_group_and_a_description(summary: dict[str, Any]) -> None:
    for key, asset in summary["assets"].items():
        assert asset["group"] and asset["group"] != "default", f"{key} has no group"
        assert asset["description"].strip(), f"{key} has no description"


def test_lineage_runs_from_raw_through_staging_and_intermediate_to_marts(
    summary: dict[str, Any],
) -> None:
    assets = summary["assets"]
    upstream = upstream_of(assets, "marts/fct_event_car")
    assert "raw/daily_bars" in upstream
    groups_upstream = {assets[k]["group"] for k in upstream}
    assert {"raw", "staging", "intermediate"} <= groups_upstream
    assert "staging/stg_prices__daily_bars" in upstream


def test_no_asset_reads_from_a_later_layer(summary: dict[str, Any]) -> None:
    assets = summary["assets"]
    backwards = []
    for key, asset in assets.items():
        layer = LAYER_ORDER.get(asset["group"])
        for parent in asset["parents"]:
            parent_layer = LAYER_ORDER.get(assets[parent]["group"])
            if layer is not None and parent_layer is not None and parent_layer > layer:
                backwards.append(f"{parent} -> {key}")
    assert not backwards, f"edges that flow backwards through the layers: {backwards}"


def test_staging_reads_only_raw_and_reference(summary: dict[str, Any]) -> None:
    assets = summary["assets"]
    staging = [k for k, a in assets.items() if a["group"] == "staging"]
    assert staging
    for key in staging:
        parent_groups = {assets[p]["group"] for p in assets[key]["parents"]}
        assert parent_groups <= {"raw", "reference"}, f"{key} reads {parent_groups}"


def test_every_dbt_data_test_is_an_asset_check(summary: dict[str, Any]) -> None:
    manifest = json.loads(Path(summary["manifest"]).read_text())
    # Singular tests too: one that reads several models names its asset in meta.dagster.ref, or
    # dagster-dbt logs it as an observation with a warning on every build.
    dbt_tests = {
        node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"
    }
    assert dbt_tests, "the dbt project defines no data tests"
    checks = {
        name
        for asset in summary["assets"].values()
        if asset["group"] in DBT_LAYERS
        for name in asset["checks"]
    }
    missing = sorted(dbt_tests - checks)
    assert not missing, f"dbt tests without an asset check: {missing}"
    assert summary["assets"]["marts/fct_event_car"]["checks"]


def test_mart_columns_carry_their_description_and_unit(summary: dict[str, Any]) -> None:
    """The column schema the UI shows on each mart: dbt's description and `config.meta.unit`
    (the `unit` tag), one of the units dbt_project/README.md lists."""
    vocabulary = unit_vocabulary()
    marts = {k: a for k, a in summary["assets"].items() if k.startswith("marts/")}
    assert len(marts) >= 5
    problems = []
    for key, asset in marts.items():
        assert asset["columns"], key
        for name, description, unit in asset["columns"]:
            if not description or unit not in vocabulary:
                problems.append(f"{key}.{name}: unit {unit!r}, description {description!r}")
    assert not problems, "\n".join(problems)
    car = dict((n, u) for n, _, u in marts["marts/fct_event_car"]["columns"])
    assert car["car"] == "fraction" and car["p_value"] == "p_value"


def test_raw_prices_are_checked(summary: dict[str, Any]) -> None:
    assert summary["assets"]["raw/daily_bars"]["checks"], "raw/daily_bars has no asset check"


def test_the_operated_jobs_exist_and_run_in_one_process(summary: dict[str, Any]) -> None:
    jobs = summary["jobs"]
    assert set(jobs) >= OPERATED_JOBS, f"missing jobs: {sorted(OPERATED_JOBS - set(jobs))}"
    for name, job in jobs.items():
        # Steps share the DuckDB warehouse, which only one process may write.
        assert job["executor"] == "in_process", f"job {name} runs on {job['executor']}"
    for name in ("daily_refresh", "demo_sample_replay", "rebuild_from_archive"):
        selected = set(jobs[name]["assets"])
        assert {"raw/daily_bars", "marts/fct_event_car", "published/marts"} <= selected, name


REFERENCE_ASSETS = {"raw/universe", "raw/event_catalog", "raw/news_feeds", "raw/news_aliases"}
GATE_CHECKS = {"raw/daily_bars:build_gate", "raw/news_items:build_gate"}


def test_every_job_that_builds_the_marts_loads_the_reference_files(
    summary: dict[str, Any],
) -> None:
    for name, job in summary["jobs"].items():
        if "marts/fct_event_car" in job["assets"]:
            assert set(job["assets"]) >= REFERENCE_ASSETS, name
    for table in ("universe", "event_catalog"):
        staging = f"staging/stg_reference__{table}"
        assert f"raw/{table}" in summary["assets"][staging]["parents"]
        assert f"raw/{table}" in summary["assets"][f"reference/{table}"]["parents"]


def test_build_marts_is_gated_by_the_blocking_checks_and_force_is_off_by_default(
    summary: dict[str, Any],
) -> None:
    """A launch of build_marts from the UI (default config) is gated as `adrpulse build` is."""
    build = summary["jobs"]["build_marts"]
    assert set(build["checks"]) >= GATE_CHECKS
    assert build["ops_config"]["build_gate"] == {"force": False}
    assert "raw/daily_bars" not in build["assets"]
    for name, job in summary["jobs"].items():
        if name != "build_marts":
            assert not GATE_CHECKS & set(job["checks"]), f"{name} runs the build gate"


def test_the_daily_schedule_runs_after_the_new_york_close(summary: dict[str, Any]) -> None:
    daily = summary["schedules"]["daily_after_close"]
    assert daily == {
        "cron": "0 18 * * 1-5",
        "timezone": "America/New_York",
        "job": "daily_refresh",
        "default_status": "STOPPED",
    }


def test_every_schedule_is_stopped_until_started(summary: dict[str, Any]) -> None:
    """`make ui` starts the daemon: nothing may fetch on its own until `adrpulse schedules start`
    (or the UI's toggle) says so."""
    assert {s["default_status"] for s in summary["schedules"].values()} == {"STOPPED"}


def test_every_schedule_has_a_timezone_and_an_existing_job(summary: dict[str, Any]) -> None:
    assert summary["schedules"]
    for name, schedule in summary["schedules"].items():
        assert schedule["timezone"], f"schedule {name} has no execution timezone"
        assert schedule["job"] in summary["jobs"], f"schedule {name} targets {schedule['job']}"


IMPORT_PROBE = r"""
import json, os, sys

events = []
def audit(event, args):
    if event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec",
                 "os.fork", "os.forkpty"):
        events.append(event)
    elif event == "open" and isinstance(args[0], str) and args[1] not in (None, "r", "rb"):
        mode = args[1] if isinstance(args[1], str) else ""
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and "__pycache__" not in args[0]:
            events.append("write " + args[0])
    elif event in ("os.mkdir", "os.rename", "os.remove", "shutil.rmtree"):
        if "__pycache__" not in str(args[0]):
            events.append(event + " " + str(args[0]))
    elif event == "os.putenv":
        events.append("putenv " + str(args[0]))

# Dagster's own import runs `file -b python` once (its vendored croniter calls
# platform.architecture()); that is the library, not this project, so it is imported first.
import dagster  # noqa: E402,F401

before = dict(os.environ)
sys.addaudithook(audit)
import orchestration.definitions  # noqa: E402,F401
print(json.dumps({"events": events, "env_changed": dict(os.environ) != before}))
"""


def test_importing_the_definitions_does_nothing(tmp_path: Path) -> None:
    """No folder, no file, no process, no environment variable: only functions are defined."""
    home = tmp_path / "empty_home"
    home.mkdir()
    result = _python(IMPORT_PROBE, home)
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(home.iterdir()) == [], "importing the definitions wrote into ADRPULSE_HOME"
    assert probe["events"] == [], f"importing the definitions did: {probe['events']}"
    assert probe["env_changed"] is False
