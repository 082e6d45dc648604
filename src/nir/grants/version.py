"""A fingerprint of the grant rules in force: the engine's modules and the grant parameters.

Stored on every payment round beside the Regelmotor's ``RULES_VERSION``, so a round says which rules
and rates computed it (and a recalculation with other rules can be told apart). Comments, docstrings,
layout and the descriptions of parameters do not count (``nir.rules.version``'s definitions).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from nir.rules.version import python_definition, yaml_definition

_GRANTS = Path(__file__).resolve().parent


def files() -> list[Path]:
    return sorted(
        p
        for p in [*(_GRANTS / "engine").rglob("*.py"), *(_GRANTS / "parameters").rglob("*.yaml")]
        if "__pycache__" not in p.parts and p.name != "examples.py"
    )


@lru_cache(maxsize=1)
def grants_version() -> str:
    h = hashlib.sha256()
    for f in files():
        text = f.read_text(encoding="utf-8")
        h.update(f.relative_to(_GRANTS).as_posix().encode())
        h.update((python_definition(text) if f.suffix == ".py" else yaml_definition(text)).encode())
    return h.hexdigest()[:12]
