"""Tilskudd: the per-capita grants computed from the register (issue 20, ../shared/domain/grants.md).

``nir.grants.engine`` is the pure grant engine (no Django): register facts as known at a cut-off in,
entitlement lines with their rule, rate and explanation out, and the payment-round arithmetic (what is
due, what was paid, the difference). The rates and the grants' other numbers are dated, sourced
parameters with ``verified`` flags in ``nir/grants/parameters/*.yaml``. The Django side (payment rounds
stored and approved, statements, pages) sits around it and calls it.
"""
