"""What a payment round reads from the register: the facts, as known at its cut-off, of the persons who can
trigger anything, in bulk (grants.md A.1 «for each person with any grant fact known at cutoff_known_at»).

A register of 1,000,000 persons holds about 100,000 in their grant years, so a round does not read
everyone. ``candidates`` selects person ids with set queries (one per registration table, no query per
person):

* every person with a registered date (of a permit, a settlement, a residence, a decision, a mapping …:
  each date column of each registration table) on or after 1 January of the grant year minus
  ``round_reads.years_back`` — the longest a scheme pays from such a date (the integration grant's five
  grant years);
* every settled person born on or after 1 January of the grant year minus ``round_reads.max_age``
  (the grant for unaccompanied minors runs until the year they turn 20);
* every person with a registration recorded after the cut-off of the last approved round (``since``): a
  late registration or a correction of someone whose grant years are over still settles what was paid.

A person in none of these has nothing new: what their lines are due equals what earlier rounds paid.

``facts`` then reads the candidates' rows as known at the cut-off (``nir.register.history.rows_for``, a
chunk of persons per query and table) into the interchange ``facts`` the engine reads
(``nir.register.interchange.facts_to_line``, each item with its ``registered_at``), keyed by DUF number,
and adds anyone those facts refer to (a mother, a family-reunification reference person).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q

from nir.grants.engine import params as grant_params
from nir.register import models as m
from nir.register.history import rows_for
from nir.register.interchange import facts_to_line

CHUNK = 2000


def _date_columns(model: type[m.Registration]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    ]


def candidates(
    grant_year: int,
    known_at: dt.datetime,
    since: dt.datetime | None = None,
    params: grant_params.ParameterSet | None = None,
) -> set[int]:
    """The ids of the persons a round of ``grant_year`` computes (see the module text)."""
    ps = params or grant_params.default()
    start = dt.date(grant_year - int(grant_params.value(ps, "round_reads.years_back", grant_year)), 1, 1)
    born = dt.date(grant_year - int(grant_params.value(ps, "round_reads.max_age", grant_year)), 1, 1)
    ids: set[int] = set()
    for model in m.REGISTRATION_MODELS:
        if model is m.PersonDetails:
            continue
        columns = _date_columns(model)
        if not columns:
            continue
        recent = Q()
        for c in columns:
            recent |= Q(**{f"{c}__gte": start})
        ids.update(model.objects.known_at(known_at).filter(recent).values_list("person_id", flat=True).distinct())
    settled = m.Settlement.objects.known_at(known_at).values("person_id")
    ids.update(
        m.PersonDetails.objects.known_at(known_at)
        .filter(birth_date__gte=born, person_id__in=settled)
        .values_list("person_id", flat=True)
        .distinct()
    )
    if since is not None and since < known_at:
        for model in m.REGISTRATION_MODELS:
            ids.update(
                model.objects.filter(recorded_at__gt=since, recorded_at__lte=known_at)
                .values_list("person_id", flat=True)
                .distinct()
            )
    return ids


@dataclass
class Facts:
    """The facts of a round's persons: ``by_duf`` (DUF → interchange ``facts``) and ``ids`` (DUF → person id)."""

    by_duf: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _read(out: Facts, person_ids: Iterable[int], known_at: dt.datetime, chunk: int) -> None:
    ids = sorted(set(person_ids))
    for part in _chunks(ids, chunk):
        persons = m.Person.objects.filter(pk__in=part, recorded_at__lte=known_at).order_by("pk")
        rows = rows_for(part, known_at)
        for p in persons:
            line = facts_to_line(p, rows.get(p.pk, []), with_registered_at=True, typed=True)
            out.by_duf[p.duf] = line["facts"]
            out.ids[p.duf] = p.pk


def _referred(facts: dict[str, Any]) -> set[str]:
    """DUF numbers the engine looks up besides the person: the mother, the family-reunification reference."""
    out = set()
    if isinstance(facts.get("mother"), str):
        out.add(facts["mother"])
    fr = facts.get("family_reunification")
    if isinstance(fr, dict) and isinstance(fr.get("reference_person"), str):
        out.add(fr["reference_person"])
    return out


def facts(person_ids: Iterable[int], known_at: dt.datetime, *, chunk: int = CHUNK) -> Facts:
    """The facts as known at ``known_at`` of ``person_ids`` and of anyone they refer to."""
    out = Facts()
    _read(out, person_ids, known_at, chunk)
    missing = {d for f in out.by_duf.values() for d in _referred(f)} - set(out.by_duf)
    if missing:
        more = m.Person.objects.filter(duf__in=sorted(missing), recorded_at__lte=known_at).values_list("pk", flat=True)
        _read(out, more, known_at, chunk)
    return out
