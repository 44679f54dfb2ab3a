"""The Dagster instance's SQLite event log, with one SQLAlchemy engine per database file.

Dagster's `SqliteEventLogStorage` builds a new engine for every write: a run's events go to the
run's own database, and each asset event is mirrored in the index database, so one dbt result is
two or three engines. A new engine has an empty statement cache, so each insert is compiled again,
and its first connection runs SQLAlchemy's dialect set-up. In `adrpulse demo` that was about 40%
of the time Dagster took to record the run's ~580 events (the dbt results, the planned
materializations and checks): docs/BENCHMARKS.md has the figures.

Here an engine is kept per database file and reused. It keeps Dagster's pool (`NullPool`: every
use opens and closes its own connection, so no file stays open or locked between writes, and a
deleted run database is simply created again), the same busy timeout and the same one transaction
per write. Only the compiled statements and the dialect set-up are kept.

`_connect` is private API, so the override applies only on the Dagster releases it was checked
against (`CHECKED_DAGSTER`); on any other release this class is Dagster's own storage unchanged.
tests/test_dagster_storage.py checks the method it replaces still has the same shape.

dagster.yaml names this class for the SQLite instance (orchestration/prepare.py); a Dagster on
PostgreSQL keeps dagster-postgres's storage, which already pools its connections.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version as installed_version
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

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
        # Its own lock: Dagster's _db_lock is taken by _connect around the whole write.
        self._engines_lock = threading.Lock()
        self._reuse_engines = override_applies()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> AdrPulseSqliteEventLogStorage:
        # Dagster's own from_config_value names SqliteEventLogStorage, not cls.
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            # as Dagster's _connect makes it
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
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
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
