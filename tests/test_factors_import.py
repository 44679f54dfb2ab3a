"""`adrpulse import-factors` end to end into a temporary home: the file archived as given, the
raw table loaded as fractions, a bad file refused with nothing stored, and the archived imports
replayed by the raw/daily_factors asset in a rebuild (a damaged one leaves the table as it was)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.raw_factors import raw_daily_factors
from assets.source_mode import replay_tags
from tests.support.cli import run_cli
from tests.support.resources import pipeline_resources

SAMPLE = Path(__file__).parent / "data" / "ff3_daily_sample.csv"


def _rows(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _factor_table(home: Path) -> list[tuple]:
    return _rows(
        home, "select factor_date::varchar, mkt_rf, smb, hml, rmw, cma, rf "
        "from raw.daily_factors order by factor_date"
    )


def _rebuild(home: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [raw_daily_factors],
        resources=pipeline_resources(home),
        tags=replay_tags(str(home / "archive"), rebuild=True),
        raise_on_error=False,
    )


@pytest.fixture
def imported_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = run_cli(home, "import-factors", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    assert "6 days, 2025-01-02 .. 2025-01-10" in result.stdout
    return home


def test_import_archives_the_file_and_loads_fractions(imported_home: Path) -> None:
    archived = list((imported_home / "archive" / "factors").glob("*/*/*.csv"))
    assert len(archived) == 1
    assert archived[0].read_bytes() == SAMPLE.read_bytes()
    table = _factor_table(imported_home)
    assert [r[0] for r in table] == [
        "2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-10",
    ]
    assert table[1][1:] == pytest.approx((0.0126, 0.0020, -0.0078, None, None, 0.00017))
    assert _rows(imported_home, "select model, row_count from raw.factor_imports") == [("ff3", 6)]
    listed = run_cli(imported_home, "archive", "list", "--kind", "factors")
    assert listed.returncode == 0, listed.stderr
    assert "1 factor imports" in listed.stdout
    assert "ok; ff3 2025-01-02..2025-01-10" in listed.stdout
    verified = run_cli(imported_home, "archive", "verify")
    assert verified.returncode == 0, verified.stderr

    again = run_cli(imported_home, "import-factors", str(SAMPLE))
    assert again.returncode == 0, again.stderr
    assert "already archived" in again.stdout and "loaded before" in again.stdout
    assert len(list((imported_home / "archive" / "factors").glob("*/*/*.csv"))) == 1
    assert len(_factor_table(imported_home)) == 6


def test_bad_file_is_refused_naming_its_line_and_nothing_changes(
    imported_home: Path, tmp_path: Path
) -> None:
    before = _factor_table(imported_home)
    lines = SAMPLE.read_text().splitlines()
    lines[9] = "20250108,    0.11,   -0.05,    0.31"
    bad = tmp_path / "mine.csv"
    bad.write_text("\n".join(lines) + "\n")
    result = run_cli(imported_home, "import-factors", str(bad))
    assert result.returncode == 1
    assert f"{bad}:10: 4 cells where the header has 5" in result.stderr
    assert "Traceback" not in result.stderr
    assert _factor_table(imported_home) == before
    assert len(list((imported_home / "archive" / "factors").glob("*/*/*.json"))) == 1


def test_rebuild_replays_the_archived_imports(imported_home: Path) -> None:
    before = _factor_table(imported_home)
    # A later import replaces the dates it holds and keeps the others.
    later = imported_home.parent / "later.csv"
    later.write_text(
        ",Mkt-RF,SMB,HML,RF\n20250110,-1.50,-0.40,0.50,0.016\n20250113,0.20,0.1,0.1,0.016\n"
    )
    assert run_cli(imported_home, "import-factors", str(later)).returncode == 0
    after_import = _factor_table(imported_home)
    assert after_import[:5] == before[:5]
    assert after_import[5][1] == pytest.approx(-0.0150)
    assert len(after_import) == 7

    with duckdb.connect(str(imported_home / "warehouse.duckdb")) as con:
        con.execute("delete from raw.daily_factors")
        con.execute("delete from raw.factor_imports")
    result = _rebuild(imported_home)
    assert result.success
    assert _factor_table(imported_home) == after_import

    # A damaged archived file fails the rebuild and leaves the table as it was.
    first = sorted((imported_home / "archive" / "factors").glob("*/*/*.csv"))[0]
    damaged = first.read_bytes().replace(b"0.68", b"0.69")
    assert hashlib.sha256(damaged).hexdigest() != hashlib.sha256(first.read_bytes()).hexdigest()
    first.write_bytes(damaged)
    failed = _rebuild(imported_home)
    assert not failed.success
    assert _factor_table(imported_home) == after_import
