"""Daily bars: fetch (yfinance), normalize, import, restatement, checks. Free of Dagster."""
