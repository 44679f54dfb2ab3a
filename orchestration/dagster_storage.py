"""The Dagster instance's SQLite event log, with one SQLAlchemy engine per database file.

Dagster's `SqliteEventLogStorage` builds a new engine for every write: a run's events go to the
run's own database, and each asset event is mirrored in the index database, so one dbt result is
two or three engines. A new engine has an empty statement cache, so each insert is compiled again,
and its first connection runs SQLAlchemy's dialect set-up. In `adrpulse demo` that was about 40%
of the time Dagster took to record the run's ~580 events (the dbt results, the planned
materializations and checks): docs/BENCHMARKS.md has the figures.

Here an engine is kept per database file and reused, with the same busy timeout and the same
one transaction per write, and each engine keeps one connection open (a `QueuePool` of one).
Opening and closing a connection for each write was the larger part of what remained: the
databases are in WAL mode, so each close checkpointed, and each open created the WAL again (a
directory sync). A dbt-sized run of 675 events recorded in 2.67 s with the index opened per
write and 1.91 s with its connection kept (medians of 3, the harness in
orchestration/tools/benchmark/event_log.py); keeping each run database's connection too took a
run of 453 events from 5.0 s to 3.7 s on a slow hour (docs/BENCHMARKS.md, the evening round of
2026-12-05).

A run's own database is watched: the UI follows a live run by watching that file change, and in
WAL mode a write changes only the `-wal` file until a checkpoint copies it into the database.
Dagster's close per write did that checkpoint; here each transaction that changed a run database
is followed by a passive checkpoint (`PRAGMA wal_checkpoint(PASSIVE)`), so every event still
reaches the run's file at once. Nothing watches the index file. Other processes (the UI, the
daemon, a run's step processes) read and write both through their own connections as before: an
idle SQLite connection holds no lock, and WAL lets readers go on beside a writer. Commits keep
SQLite's default durability (`synchronous=FULL`). A process forked from one holding the
connections does not reuse them: the engines are per process id. `wipe()`, which deletes the
database files, first lets every engine go, so no kept connection writes into a deleted file.

Dagster also asks, on every asset check result and every event with tags, whether a table exists
in the index database (`has_table`), and answers each time from a new engine and a new connection.
Here the kept index engine answers, and a table once found is remembered for the process: Dagster's
migrations add tables and never drop one while a process runs. A table not found is asked again.

`_connect` and `has_table` are private API, so the overrides apply only on the Dagster releases
they were checked against (`CHECKED_DAGSTER`); on any other release this class is Dagster's own
storage unchanged. tests/test_dagster_storage.py checks the methods replaced keep their shape.

dagster.yaml names this class for the SQLite instance (orchestration/prepare.py); a Dagster on
PostgreSQL keeps dagster-postgres's storage, which already pools its connections.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version as installed_version
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# The Dagster releases whose SqliteEventLogStorage._connect this class was checked against.
CHECKED_DAGSTER = ("1.13",)
# Engines kept: the index database and the few runs written or watched at once. A long-lived
# process (the UI) reads many runs over a day; the least recently used engine is disposed.
MAX_ENGINES = 16


def override_applies(release: str | None = None) -> bool:
    release = release or installed_version("dagster")
    return any(release == v or release.startswith(v + ".") for v in CHECKED_DAGSTER)


class AdrPulseSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage, reusing one engine per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        # Its own lock: Dagster's _db_lock is taken by _connect around the whole write.
        self._engines_lock = threading.Lock()
        self._reuse_engines = override_applies()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)
        # A process that ends without disposing its instance (or reads a run after disposing it,
        # as the CLI does to print the run's outcome) still closes its kept connections: the
        # last close of a database removes its -wal and -shm files.
        atexit.register(_dispose_at_exit, weakref.ref(self))

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> AdrPulseSqliteEventLogStorage:
        # Dagster's own from_config_value names SqliteEventLogStorage, not cls.
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                # A forked child: the parent's pooled connection is the parent's to close.
                self._engines = OrderedDict()
                self._engines_pid = os.getpid()
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            # One connection kept open; _connect's lock lets one use it at a time, and the
            # overflow only covers a use from outside _connect, closed when returned.
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                    # the pool hands the connection to whichever thread writes next
                    "check_same_thread": False,
                },
            )
            self._engines[shard] = engine
            while len(self._engines) > MAX_ENGINES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        if not self._reuse_engines:
            with super()._connect(shard) as conn:
                yield conn
            return
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                changes_before = _total_changes(conn)
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME and _total_changes(conn) != changes_before:
                    # into the run's own file now: the change the UI's watch on a live run
                    # waits for (a close did this when each write had its own connection)
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def has_table(self, table_name: str) -> bool:
        if not self._reuse_engines:
            return super().has_table(table_name)
        if table_name in self._tables_found:
            return True
        # Not through _connect: Dagster asks while it holds _db_lock for a write; the pool's
        # overflow gives this a connection of its own then.
        with self._engine(INDEX_SHARD_NAME).connect() as conn:
            found = bool(conn.dialect.has_table(conn, table_name))
        if found:
            self._tables_found.add(table_name)
        return found

    def wipe(self) -> None:
        # Dagster deletes the database files: no kept connection may go on writing to one.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            if self._engines_pid == os.getpid():
                for engine in self._engines.values():
                    engine.dispose()
            # else a forked child: the parent's connections are the parent's to close
            self._engines.clear()


def _dispose_at_exit(storage: weakref.ref[AdrPulseSqliteEventLogStorage]) -> None:
    alive = storage()
    if alive is not None:
        alive._dispose_engines()


def _total_changes(conn: Connection) -> int:
    """Rows the SQLite connection under `conn` has changed since it opened."""
    return int(conn.connection.dbapi_connection.total_changes)  # type: ignore[union-attr]
