"""A fingerprint of the rules in force: engine code, parameters and code lists.

Stored on every derived row, so that the register can say which version of the
rules derived a value and ``nir rules reevaluate`` can find what a rule change
affected.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_RULES_DIR = Path(__file__).parent
_CODES_DIR = _RULES_DIR.parent / "codes"


def _fingerprint() -> str:
    h = hashlib.sha256()
    files = sorted(
        [
            *(_RULES_DIR.rglob("*.py")),
            *(_RULES_DIR.rglob("*.yaml")),
            *(_CODES_DIR.rglob("*.yaml")),
            *(_CODES_DIR.rglob("*.py")),
        ]
    )
    for f in files:
        if "__pycache__" in f.parts:
            continue
        h.update(f.relative_to(_RULES_DIR.parent).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


RULES_VERSION = _fingerprint()
