"""The Fama-French daily factor file reader (assets/factors/fama_french.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assets.factors.fama_french import FactorFileError, parse_factor_text, read_factor_file

SAMPLE = Path(__file__).parent / "data" / "ff3_daily_sample.csv"


def test_real_layout_daily_block_in_fractions() -> None:
    parsed = read_factor_file(SAMPLE)
    assert parsed.model == "ff3"
    assert parsed.header_line == 5
    # the daily block only: the annual section and the copyright line are not rows
    assert [r.session_date for r in parsed.rows] == [
        date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6),
        date(2025, 1, 7), date(2025, 1, 8), date(2025, 1, 10),
    ]
    first = parsed.rows[0]
    assert first.mkt_rf == pytest.approx(-0.0026, abs=1e-15)
    assert first.smb == pytest.approx(-0.0011, abs=1e-15)
    assert first.hml == pytest.approx(0.0068, abs=1e-15)
    assert first.rf == pytest.approx(0.00017, abs=1e-15)
    assert first.rmw is None and first.cma is None


def test_five_factor_header_in_any_order() -> None:
    text = "preamble\n\n,Mkt-RF,SMB,HML,RMW,CMA,RF\n20250102,1.0,2.0,3.0,4.0,5.0,0.02\n"
    parsed = parse_factor_text(text, "ff5.csv")
    assert parsed.model == "ff5"
    row = parsed.rows[0]
    assert (row.rmw, row.cma, row.rf) == pytest.approx((0.04, 0.05, 0.0002))


def _error(text: str) -> FactorFileError:
    with pytest.raises(FactorFileError) as caught:
        parse_factor_text(text, "mine.csv")
    return caught.value


def test_malformed_value_names_file_and_line() -> None:
    lines = SAMPLE.read_text().splitlines()
    lines[7] = "20250106,    0.61,   n/a,   -0.86,    0.017"
    err = _error("\n".join(lines))
    assert (err.path, err.line) == ("mine.csv", 8)
    assert str(err).startswith("mine.csv:8: SMB 'n/a' is not a number")
    assert "adrpulse import-factors" in str(err)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("20250103,1,2,3", "4 cells where the header has 5"),
        ("202501,1,2,3,0.01", "monthly file"),
        ("20250231,1,2,3,0.01", "not a calendar date"),
        ("20250102,1,2,3,0.01", "does not come after"),
        ("20250103,-99.99,2,3,0.01", "missing-value code"),
    ],
)
def test_bad_rows_are_refused_with_their_line(row: str, problem: str) -> None:
    err = _error(f",Mkt-RF,SMB,HML,RF\n20250102,1,2,3,0.01\n{row}\n")
    assert err.line == 3
    assert problem in err.problem


def test_no_header_or_unknown_factor_or_no_rows() -> None:
    assert "no header line" in _error("just text\n1,2,3\n").problem
    err = _error("x\n,Mkt-RF,SMB,HML,MOM,RF\n20250102,1,2,3,4,5\n")
    assert (err.line, "unknown factor column(s) MOM" in err.problem) == (2, True)
    assert "RMW" in _error(",Mkt-RF,SMB,HML,RMW,RF\n").problem
    assert "no daily rows" in _error("preamble\n,Mkt-RF,SMB,HML,RF\n\n").problem
