"""The action layer: every write of personal data goes through one of these functions.

In the spirit of Zulip's ``zerver/actions/``: the web views, the API, the management commands and
the Regelmotor's re-evaluation call an action; an action, in one transaction,

1. checks access for whoever acts (``Acting``: a user, an API client or a named system actor) with
   the one access policy (``nir.access.persons.check_person``, ``nir.access.policy``): a refused
   actor writes nothing and gets the same refusal (``AccessRefused``) on every entry point;
2. has the Regelmotor judge the write and stores the rows and the derived status (the register's
   storage, ``nir.register.services``, with ``nir.register.derivation`` judging);
3. records the audit event (``nir.access.audit.record``), naming the persons written.

So a caller cannot write without auditing, nor audit a write that did not happen: an audit failure
rolls the write back, and a refused write leaves no event. Nothing but this package (and the
register's storage beneath it) writes registrations — ``tests/actions/test_only_actions_write.py``
enforces it.

Layers: this package may import ``nir.rules``, ``nir.codes``, ``nir.reference``, ``nir.register``
and ``nir.access``; it is imported by ``nir.api``, ``nir.web`` and the commands. ``nir.register``
and ``nir.access`` never import it.
"""

from __future__ import annotations

import importlib
from typing import Any

# What the package offers, and the module each comes from. Imported on first use (PEP 562): the
# package is an installed app (for its commands), and Django imports an app's package before the
# models are ready.
_EXPORTS = {
    "Acting": "nir.actions.acting",
    "BatchItem": "nir.actions.registrations",
    "ItemResult": "nir.actions.registrations",
    "annul": "nir.actions.registrations",
    "annul_registration": "nir.actions.registrations",
    "correct": "nir.actions.registrations",
    "correct_registration": "nir.actions.registrations",
    "create_person": "nir.actions.registrations",
    "register": "nir.actions.registrations",
    "register_batch": "nir.actions.registrations",
    "ImportResult": "nir.actions.imports",
    "import_person": "nir.actions.imports",
    "move": "nir.actions.moves",
    "reevaluate": "nir.actions.rules",
    "acknowledge_warning": "nir.actions.warnings",
    "AlreadyAcknowledged": "nir.actions.warnings",
    "WarningRefused": "nir.actions.warnings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nir.actions' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
