"""The advice of a dbt build that ran out of memory (assets/build_errors.py), on run results shaped
as dbt 1.11 writes them: the entries below are copied from a real run whose DuckDB cap was 16MB."""

from __future__ import annotations

from assets.build_errors import (
    memory_limit_bytes,
    out_of_memory_advice,
    out_of_memory_nodes,
    suggested_memory_limit,
)

OOM_MESSAGE = (
    "Runtime Error in model fct_adr_premium (models/marts/fct_adr_premium.sql)\n"
    "  Out of Memory Error: could not allocate block of size 256.0 KiB (15.2 MiB/15.2 MiB used)\n"
    "  \n  Possible solutions:\n  * Reducing the number of threads (SET threads=X)\n"
)
TEST_OOM_MESSAGE = (
    "Runtime Error in test int_performance_returns__column_rules "
    "(models/intermediate/_performance__models.yml)\n"
    "  Out of Memory Error: failed to pin block of size 256.0 KiB (15.1 MiB/15.2 MiB used)\n"
    "  \n  Possible solutions:\n  * Reducing the number of threads (SET threads=X)\n"
)
RUN_RESULTS = {
    "results": [
        {"unique_id": "model.adrpulse.stg_prices__daily_bars", "status": "success",
         "message": "OK", "failures": None},
        {"unique_id": "model.adrpulse.fct_adr_premium", "status": "error",
         "message": OOM_MESSAGE, "failures": None},
        {"unique_id": "test.adrpulse.int_performance_returns__column_rules.3332b0ca41",
         "status": "error", "message": TEST_OOM_MESSAGE,
         "failures": None},
        # a test that found bad rows, and a model that failed for another reason: not memory
        {"unique_id": "test.adrpulse.fct_alerts__column_rules.0a1b2c3d4e",
         "status": "fail", "message": "Got 2 results, configured to fail if != 0",
         "failures": 2},
        {"unique_id": "model.adrpulse.fct_alerts", "status": "error",
         "message": "Runtime Error in model fct_alerts (models/marts/fct_alerts.sql)\n"
                    "  Binder Error: Referenced column \"x\" not found in FROM clause!",
         "failures": None},
        {"unique_id": "model.adrpulse.fct_news_items", "status": "skipped", "message": None,
         "failures": None},
    ]
}


def test_only_the_nodes_out_of_memory_are_named_models_and_tests_alike() -> None:
    assert out_of_memory_nodes(RUN_RESULTS) == [
        "fct_adr_premium", "int_performance_returns__column_rules"]
    assert out_of_memory_nodes({"results": RUN_RESULTS["results"][3:]}) == []
    assert out_of_memory_nodes({}) == []


def test_memory_limits_read_as_duckdb_reads_them() -> None:
    assert memory_limit_bytes("3GB") == 3 * 1000**3
    assert memory_limit_bytes("2.5GiB") == int(2.5 * 1024**3)
    assert memory_limit_bytes(" 16mb ") == 16 * 1000**2
    assert memory_limit_bytes("lots") is None
    assert memory_limit_bytes("") is None


def test_the_suggested_cap_doubles_within_the_machine() -> None:
    gib = 1024**3
    assert suggested_memory_limit("3GB", 23 * gib) == "6GB"
    assert suggested_memory_limit("16MB", 23 * gib) == "1GB"
    # twice 12GB is above 80% of a 16 GiB machine: capped at 13GB
    assert suggested_memory_limit("12GB", 16 * gib) == "13GB"
    # already at 80% of the machine: nothing higher to suggest
    assert suggested_memory_limit("13GB", 16 * gib) is None
    assert suggested_memory_limit("3GB", None) == "6GB"
    assert suggested_memory_limit("lots", 23 * gib) is None


def test_the_advice_names_the_models_the_setting_and_the_next_step() -> None:
    advice = out_of_memory_advice(["fct_performance_summary"], "3GB", 23 * 1024**3 + 1)
    assert "dbt ran out of memory in fct_performance_summary" in advice
    assert "ADRPULSE_DUCKDB_MEMORY_LIMIT=3GB (this machine has 23.0 GiB)" in advice
    assert "set ADRPULSE_DUCKDB_MEMORY_LIMIT=6GB, then run the build again" in advice
    assert "Nothing stored was lost" in advice
    no_room = out_of_memory_advice(["fct_performance_summary"], "13GB", 16 * 1024**3)
    assert "cannot be raised on this machine" in no_room
    assert "set ADRPULSE_DUCKDB_MEMORY_LIMIT=" not in no_room
    # a cap DuckDB accepts but we do not read is not a cap that cannot be raised
    unread = out_of_memory_advice(["fct_performance_summary"], "75%", 16 * 1024**3)
    assert "cannot be raised" not in unread
    assert "set ADRPULSE_DUCKDB_MEMORY_LIMIT to a larger size than now" in unread
