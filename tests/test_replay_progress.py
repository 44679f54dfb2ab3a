"""Replays report their progress about once a second, not once per fetch (warehouse/load.py
ItemProgress): the first and last fetch, every failed one, and a line a second between; what
every fetch did is still stored."""

from __future__ import annotations

from pathlib import Path

from assets.news.ingest import read_news_config, replay_news
from orchestration.tools.sample_data.locations import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_FEEDS_PATH,
    DEFAULT_UNIVERSE_PATH,
)
from warehouse.archive import plan_replay
from warehouse.connection import warehouse_connection
from warehouse.progress import ItemProgress

NEWS_ALIASES = DEFAULT_UNIVERSE_PATH.parent / "news_aliases.csv"


class Lines:
    """A ProgressLog that keeps what it is told."""

    def __init__(self) -> None:
        self.info_lines: list[str] = []
        self.warnings: list[str] = []

    def info(self, msg: str) -> None:
        self.info_lines.append(msg)

    def warning(self, msg: str) -> None:
        self.warnings.append(msg)

    def error(self, msg: str) -> None:
        self.warnings.append(msg)


def test_progress_lines_are_the_first_the_last_the_notable_and_one_a_second() -> None:
    now = [0.0]
    log = Lines()
    progress = ItemProgress(log.info, 10, every=1.0, clock=lambda: now[0])
    for index in range(1, 11):
        now[0] = 0.3 * index  # an item every 0.3 s
        progress.item(index, f"item {index}", notable=index == 7)
    # 1 (at 0.3 s) the first; 5 the first a second after it (1.5 s); 7 notable (2.1 s, only
    # 0.6 s after 5), which also restarts the second: 9 (2.7 s) is left out; 10 the last
    assert log.info_lines == [
        "[1/10] item 1", "[5/10] item 5", "[7/10] item 7", "[10/10] item 10",
    ]


def test_one_item_and_a_slow_loop_show_every_line() -> None:
    log = Lines()
    ItemProgress(log.info, 1).item(1, "only")
    assert log.info_lines == ["[1/1] only"]
    now = [0.0]
    slow = ItemProgress(log.info, 3, every=1.0, clock=lambda: now[0])
    for index in (1, 2, 3):
        now[0] = 2.0 * index
        slow.item(index, str(index))
    assert log.info_lines[1:] == ["[1/3] 1", "[2/3] 2", "[3/3] 3"]


def test_a_news_replay_names_every_failed_fetch_and_stores_every_fetch(tmp_path: Path) -> None:
    config = read_news_config(DEFAULT_UNIVERSE_PATH, NEWS_ALIASES, DEFAULT_FEEDS_PATH)
    fetches = plan_replay(DEFAULT_ARCHIVE_DIR, "news").in_order()
    log = Lines()
    with warehouse_connection(tmp_path / "w.duckdb") as con:
        outcome = replay_news(con, DEFAULT_ARCHIVE_DIR, config, rebuild=True, log=log)
        stored = con.execute("select count(*) from raw.news_fetches").fetchall()[0][0]
    total = len(fetches)
    failed = [
        (i, o.feed_name) for i, o in enumerate(outcome.outcomes, start=1)
        if o.status == "failed"
    ]
    assert failed, "the bundled sample archives failed fetches"
    progress = [line for line in log.info_lines if line.startswith("[")]
    assert progress[0].startswith(f"[1/{total}] ")
    assert progress[-1].startswith(f"[{total}/{total}] ")
    for index, feed in failed:
        assert any(line.startswith(f"[{index}/{total}] {feed}: FAILED") for line in progress)
    # fewer lines than fetches (the replay takes well under a second a fetch), every fetch stored
    assert len(progress) < total
    assert stored == total == len(outcome.outcomes)


def test_a_publish_says_the_first_and_last_table_and_exports_every_one(tmp_path: Path) -> None:
    import duckdb

    from warehouse.publish import open_published, publish

    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"))
    warehouse.execute("create schema marts")
    for n in range(12):
        warehouse.execute(f"create table marts.t{n:02d} as select range as v from range({n})")
    lines: list[str] = []
    result = publish(warehouse, tmp_path / "published", column_docs={}, progress=lines.append)
    warehouse.close()
    assert lines[0] == "[1/12] exported marts.t00: 0 rows"
    assert lines[-1] == "[12/12] exported marts.t11: 11 rows"
    assert len(lines) < 12  # a dozen small tables take well under a second
    reader = open_published(tmp_path / "published")
    assert [t.rows for t in result.tables] == list(range(12))
    assert reader.execute("select count(*) from marts.t11").fetchall() == [(11,)]
    reader.close()
