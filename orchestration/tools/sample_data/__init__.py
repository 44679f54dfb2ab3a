"""The bundled SYNTHETIC sample archive: a deterministic generator of fake prices and feeds.

Nothing here is market data. `python -m orchestration.tools.sample_data.generate` rebuilds
`archive/` exactly.
"""
