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

from nir.actions.acting import Acting
from nir.actions.imports import ImportResult, import_person
from nir.actions.registrations import (
    BatchItem,
    ItemResult,
    annul,
    correct,
    create_person,
    register,
    register_batch,
)
from nir.actions.rules import reevaluate

__all__ = [
    "Acting", "BatchItem", "ImportResult", "ItemResult", "annul", "correct", "create_person", "import_person", "reevaluate",
    "register", "register_batch",
]
