"""Faults tier (issue 21): commands SIGKILLed at chosen points, and a disk that fills up.

Every scenario starts from a copy of the session's demo home (never a second demo), runs a real
`adrpulse` command in its own process group and SIGKILLs the group at a line of the run's own log:

| command         | killed                      | the line                                        |
| --------------- | --------------------------- | ----------------------------------------------- |
| import-prices   | before the warehouse step   | `Dagster run of job load_archive` (archived)    |
| rebuild         | during load                 | raw_prices `[1/N]` (1 of 22 fetches replayed)   |
| build           | during dbt                  | dbt's log: `START sql table model marts.`       |
| demo            | during publish              | published__marts `publishing the marts ...`     |

After each kill: `adrpulse sql` still answers with the last complete build; the same command run
again finishes (with a deadline: no hang on the dead run's pool slot) and leaves the published marts
identical to the demo's (`built_at` aside) with every raw.daily_bars key stored exactly once.

The import and rebuild scenarios need a home that holds real prices (imports are refused into the
synthetic sample): `real_home` is the demo home with its fetches marked not synthetic, the sample
archive copied into ADRPULSE_HOME/archive, and the sample's last fetch taken out of the warehouse
and the archive. Importing that fetch's bars, or rebuilding with it put back, must give the demo's
marts again.

Disk full: the demo home copied onto a small tmpfs (root only; skipped with the reason otherwise),
filled with a ballast file, then `adrpulse build`: a named error, no traceback, the published build
and the warehouse intact; after the ballast is deleted, the same build succeeds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from assets.settings import SAMPLE_ARCHIVE_DIR
from tests.support.faults import (
    TALLY,
    TRACEBACK,
    Finished,
    Killed,
    KillPoint,
    RawBars,
    leftovers,
    mart_differences,
    published_build_id,
    published_marts,
    raw_bars,
    run_command,
    run_until,
)
from warehouse.archive import list_price_fetches, manifest_paths

pytestmark = pytest.mark.faults

RUN_TIMEOUT = 900  # seconds; far above a run on a quiet machine, so only a hang reaches it


@dataclass(frozen=True)
class Reference:
    """What the demo published and stored: what every recovered home must hold again."""

    build_id: str
    marts: dict[str, list]
    marts_without_fetch_id: dict[str, list]
    bars: RawBars


@pytest.fixture(scope="module")
def reference(demo_home: Path) -> Reference:
    TALLY.ran = True
    return Reference(
        published_build_id(demo_home),
        published_marts(demo_home),
        published_marts(demo_home, ignore=("built_at", "fetch_id")),
        raw_bars(demo_home),
    )


def _copy_home(demo_home: Path, target: Path) -> Path:
    # The demo's dbt run folders (targets and logs of past runs) are not state a run reads.
    shutil.copytree(demo_home, target, ignore=shutil.ignore_patterns("runs"))
    return target


@pytest.fixture(scope="module")
def last_fetch() -> str:
    return list_price_fetches(SAMPLE_ARCHIVE_DIR)[-1].fetch_id


@pytest.fixture(scope="module")
def real_home(
    tmp_path_factory: pytest.TempPathFactory, demo_home: Path, last_fetch: str
) -> Path:
    """The demo home as if it held real prices, without the sample's last fetch (see above)."""
    home = _copy_home(demo_home, tmp_path_factory.mktemp("faults") / "real_home")
    archive = home / "archive"
    shutil.copytree(SAMPLE_ARCHIVE_DIR, archive, dirs_exist_ok=True)
    for manifest in manifest_paths(archive):
        payload = json.loads(manifest.read_text())
        payload["synthetic"] = False
        manifest.write_text(json.dumps(payload, indent=2))
    for path in archive.glob(f"prices/*/*/{last_fetch}.*"):
        path.unlink()
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute("update raw.price_fetches set synthetic = false")
        con.execute("delete from raw.daily_bars where fetch_id = ?", [last_fetch])
        con.execute("delete from raw.price_fetches where fetch_id = ?", [last_fetch])
    finally:
        con.close()
    return home


@pytest.fixture(scope="module")
def last_fetch_csv(tmp_path_factory: pytest.TempPathFactory, demo_home: Path,
                   last_fetch: str) -> Path:
    """The demo's bars of the sample's last fetch, as a long CSV a user would import."""
    path = tmp_path_factory.mktemp("faults_import") / "last_fetch.csv"
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        frame = con.execute(
            "select ticker, session_date as date, open, high, low, close, adj_close, volume, "
            "dividends, stock_splits as splits from raw.daily_bars where fetch_id = ? "
            "order by ticker, session_date",
            [last_fetch],
        ).df()
    finally:
        con.close()
    assert len(frame) > 0
    frame.to_csv(path, index=False)  # floats as repr: they read back exactly
    return path


@dataclass(frozen=True)
class Scenario:
    id: str
    base: str  # demo | real | real+last (real_home with the last fetch back in its archive)
    command: tuple[str, ...]
    point: KillPoint
    in_step: bool  # killed while a step held the warehouse pool slot
    ignore_fetch_id: bool = False  # the import's rows name the import's fetch, not the sample's


SCENARIOS = [
    Scenario(
        "import-before-warehouse",
        "real",
        ("import-prices", "{csv}"),
        KillPoint("before the warehouse step", r"^Dagster run of job load_archive"),
        in_step=False,
        ignore_fetch_id=True,
    ),
    Scenario(
        "rebuild-during-load",
        "real+last",
        ("rebuild",),
        # the first fetch's progress line: the replay logs about one a second after it
        KillPoint("during load", r" - raw_prices - \[1/\d+\] "),
        in_step=True,
    ),
    Scenario(
        "build-during-dbt",
        "demo",
        ("build",),
        KillPoint("during dbt", r"START sql table model marts\.", log_glob="dbt/runs/*/dbt.log"),
        in_step=True,
    ),
    Scenario(
        "demo-during-publish",
        "demo",
        ("demo",),
        KillPoint("during publish", r" - published__marts - publishing the marts "),
        in_step=True,
    ),
]


def _home_for(scenario: Scenario, tmp_path: Path, demo_home: Path, real_home: Path,
              last_fetch: str) -> Path:
    if scenario.base == "demo":
        return _copy_home(demo_home, tmp_path / "home")
    home = tmp_path / "home"
    shutil.copytree(real_home, home)
    if scenario.base == "real+last":
        for source in SAMPLE_ARCHIVE_DIR.glob(f"prices/*/*/{last_fetch}.*"):
            target = home / "archive" / source.relative_to(SAMPLE_ARCHIVE_DIR)
            if source.suffix == ".json":
                payload = json.loads(source.read_text())
                payload["synthetic"] = False
                target.write_text(json.dumps(payload, indent=2))
            else:
                shutil.copy2(source, target)
    return home


def _assert_readers_see(home: Path, build_id: str) -> None:
    answer = run_command(
        home, "sql", "--csv",
        "select build_id, (select count(*) from marts.fct_ticker_performance) as rows "
        "from main.published_build",
        timeout=120,
    )
    assert answer.returncode == 0, answer.output
    assert TRACEBACK not in answer.output
    assert build_id in answer.stdout, answer.stdout


@dataclass
class Recovery:
    """What one scenario did: run by `recoveries` two at a time, judged by the test."""

    killed: Killed | None = None
    rerun: Finished | None = None
    bars: RawBars | None = None
    marts: dict[str, list] | None = None
    build_id: str = ""
    leftovers: list[Path] | None = None
    imports_archived: int = 0  # import manifests in the home's archive after the rerun
    error: str = ""  # an assertion or exception of the scenario itself, with its traceback


def _recover(scenario: Scenario, home: Path, csv: Path, reference: Reference) -> Recovery:
    outcome = Recovery()
    try:
        command = tuple(a.format(csv=csv) for a in scenario.command)
        outcome.killed = run_until(home, *command, point=scenario.point, timeout=RUN_TIMEOUT)
        # Readers answer with the last complete build (the demo's) after the crash.
        _assert_readers_see(home, reference.build_id)
        # The next run of the same command finishes (a deadline: no hang on the dead run's slot).
        outcome.rerun = run_command(home, *command, timeout=RUN_TIMEOUT)
        if outcome.rerun.returncode == 0:
            outcome.bars = raw_bars(home)
            ignore = ("built_at", "fetch_id") if scenario.ignore_fetch_id else ("built_at",)
            outcome.marts = published_marts(home, ignore)
            outcome.build_id = published_build_id(home)
            outcome.leftovers = leftovers(home)
            outcome.imports_archived = len(list(home.glob("archive/prices/*/*/*-import-*.json")))
            _assert_readers_see(home, outcome.build_id)
    except BaseException:
        outcome.error = traceback.format_exc()
    return outcome


@pytest.fixture(scope="module")
def recoveries(
    tmp_path_factory: pytest.TempPathFactory,
    demo_home: Path,
    real_home: Path,
    last_fetch: str,
    last_fetch_csv: Path,
    reference: Reference,
) -> dict[str, Recovery]:
    """Every scenario, two at a time: each runs in its own home and process group, and a
    pipeline run is mostly one busy core, so two share a 2-core machine well."""
    homes = {
        s.id: _home_for(s, tmp_path_factory.mktemp(s.id), demo_home, real_home, last_fetch)
        for s in SCENARIOS
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            s.id: pool.submit(_recover, s, homes[s.id], last_fetch_csv, reference)
            for s in SCENARIOS
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_a_command_killed_at_a_kill_point_recovers_on_the_next_run(
    scenario: Scenario, recoveries: dict[str, Recovery], reference: Reference
) -> None:
    outcome = recoveries[scenario.id]
    assert not outcome.error, outcome.error
    assert outcome.killed is not None and outcome.rerun is not None
    assert outcome.killed.returncode == -9, f"not killed by SIGKILL: {outcome.killed.returncode}"
    rerun = outcome.rerun
    assert rerun.returncode == 0, f"{rerun.stdout[-4000:]}\n{rerun.stderr[-4000:]}"
    assert TRACEBACK not in rerun.output
    if scenario.in_step:
        # The killed run's warehouse pool slot was freed by the rerun, not waited on forever.
        assert "freed the warehouse pool slot" in rerun.output, rerun.stderr[-3000:]

    # No raw row lost or duplicated; the marts are the demo's again.
    assert outcome.bars is not None and outcome.marts is not None
    lost = outcome.bars.lost_or_duplicated(reference.bars)
    TALLY.rows_lost += lost
    assert lost == 0 and outcome.bars.rows == reference.bars.rows, (
        f"raw.daily_bars: {outcome.bars.rows} rows, {len(outcome.bars.keys)} keys; the demo "
        f"has {reference.bars.rows}; {lost} lost or duplicated"
    )
    want = reference.marts_without_fetch_id if scenario.ignore_fetch_id else reference.marts
    differences = mart_differences(outcome.marts, want)
    assert not differences, "\n".join(differences)
    assert outcome.build_id != reference.build_id  # readers moved to the new build
    assert not outcome.leftovers, outcome.leftovers
    if scenario.command[0] == "import-prices":
        # The rerun reused the import the killed run had archived: one copy in the archive.
        assert outcome.imports_archived == 1, outcome.imports_archived
    TALLY.kill_points += 1


# --- disk full -----------------------------------------------------------------------------------

TMPFS_BYTES = 96 * 1024 * 1024
# Free space left for the build: enough to start dbt, not for dbt's target folder, the warehouse's
# write-ahead log and Dagster's event log together, so the build runs out of space mid-run.
HEADROOM_BYTES = 12 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of TMPFS_BYTES mounted for this test, unmounted after it."""
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "adrpulse-faults", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(
            "disk-full test needs to mount a small tmpfs (root, or CAP_SYS_ADMIN): "
            f"mount said {result.stderr.strip() or result.returncode}"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """A ballast file that leaves `leave` bytes free on `disk`."""
    ballast = disk / "ballast"
    free = shutil.disk_usage(disk).free
    with open(ballast, "wb") as fh:
        block = b"\0" * (1024 * 1024)
        remaining = max(free - leave, 0)
        while remaining > 0:
            fh.write(block[:remaining])
            remaining -= min(len(block), remaining)
    return ballast


def test_a_full_disk_fails_by_name_corrupts_nothing_and_recovers(
    small_disk: Path, demo_home: Path, reference: Reference
) -> None:
    home = _copy_home(demo_home, small_disk / "home")
    ballast = _fill(small_disk, HEADROOM_BYTES)

    failed = run_command(home, "build", timeout=RUN_TIMEOUT)
    assert failed.returncode != 0, failed.output[-3000:]
    # No traceback of adrpulse's own: the error is named on stderr. (stdout may carry dbt's log
    # of its own failure, traceback included: dagster-dbt echoes dbt's lines to stdout when the
    # step's output capture cannot be written, as on this full disk.)
    assert TRACEBACK not in failed.stderr, failed.stderr[-6000:]
    assert "the disk holding ADRPULSE_HOME" in failed.stderr \
        or "The disk is full" in failed.stderr, failed.stderr[-3000:]

    # Nothing corrupted: readers keep the demo's build, the warehouse opens with every raw row.
    _assert_readers_see(home, reference.build_id)
    assert raw_bars(home) == reference.bars

    ballast.unlink()
    recovered = run_command(home, "build", timeout=RUN_TIMEOUT)
    assert recovered.returncode == 0, f"{recovered.stdout[-3000:]}\n{recovered.stderr[-3000:]}"
    assert published_build_id(home) != reference.build_id
    assert not mart_differences(published_marts(home), reference.marts)
    assert not leftovers(home)
    TALLY.disk_full += 1


def test_a_build_out_of_memory_names_the_cap_and_recovers_with_the_one_suggested(
    tmp_path: Path, demo_home: Path, reference: Reference
) -> None:
    """A DuckDB cap too small for the marts (what a mart at 5,000 x 20 can meet under the
    default 3GB): the build fails naming the models, the setting and a higher value; nothing is
    lost; the build with the suggested value publishes."""
    home = _copy_home(demo_home, tmp_path / "home")
    failed = run_command(home, "build", timeout=RUN_TIMEOUT,
                         env={"ADRPULSE_DUCKDB_MEMORY_LIMIT": "16MB"})
    assert failed.returncode != 0, failed.output[-3000:]
    assert TRACEBACK not in failed.stderr, failed.stderr[-6000:]
    assert "dbt ran out of memory in " in failed.output, failed.output[-3000:]
    assert "under DuckDB's cap ADRPULSE_DUCKDB_MEMORY_LIMIT=16MB" in failed.output
    suggested = "set ADRPULSE_DUCKDB_MEMORY_LIMIT=1GB"
    assert suggested in failed.output, failed.output[-3000:]

    _assert_readers_see(home, reference.build_id)
    assert raw_bars(home) == reference.bars

    recovered = run_command(home, "build", timeout=RUN_TIMEOUT,
                            env={"ADRPULSE_DUCKDB_MEMORY_LIMIT": suggested.rsplit("=", 1)[1]})
    assert recovered.returncode == 0, f"{recovered.stdout[-3000:]}\n{recovered.stderr[-3000:]}"
    assert published_build_id(home) != reference.build_id
    assert not mart_differences(published_marts(home), reference.marts)


def test_a_full_disk_is_told_from_other_errors(tmp_path: Path) -> None:
    """The CLI names a full disk (ENOSPC anywhere in the chain, or an I/O error with almost no
    space left) and lets every other error show its traceback."""
    import errno
    import sqlite3

    from assets.settings import Settings
    from orchestration.commands.common import full_disk_error

    settings = Settings.from_env({"ADRPULSE_HOME": str(tmp_path)})
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "warehouse.duckdb.wal")
        except OSError as inner:
            raise RuntimeError("step adrpulse_dbt_models failed") from inner
    except RuntimeError as exc:
        error = full_disk_error(exc, settings)
    assert error is not None and f"ADRPULSE_HOME={tmp_path} is full" in str(error)
    assert "run the same command again" in str(error)
    assert full_disk_error(ValueError("a bug"), settings) is None
    # tmp_path's disk has room: an I/O error there is not called a full disk.
    assert full_disk_error(sqlite3.OperationalError("disk I/O error"), settings) is None
