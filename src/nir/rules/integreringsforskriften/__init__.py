"""Rules under integreringsforskriften (FOR-2020-11-20-2442), one module per section (``if_43h_transition``).

The per-person orchestrator of the introduction programme (``nir.rules.integreringsloven``) and the column
pipeline (``nir.rules.vector``) call them.
"""
