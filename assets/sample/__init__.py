"""The bundled SYNTHETIC sample archive: a deterministic generator of fake prices and feeds.

Nothing here is market data. `python -m assets.sample.generate` rebuilds `archive/` exactly.
"""
