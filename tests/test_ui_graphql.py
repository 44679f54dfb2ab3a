"""`adrpulse ui` (what `make ui` runs) serves the code location: through the webserver's GraphQL
API the assets, checks, jobs and schedules are there, a run of `demo_sample_replay` launched from
the UI succeeds (the daemon dequeues it), and SIGTERM stops every process it started.

One server for the module, in a temporary ADRPULSE_HOME, started with SIGINT ignored as it is in
the background of a non-interactive shell (the case in which a bare `dagster dev` ignores SIGTERM).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.ui_helpers import (
    GraphQLClient,
    UiProcess,
    port_is_open,
    shut_down,
    start_adrpulse_ui,
    terminate,
    wait_for_log_line,
    wait_for_no_session_processes,
    wait_for_server_info,
)

pytestmark = pytest.mark.ui  # boots the UI and runs the pipeline: slower

DEMO_JOB = "demo_sample_replay"
RUN_TIMEOUT_SECONDS = 300.0
RUN_DONE = {"SUCCESS", "FAILURE", "CANCELED"}

REPOSITORY_QUERY = """
query Repository {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name }
        schedules {
          name
          cronSchedule
          executionTimezone
          pipelineName
          scheduleState { status }
        }
        assetNodes {
          assetKey { path }
          groupName
          description
          assetChecksOrError { ... on AssetChecks { checks { name } } }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

LAUNCH_RUN = """
mutation LaunchRun($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}
"""

RUN_STATUS = """
query RunStatus($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status jobName }
    ... on PythonError { message }
  }
}
"""

RUN_FAILURES = """
query RunFailures($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message stepKey }
        ... on ExecutionStepFailureEvent { error { message } }
        ... on RunFailureEvent { message }
      }
    }
  }
}
"""

ASSET_RESULTS = """
query AssetResults($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      assetMaterializations(limit: 1) { runId }
      assetChecksOrError {
        ... on AssetChecks {
          checks { name executionForLatestMaterialization { runId status } }
        }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiProcess]:
    home = tmp_path_factory.mktemp("ui_graphql_home")
    ui = start_adrpulse_ui(home, home / "adrpulse_ui.log", ignore_sigint=True)
    try:
        wait_for_server_info(ui)
        yield ui
    finally:
        shut_down(ui)


@pytest.fixture(scope="module")
def graphql(ui_server: UiProcess) -> Iterator[GraphQLClient]:
    # launchRun answers only after the run and its planned events are stored: allow for that.
    client = GraphQLClient(ui_server.url, timeout=RUN_TIMEOUT_SECONDS)
    yield client
    client.close()


@pytest.fixture(scope="module")
def repository(graphql: GraphQLClient) -> dict[str, Any]:
    result = graphql.query(REPOSITORY_QUERY)["repositoriesOrError"]
    assert result["__typename"] == "RepositoryConnection", result
    (repo,) = result["nodes"]
    return repo


def asset_nodes(repository: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}


def test_the_url_is_printed_once_the_server_answers(ui_server: UiProcess) -> None:
    assert wait_for_log_line(ui_server, f"Dagster UI ready on {ui_server.url}")


def test_the_assets_are_served_with_groups_and_descriptions(
    repository: dict[str, Any],
) -> None:
    assets = asset_nodes(repository)
    assert {"raw/daily_bars", "raw/news_items", "marts/fct_event_car"} <= set(assets)
    for key, node in assets.items():
        assert node["groupName"] and node["groupName"] != "default", key
        assert (node["description"] or "").strip(), key


def test_the_checks_are_served(repository: dict[str, Any]) -> None:
    assets = asset_nodes(repository)

    def checks(key: str) -> list[str]:
        return [c["name"] for c in assets[key]["assetChecksOrError"]["checks"]]

    assert checks("raw/daily_bars"), "no price check on raw/daily_bars"
    assert "fct_event_car__column_rules" in checks("marts/fct_event_car")


def test_the_jobs_and_schedules_are_served(repository: dict[str, Any]) -> None:
    assert DEMO_JOB in {job["name"] for job in repository["jobs"]}
    schedules = {s["name"]: s for s in repository["schedules"]}
    daily = schedules["daily_after_close"]
    assert daily["cronSchedule"] == "0 18 * * 1-5"
    assert daily["executionTimezone"] == "America/New_York"
    assert daily["pipelineName"] == "daily_refresh"
    # Stopped until someone starts them: the daemon fetches nothing on its own.
    assert {s["scheduleState"]["status"] for s in schedules.values()} == {"STOPPED"}


def test_adrpulse_schedules_start_and_stop_what_the_daemon_sees(
    ui_server: UiProcess, graphql: GraphQLClient
) -> None:
    """The state `adrpulse schedules` records is the one the UI and the daemon read (same code
    location name), while they run."""

    def statuses() -> dict[str, str]:
        result = graphql.query(REPOSITORY_QUERY)["repositoriesOrError"]
        (repo,) = result["nodes"]
        return {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}

    home = ui_server.log_path.parent  # the fixture's ADRPULSE_HOME
    started = run_cli(home, "schedules", "start", "daily_after_close", timeout=300)
    assert started.returncode == 0, started.stderr[-3000:]
    assert "Started daily_after_close" in started.stdout
    assert statuses() == {"daily_after_close": "RUNNING", "news_every_two_hours": "STOPPED"}

    stopped = run_cli(home, "schedules", "stop", timeout=300)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    assert statuses() == {"daily_after_close": "STOPPED", "news_every_two_hours": "STOPPED"}


def run_failure_messages(graphql: GraphQLClient, run_id: str) -> list[str]:
    events = graphql.query(RUN_FAILURES, {"runId": run_id})["logsForRun"].get("events", [])
    messages = []
    for event in events:
        if "Failure" in event["__typename"]:
            error = (event.get("error") or {}).get("message")
            messages.append(f"{event.get('stepKey')}: {error or event.get('message')}")
    return messages


def test_a_demo_run_launched_from_the_ui_succeeds(
    ui_server: UiProcess, graphql: GraphQLClient, repository: dict[str, Any]
) -> None:
    selector = {
        "repositoryLocationName": repository["location"]["name"],
        "repositoryName": repository["name"],
        "jobName": DEMO_JOB,
    }
    launched = graphql.query(LAUNCH_RUN, {"params": {"selector": selector}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    status = launched["run"]["status"]
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while status not in RUN_DONE and time.monotonic() < deadline:
        time.sleep(2.0)
        run = graphql.query(RUN_STATUS, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        status = run["status"]
    assert status == "SUCCESS", (
        f"run {run_id} ended {status}: {run_failure_messages(graphql, run_id)}\n"
        f"{ui_server.log_tail()}"
    )

    results = graphql.query(ASSET_RESULTS, {"key": {"path": ["marts", "fct_event_car"]}})
    node = results["assetNodeOrError"]
    assert node["assetMaterializations"][0]["runId"] == run_id
    executions = [
        c["executionForLatestMaterialization"] for c in node["assetChecksOrError"]["checks"]
    ]
    assert executions and all(e and e["runId"] == run_id for e in executions)
    assert {e["status"] for e in executions} == {"SUCCEEDED"}


def test_the_terminal_shows_no_debug_lines_warnings_or_colour_codes(ui_server: UiProcess) -> None:
    """After a run launched from the UI (the previous test), what `make ui` printed to its
    redirected output: INFO lines without escape codes, no superseded-command warning."""
    log = Path(ui_server.log_path).read_text(errors="replace")
    assert "demo_sample_replay" in log  # the run's own lines are there ...
    assert " - DEBUG - " not in log  # ... at INFO
    assert "\x1b[" not in log
    assert "SupersessionWarning" not in log
    assert "Logging an `AssetObservation`" not in log


def test_sigterm_stops_every_process(ui_server: UiProcess) -> None:
    assert len(ui_server.session_processes()) > 3  # adrpulse ui, dagster dev, webserver, daemon
    status = terminate(ui_server)
    assert status == 0, f"adrpulse ui exited {status}:\n{ui_server.log_tail()}"
    left = wait_for_no_session_processes(ui_server, timeout=10.0)
    assert not left, f"processes left after SIGTERM: {left}"
    assert not port_is_open(ui_server.port)
    assert "Dagster services shut down" in Path(ui_server.log_path).read_text()
