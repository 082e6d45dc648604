"""Rules under integreringsforskriften (FOR-2020-11-20-2442), one module per section (``if_NN_topic``:
``if_10_19_absence``, ``if_43h_transition``, ``if_72_which_act``).

The per-person orchestrator (``nir.rules.integreringsloven``, ``nir.rules.engine``) and the column
pipeline (``nir.rules.vector``) call them.
"""
