"""Shared fixtures, and the markers that split the fast loop from the whole suite.

The expensive fixtures are built once per session: `demo_run` runs the real `adrpulse demo` in a
temporary ADRPULSE_HOME (the CLI, Dagster, dbt, the checks and publishing, all offline), and
`sample_dbt_warehouse` loads the sample's prices and runs `dbt build` in-process. A test that
uses either, or that lives in a module running Dagster or servers (SLOW_MODULES), is marked
`slow` automatically: `make test-fast` runs everything else (`-m "not slow"`). The faults tier
(tests/test_faults_*.py, marker `faults`) is slow too; it prints one summary line at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import DemoRun, run_cli
from tests.support.dbt import SAMPLE_ARCHIVE, build_sample_warehouse
from tests.support.webhook_server import WebhookServer

# Fixtures that build a warehouse through dbt or the whole pipeline.
SLOW_FIXTURES = {"demo_run", "demo_home", "sample_warehouse", "sample_dbt_warehouse"}
# Modules whose tests run Dagster, dbt, a browser or the UI server (each test is slow on its own).
SLOW_MODULES = {
    "test_alerts_dagster",
    "test_alerts_own_data",
    "test_analysts_dagster",
    "test_analysts_demo",
    "test_archive_cli",
    "test_bench",
    "test_build_cli",
    "test_concurrent_readers",
    "test_dagster_postgres",
    "test_dbt_incremental",
    "test_factor_model",
    "test_factors_import",
    "test_dbt_project",
    "test_dbt_resource",
    "test_definitions",
    "test_dual_listing_checks_dagster",
    "test_e2e_demo",
    "test_faults_crash",
    "test_faults_inputs",
    "test_news_cli",
    "test_news_dagster",
    "test_prices_cli",
    "test_prices_dagster",
    "test_readme_own_data",
    "test_readme_walkthrough",
    "test_report",
    "test_run_slots",
    "test_sample_home",
    "test_spark_parity",
    "test_sql_cli",
    "test_ui_browser",
    "test_ui_graphql",
}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The faults tier's one line (tests/test_faults_*.py): kill points survived, hostile inputs
    tried and rejected, rows lost."""
    from tests.support.faults import TALLY

    if TALLY.ran:
        terminalreporter.write_line(TALLY.summary_line())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def alert_receiver() -> Iterator[WebhookServer]:
    """A loopback webhook (ADRPULSE_ALERT_WEBHOOK of the demo run) that records every alert
    POSTed to it and answers 200."""
    with WebhookServer([200]) as server:
        yield server


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, alert_receiver: WebhookServer) -> DemoRun:
    home = tmp_path_factory.mktemp("adrpulse_home")
    result = run_cli(home, "demo", env={"ADRPULSE_ALERT_WEBHOOK": alert_receiver.url})
    return DemoRun(home, result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def demo_home(demo_run: DemoRun) -> Path:
    if demo_run.returncode != 0:
        pytest.fail(f"adrpulse demo failed:\n{demo_run.stdout}\n{demo_run.stderr[-5000:]}")
    return demo_run.home


@pytest.fixture(scope="session")
def sample_warehouse(demo_home: Path) -> Path:
    """A warehouse built from the bundled sample through the whole pipeline (read it only)."""
    return demo_home / "warehouse.duckdb"


@pytest.fixture(scope="session")
def sample_dbt_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive's prices loaded by the pipeline's loader, then `dbt build` in-process
    (news tables empty). Read it; copy it to change it."""
    if not list(SAMPLE_ARCHIVE.glob("prices/*/*/*.json")):
        pytest.skip(f"no sample archive at {SAMPLE_ARCHIVE}")
    return build_sample_warehouse(tmp_path_factory.mktemp("sample_dbt"))
