"""The Dagster instance's event log (orchestration/dagster_storage.py): Dagster's SQLite event log
reusing one engine per database file. What it records is what Dagster's own storage reads back,
in the same files; a deleted run or a wiped log is created again; the engines kept are bounded;
each database keeps one connection open, every event still reaches a run's own file while the
run goes on (what the UI's watch reads), and a forked process opens its own connections."""

from __future__ import annotations

import inspect
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import dagster as dg
import pytest
from dagster import DagsterEventType as E
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from assets.settings import REPO_ROOT
from orchestration import dagster_storage
from orchestration.dagster_storage import AdrPulseSqliteEventLogStorage, override_applies
from orchestration.prepare import sqlite_dagster_yaml
from orchestration.tools.benchmark import event_log as bench
from orchestration.tools.benchmark.event_log import QUIET, dbt_shaped_asset

ASSET = dbt_shaped_asset(assets=3, checks=5)


def _write_dagster_yaml(dagster_home: Path, ours: bool = True) -> None:
    dagster_home.mkdir(parents=True, exist_ok=True)
    text = sqlite_dagster_yaml(dagster_home) if ours else "telemetry:\n  enabled: false\n"
    (dagster_home / "dagster.yaml").write_text(text)


def _instance(dagster_home: Path, ours: bool = True) -> dg.DagsterInstance:
    _write_dagster_yaml(dagster_home, ours)
    return dg.DagsterInstance.from_config(str(dagster_home))


def _run(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([ASSET], instance=instance, run_config=QUIET)
    assert result.success
    return result.run_id


def test_the_private_method_replaced_keeps_dagsters_shape() -> None:
    # The override copies what Dagster's _connect does but for the engine's life; if Dagster
    # changes it, this fails before the copy silently drifts from it.
    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    source = inspect.getsource(SqliteEventLogStorage._connect)
    for part in (
        "self._db_lock",
        "NullPool",
        "SQLITE_BUSY_TIMEOUT_SECONDS",
        "_initdb(engine)",
        "conn.begin()",
    ):
        assert part in source, part
    assert list(inspect.signature(SqliteEventLogStorage.has_table).parameters) == [
        "self", "table_name",
    ]
    # the locked Dagster is one the override was checked against: it applies here
    assert override_applies()
    assert not override_applies("1.14.0") and override_applies("1.13.27")


def test_runs_recorded_through_kept_engines_read_back_in_dagsters_own_storage(
    tmp_path: Path,
) -> None:
    home = tmp_path / "dagster"
    with _instance(home) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, AdrPulseSqliteEventLogStorage)
        first = _run(instance)
        index_engine = storage._engines["index"]
        second = _run(instance)
        # one engine per database file, kept across writes and runs
        assert set(storage._engines) == {"index", first, second}
        assert storage._engines["index"] is index_engine
        ours = {run: len(instance.all_logs(run)) for run in (first, second)}
    # Dagster's own storage on the same folder reads the same events, materializations and checks
    with _instance(home, ours=False) as plain:
        assert type(plain.event_log_storage) is SqliteEventLogStorage
        assert {run: len(plain.all_logs(run)) for run in (first, second)} == ours
        assert ours[first] > 3 + 5  # planned and done, for each asset and check
        latest = plain.get_latest_materialization_event(dg.AssetKey("model_2"))
        assert latest is not None and latest.run_id == second
        check = dg.AssetCheckKey(dg.AssetKey("model_1"), "test_4")
        records = plain.event_log_storage.get_asset_check_execution_history(check, limit=5)
        assert [r.run_id for r in records] == [second, first]


def test_a_deleted_run_and_a_wiped_log_are_written_again(tmp_path: Path) -> None:
    with _instance(tmp_path / "dagster") as instance:
        storage = instance.event_log_storage
        first = _run(instance)
        instance.delete_run(first)
        assert instance.all_logs(first) == []
        second = _run(instance)
        storage.wipe()  # deletes the run databases; the kept engines hold no file open
        assert instance.all_logs(second) == []
        third = _run(instance)
        assert instance.get_latest_materialization_event(dg.AssetKey("model_0")).run_id == third


def test_the_engines_kept_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dagster_storage, "MAX_ENGINES", 2)
    with _instance(tmp_path / "dagster") as instance:
        runs = [_run(instance) for _ in range(3)]
        storage = instance.event_log_storage
        assert len(storage._engines) == 2
        assert runs[-1] in storage._engines
        # every run still reads back, through a new engine where its own was let go
        assert all(len(instance.all_logs(run)) > 8 for run in runs)
    storage.dispose()
    assert storage._engines == {}


def test_the_harness_prints_both_storages_with_the_same_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench.main(["--assets", "2", "--checks", "3", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if "Storage " in line]
    assert [r[-4] for r in rows] == ["SqliteEventLogStorage", "AdrPulseSqliteEventLogStorage"]
    events = {int(r[-3]) for r in rows}
    assert len(events) == 1 and events.pop() > 2 + 3


def test_the_index_keeps_one_connection_and_other_processes_share_it(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    with _instance(home) as instance:
        storage = instance.event_log_storage
        first = _run(instance)
        index_pool = storage._engines["index"].pool
        # the index's one connection is back in its pool, open, for the next write
        assert index_pool.checkedin() == 1 and index_pool.checkedout() == 0
        # another process's storage (Dagster's own) reads and writes the index meanwhile
        with _instance(home, ours=False) as plain:
            assert plain.get_latest_materialization_event(dg.AssetKey("model_0")).run_id == first
            second = _run(plain)
        latest = instance.get_latest_materialization_event(dg.AssetKey("model_0"))
        assert latest is not None and latest.run_id == second
        third = _run(instance)
        assert storage._engines["index"].pool is index_pool
        check = dg.AssetCheckKey(dg.AssetKey("model_1"), "test_4")
        history = storage.get_asset_check_execution_history(check, limit=5)
        assert [r.run_id for r in history] == [third, second, first]


def _event_types_in_file_alone(db: Path, copy: Path) -> list[str]:
    """The events a run's database file holds by itself, without its WAL: what the UI's watch on
    a live run reads when that file changes."""
    shutil.copyfile(db, copy)
    with closing(sqlite3.connect(copy)) as con:
        return [r[0] for r in con.execute("select dagster_event_type from event_logs")]


def test_every_event_reaches_the_run_file_while_the_run_goes_on(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}

    @dg.asset
    # no annotation: Dagster wants the context's class itself, and this module's annotations
    # are strings (`from __future__ import annotations`)
    def looks_at_its_own_run_file(context) -> None:
        storage = context.instance.event_log_storage
        db = Path(storage.path_for_shard(context.run_id))
        seen["mid-run"] = _event_types_in_file_alone(db, tmp_path / "mid_run.db")

    with _instance(tmp_path / "dagster") as instance:
        storage = instance.event_log_storage
        result = dg.materialize([looks_at_its_own_run_file], instance=instance, run_config=QUIET)
        assert result.success
        run_db = Path(storage.path_for_shard(result.run_id))
        # the run's connection is kept open, in its pool, between writes
        pool = storage._engines[result.run_id].pool
        assert pool.checkedin() == 1 and pool.checkedout() == 0
        after = _event_types_in_file_alone(run_db, tmp_path / "after.db")
        assert len(after) == len(instance.all_logs(result.run_id))
    # while the step ran, the events before it were in the file already, not only in the WAL
    run_start, step_start, step_success, run_success = (
        t.value for t in (E.RUN_START, E.STEP_START, E.STEP_SUCCESS, E.RUN_SUCCESS)
    )
    assert {run_start, step_start} <= set(seen["mid-run"]), seen["mid-run"]
    assert step_success not in seen["mid-run"]
    assert run_success in after


def test_a_forked_process_opens_its_own_index_connection(tmp_path: Path) -> None:
    with _instance(tmp_path / "dagster") as instance:
        storage = instance.event_log_storage
        _run(instance)
        parents_index = storage._engines["index"]
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child records a run through the storage it inherited
            os.close(read)
            code = 1
            try:
                run_id = _run(instance)
                ok = storage._engines["index"] is not parents_index
                os.write(write, run_id.encode() if ok else b"reused the parent's engine")
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        message = os.read(read, 200).decode()
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0, message
        # the child's run is in the index, and the parent's connection still works
        assert instance.get_latest_materialization_event(dg.AssetKey("model_2")).run_id == message
        assert storage._engines["index"] is parents_index
        assert len(instance.all_logs(_run(instance))) > 8


def test_which_tables_the_index_has_is_answered_by_the_kept_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.storage.event_log.sqlite import sqlite_event_log

    with _instance(tmp_path / "dagster") as instance:
        storage = instance.event_log_storage
        first = _run(instance)
        # Dagster's own has_table builds an engine per question: count them from here on
        engines_built: list[str] = []
        real_create_engine = sqlite_event_log.create_engine
        monkeypatch.setattr(
            sqlite_event_log, "create_engine",
            lambda url, **kw: engines_built.append(url) or real_create_engine(url, **kw),
        )
        for _ in range(3):
            assert storage.has_table("asset_check_executions")
            assert storage.supports_asset_checks
        assert not storage.has_table("adrpulse_no_such_table")
        assert engines_built == []
        # a table missing once is asked for again: created by another connection, it is found
        index_db = Path(storage.path_for_shard("index"))
        with sqlite3.connect(index_db) as other:
            other.execute("create table adrpulse_no_such_table (id integer)")
        other.close()
        assert storage.has_table("adrpulse_no_such_table")
        # and the checks recorded through it read back as before
        second = _run(instance)
        check = dg.AssetCheckKey(dg.AssetKey("model_1"), "test_4")
        history = storage.get_asset_check_execution_history(check, limit=5)
        assert [r.run_id for r in history] == [second, first]
        assert engines_built == []


def test_a_process_that_ends_leaves_no_wal_beside_the_run_files(tmp_path: Path) -> None:
    """As the CLI does: the instance is disposed after the run, then the run's outcome is read
    (which opens the run's database again), then the process ends without disposing again."""
    home = tmp_path / "dagster"
    _write_dagster_yaml(home)
    script = f"""
import dagster as dg
from orchestration.tools.benchmark.event_log import QUIET, dbt_shaped_asset
with dg.DagsterInstance.from_config({str(home)!r}) as instance:
    result = dg.materialize([dbt_shaped_asset(2, 3)], instance=instance, run_config=QUIET)
print(len(instance.all_logs(result.run_id)))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip().splitlines()[-1]) > 2 + 3
    runs = home / "history" / "runs"
    assert sorted(p.suffix for p in runs.iterdir()) == [".db", ".db"]  # the run's and the index
