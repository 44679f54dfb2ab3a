"""The benchmark harness (`adrpulse bench`): a synthetic archive at scale, each pipeline stage
timed in its own child process, against a hand-written DuckDB floor and a pandas baseline.

Pure code, free of Dagster: the CLI command in orchestration/commands/bench.py only parses
arguments and calls `harness.run_bench`.
"""

# The generator seed when none is given (the bench is reproducible run to run).
DEFAULT_SEED = 20250630
