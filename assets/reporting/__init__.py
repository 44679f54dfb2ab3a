"""The ADR Pulse report: one self-contained HTML file with embedded PNG charts.

Pure code, no Dagster: `data` reads the published marts, `charts` draws PNGs with matplotlib's
Agg canvas, `html` renders the page, `write` puts the files in the reports folder. The Dagster
asset (assets/report.py) and `adrpulse report` both call `write.write_report`.
"""
