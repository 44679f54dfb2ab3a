"""Tools that ship with ADR Pulse but are not part of the pipeline: the benchmark harness
(`adrpulse bench`) and the generator of the bundled synthetic sample. They import the pipeline's
code (assets/, warehouse/); nothing in the pipeline imports them."""
