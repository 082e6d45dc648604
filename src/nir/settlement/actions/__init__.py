"""The settlement's action functions: the one write path of settlement data.

Like ``nir.actions`` for the register: each function, in one transaction, checks access for whoever
acts (``nir.actions.Acting``; the decisions are in ``nir.access.settlement`` and
``nir.access.policy``), stores append-only rows (``nir.settlement.store``) and records the audit
event (``Acting.audit``). A household settled writes the register through ``nir.actions`` (a
``Settlement`` with ``by_agreement = true`` for every member, creating persons the register does
not know), so the Regelmotor derives their rights at once.

Modules: ``planning`` (need, indicators, request rounds), ``municipal`` (decisions, capacity),
``cases`` (cases, household members, mapping), ``assignment`` (proposals, answers, agreements,
settled).
"""
