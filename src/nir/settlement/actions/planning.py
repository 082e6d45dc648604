"""The need and the request (``settlement.md`` §§ 1.1–1.2): the write path.

    need = planning.set_need(acting, year=2026, persons=18900, um_persons=752,
                             decided_on=date(2025, 12, 16), reason="")      # a revision needs a reason
    dataset, created = planning.load_indicators(acting)                     # the public world's copy
    rnd = planning.compute_round(acting, 2026)                              # a draft round, 357 lines
    planning.adjust_request(acting, line, persons=40, um_persons=0, reason="…")
    planning.send_round(acting, rnd)                                        # sent_at, once

Each function, in one transaction: the access check (``may_plan``: IMDi's national settlement staff
and administrators; a named system actor acts for IMDi), the storage (append-only,
``nir.settlement.store``), the audit event. Bad input is refused with ``SettlementRefused(field,
message)`` and nothing is written.

* The need of a year is one chain (``SettlementNeed.key``): a revision supersedes the current version
  with a required reason; every version is kept.
* Indicators are loaded as a new ``IndicatorDataset`` (the file's SHA-256 recorded); the same files
  again give the dataset already loaded.
* A round is computed from the current need, a dataset and the criteria valid on the day
  (``nir.settlement.request``); its lines carry the figures and the breakdown. Before it is sent a
  line may be adjusted by hand: a new version with the reason, the computed figures and the
  breakdown kept. A sent round never changes; a new round (a higher number) supersedes it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from nir.access.policy import AccessDenied, Permission
from nir.access.settlement import may_plan
from nir.actions.acting import Acting
from nir.settlement import indicators, planning_reads, request, store
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import (
    IndicatorDataset,
    MunicipalIndicators,
    MunicipalRequest,
    RequestRound,
    SettlementNeed,
)

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_PERSONS = 1_000_000


def _require_plan(acting: Acting) -> None:
    if not acting.unrestricted and not may_plan(acting.principal):
        raise AccessDenied(Permission.SETTLEMENT_PLAN)


def _year(year: Any) -> int:
    try:
        y = int(year)
    except (TypeError, ValueError):
        raise SettlementRefused("year", "Oppgi et årstall.") from None
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise SettlementRefused("year", f"Året må være mellom {MIN_YEAR} og {MAX_YEAR}.")
    return y


def _count(field: str, value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise SettlementRefused(field, f"{label} må være et heltall.")
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise SettlementRefused(field, f"{label} må være et heltall.") from None
    if n != value and not (isinstance(value, str) and value.strip() == str(n)):
        raise SettlementRefused(field, f"{label} må være et heltall.")
    if not 0 <= n <= MAX_PERSONS:
        raise SettlementRefused(field, f"{label} må være mellom 0 og {MAX_PERSONS:,}.".replace(",", " "))
    return n


def _persons_and_um(persons: Any, um_persons: Any) -> tuple[int, int]:
    p = _count("persons", persons, "Antall personer")
    u = _count("um_persons", um_persons, "Antall enslige mindreårige")
    if u > p:
        raise SettlementRefused("um_persons", "Enslige mindreårige er en del av personene: kan ikke være flere.")
    return p, u


# --- the need ------------------------------------------------------------------------------------


def set_need(
    acting: Acting,
    *,
    year: int,
    persons: int,
    um_persons: int,
    decided_on: dt.date,
    decided_by: str = "Nasjonalt utvalg",
    note: str = "",
    reason: str = "",
    replaces: int | None = None,
    at: dt.datetime | None = None,
) -> SettlementNeed:
    """Set the year's need, or revise it (a new version superseding the current one, ``reason``
    required). ``replaces``: the id of the version the user saw; another version meanwhile is
    ``store.ChangedMeanwhile`` (409)."""
    y = _year(year)
    p, u = _persons_and_um(persons, um_persons)
    if not isinstance(decided_on, dt.date):
        raise SettlementRefused("decided_on", "Oppgi datoen behovet ble fastsatt.")
    decided_by = (decided_by or "").strip()
    if not decided_by:
        raise SettlementRefused("decided_by", "Oppgi hvem som fastsatte behovet.")
    if len(decided_by) > 200:
        raise SettlementRefused("decided_by", "Høyst 200 tegn.")
    reason = (reason or "").strip()
    with transaction.atomic():
        _require_plan(acting)
        current = SettlementNeed.objects.current().filter(year=y).select_for_update().first()
        if replaces is not None and (current is None or current.pk != replaces):
            raise store.ChangedMeanwhile("bosettingsbehovet er endret av noen andre i mellomtiden")
        fields = {
            "persons": p,
            "um_persons": u,
            "decided_on": decided_on,
            "decided_by": decided_by,
            "note": (note or "").strip(),
        }
        if current is None:
            need = store.create(SettlementNeed, acting, at=at, year=y, **fields)
        else:
            if not reason:
                raise SettlementRefused("reason", "Oppgi begrunnelse for endringen av behovet.")
            need = store.supersede(current, acting, reason, at=at, **fields)
        acting.audit(
            what="settlement.need",
            persons=[],
            filters={"year": y, "persons": p, "um_persons": u, "version": need.pk, "revision": current is not None},
        )
    return need


# --- indicators ----------------------------------------------------------------------------------


def load_indicators(
    acting: Acting,
    directory: str | Path | None = None,
    *,
    name: str = "",
    at: dt.datetime | None = None,
) -> tuple[IndicatorDataset, bool]:
    """Load a settlement world's ``municipalities.csv`` (and its data dictionary) from ``directory``
    (default: the public world's copy in the repository). Returns the dataset and whether it was
    created (the same files loaded before: the existing dataset, nothing written). A bad file:
    ``indicators.IndicatorFileError`` (file, line, column), nothing written."""
    folder = Path(directory) if directory is not None else indicators.PUBLIC_WORLD
    public = folder.resolve() == indicators.PUBLIC_WORLD
    _require_plan(acting)
    parsed = indicators.read_indicators(folder)
    with transaction.atomic():
        _require_plan(acting)
        existing = IndicatorDataset.objects.filter(file_sha256=parsed.sha256).order_by("pk").first()
        if existing is not None:
            return existing, False
        dataset = store.create(
            IndicatorDataset,
            acting,
            at=at,
            name=(
                name
                or (
                    "Kommuneindikatorer (offentlig syntetisk verden)"
                    if public
                    else f"Kommuneindikatorer ({folder.name})"
                )
            )[:200],
            synthetic=parsed.synthetic,
            source=(
                "Offentlig syntetisk bosettingsverden (nir/settlement/data)"
                if public
                else ("Syntetisk bosettingsverden: " if parsed.synthetic else "") + str(folder)[-250:]
            ),
            file_sha256=parsed.sha256,
            columns=parsed.columns,
        )
        MunicipalIndicators.objects.bulk_create(
            [
                MunicipalIndicators(
                    dataset=dataset,
                    municipality=row.municipality,
                    **{
                        **row.values,
                        "economic_region": row.values.get("economic_region") or "",
                        "ba_region": row.values.get("ba_region") or "",
                        "population": int(row.values.get("population") or 0),
                    },
                    extra=row.extra,
                )
                for row in parsed.rows
            ]
        )
        acting.audit(
            what="settlement.indicators",
            persons=[],
            filters={
                "dataset": dataset.pk,
                "sha256": parsed.sha256,
                "synthetic": parsed.synthetic,
                "municipalities": len(parsed.rows),
            },
        )
    return dataset, True


# --- request rounds ------------------------------------------------------------------------------


def compute_round(
    acting: Acting,
    year: int,
    *,
    dataset: IndicatorDataset | None = None,
    on: dt.date | None = None,
    note: str = "",
    criteria: request.Criteria | None = None,
    at: dt.datetime | None = None,
) -> RequestRound:
    """Compute a new draft round for ``year`` from its current need, ``dataset`` (default: the newest
    loaded) and the criteria valid on ``on`` (default: today); one ``MunicipalRequest`` per
    municipality with its breakdown."""
    y = _year(year)
    with transaction.atomic():
        _require_plan(acting)
        need = planning_reads.current_need(y)
        if need is None:
            raise SettlementRefused("year", f"Bosettingsbehovet for {y} er ikke satt.")
        dataset = dataset or planning_reads.latest_dataset()
        if dataset is None:
            raise SettlementRefused("dataset", "Ingen kommuneindikatorer er lastet (nir settlement indicators load).")
        try:
            chosen = criteria or request.criteria_for(on or timezone.localdate())
            result = request.distribute(need.persons, need.um_persons, planning_reads.dataset_records(dataset), chosen)
        except request.RequestError as e:
            raise SettlementRefused("criteria", str(e)) from None
        # one round at a time per year: the need's row is locked, then the number is the year's highest + 1
        list(SettlementNeed.objects.select_for_update().filter(pk=need.pk).values_list("pk", flat=True))
        number = (RequestRound.objects.filter(year=y).aggregate(n=Max("number"))["n"] or 0) + 1
        book = {"recorded_at": at or timezone.now(), **acting.actor.row_fields()}
        rnd = store.create(
            RequestRound,
            acting,
            at=book["recorded_at"],
            year=y,
            number=number,
            need=need,
            dataset=dataset,
            parameters_version=chosen.version,
            parameters_sha256=chosen.sha256,
            note=(note or "").strip(),
        )
        MunicipalRequest.objects.bulk_create(
            [
                MunicipalRequest(
                    **book,
                    key=uuid.uuid4(),
                    round=rnd,
                    municipality=line.municipality,
                    computed_persons=line.persons,
                    computed_um=line.um_persons,
                    persons=line.persons,
                    um_persons=line.um_persons,
                    breakdown=line.breakdown,
                )
                for line in result.lines
            ]
        )
        acting.audit(
            what="settlement.request_round",
            persons=[],
            filters={
                "year": y,
                "round": number,
                "need": need.pk,
                "dataset": dataset.pk,
                "parameters_version": chosen.version,
                "parameters_sha256": chosen.sha256,
                "persons": need.persons,
                "um_persons": need.um_persons,
            },
        )
    return rnd


def _line(line: MunicipalRequest | int) -> MunicipalRequest:
    pk = line.pk if isinstance(line, MunicipalRequest) else line
    row = MunicipalRequest.objects.select_related("round").select_for_update().filter(pk=pk).first()
    if row is None:
        raise SettlementRefused("line", "Ukjent anmodningslinje.")
    return row


def adjust_request(
    acting: Acting,
    line: MunicipalRequest | int,
    *,
    persons: int,
    um_persons: int,
    reason: str,
    at: dt.datetime | None = None,
) -> MunicipalRequest:
    """Adjust one municipality's figure in a draft round by hand: a new version of the line with the
    reason; the computed figures and the breakdown stay. A sent round: refused."""
    p, u = _persons_and_um(persons, um_persons)
    reason = (reason or "").strip()
    if not reason:
        raise SettlementRefused("reason", "Oppgi begrunnelse for justeringen.")
    with transaction.atomic():
        _require_plan(acting)
        row = _line(line)
        rnd = RequestRound.objects.select_for_update().get(pk=row.round_id)
        if rnd.sent_at is not None:
            raise SettlementRefused("round", "Runden er sendt og kan ikke endres. Beregn en ny runde.")
        if row.superseded_at is not None:
            raise store.ChangedMeanwhile("anmodningen er endret av noen andre i mellomtiden")
        if (p, u) == (row.persons, row.um_persons):
            raise SettlementRefused("persons", "Tallene er de samme som før.")
        new = store.supersede(row, acting, reason, at=at, persons=p, um_persons=u)
        acting.audit(
            what="settlement.request_adjust",
            persons=[],
            filters={
                "year": rnd.year,
                "round": rnd.number,
                "municipality": row.municipality,
                "persons": p,
                "um_persons": u,
                "computed_persons": row.computed_persons,
                "computed_um": row.computed_um,
            },
        )
    return new


def send_round(acting: Acting, request_round: RequestRound | int, *, at: dt.datetime | None = None) -> RequestRound:
    """Send a draft round to the municipalities: ``sent_at`` is set once, and the round never changes
    after. Refused: a round already sent, one older than a round already sent, one computed from a
    need that has been revised since (compute a new round)."""
    pk = request_round.pk if isinstance(request_round, RequestRound) else request_round
    when = at or timezone.now()
    with transaction.atomic():
        _require_plan(acting)
        rnd = RequestRound.objects.select_for_update().filter(pk=pk).first()
        if rnd is None:
            raise SettlementRefused("round", "Ukjent anmodningsrunde.")
        if rnd.sent_at is not None:
            raise SettlementRefused("round", f"Runde {rnd.number} er allerede sendt.")
        later = RequestRound.objects.filter(year=rnd.year, number__gt=rnd.number, sent_at__isnull=False).first()
        if later is not None:
            raise SettlementRefused("round", f"Runde {later.number} for {rnd.year} er allerede sendt og gjelder.")
        need = planning_reads.current_need(rnd.year)
        if need is None or need.pk != rnd.need_id:
            raise SettlementRefused(
                "round", "Bosettingsbehovet er endret siden runden ble beregnet. Beregn en ny runde."
            )
        user = acting.principal if getattr(acting.principal, "is_authenticated", False) else None
        if getattr(acting.principal, "is_client", False):
            user = None
        # the one change a round gets: its sending, once (the condition makes a second one a no-op)
        done = RequestRound.objects.filter(pk=rnd.pk, sent_at__isnull=True).update(sent_at=when, sent_by_user=user)
        if done != 1:
            raise store.ChangedMeanwhile("runden er sendt av noen andre i mellomtiden")
        rnd.sent_at, rnd.sent_by_user = when, user
        lines = planning_reads.round_lines(rnd)
        acting.audit(
            what="settlement.request_send",
            persons=[],
            filters={
                "year": rnd.year,
                "round": rnd.number,
                "municipalities": sum(1 for x in lines if x.persons > 0),
                "persons": sum(x.persons for x in lines),
                "um_persons": sum(x.um_persons for x in lines),
            },
        )
    return rnd
