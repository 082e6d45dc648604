"""What an audit event's ``what`` means, in words (``nir audit person`` and the web's access log).

Most labels are fixed here. A higher layer that records its own kind of ``what`` (``report:ID``
from ``nir.reports``) names it through ``label_kind`` from its app's ``ready``, so this layer
need not import it.
"""

from __future__ import annotations

from collections.abc import Callable

_KIND_LABELS: dict[str, Callable[[str], str]] = {}


def label_kind(kind: str, label: Callable[[str], str]) -> None:
    """``what`` values ``KIND:IDENT`` are labelled ``label(IDENT)``."""
    _KIND_LABELS[kind] = label


WHAT_LABELS = {
    "person:history": "Registreringshistorikken din",
    "register:facts": "Uttrekk av hele registeret",
    "research-extract": "Pseudonymisert forskningsuttrekk",
    "audit-log": "Tilgangsloggen",
    "audit-log:person": "Tilgangsloggen din (innsyn)",
}


def what_label(what: str) -> str:
    if what in WHAT_LABELS:
        return WHAT_LABELS[what]
    kind, _, ident = what.partition(":")
    if kind in _KIND_LABELS:
        return _KIND_LABELS[kind](ident)
    if kind == "statistics":
        return "Statistikk (bare tall, ingen personer)"
    return what
