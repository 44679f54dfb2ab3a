"""Daily risk factors from a user-supplied file in the Fama-French CSV layout, without Dagster:
parsing (fama_french.py); archiving and loading live in warehouse/factors.py."""
