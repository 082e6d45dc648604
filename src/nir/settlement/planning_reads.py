"""Reads of the need and the request (``settlement.md`` §§ 1.1–1.2), as known now or at a moment.

The pages, the API and the other parts of Bosetting read the need and the requests through these
(the writes are ``nir.settlement.actions.planning``). Which lines a principal may see is decided by
``nir.access.settlement`` (a municipality: its own line of a sent round; IMDi: everything); these
functions take the plain values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nir.settlement.models import IndicatorDataset, MunicipalIndicators, MunicipalRequest, RequestRound, SettlementNeed


def current_need(year: int, known_at: dt.datetime | None = None) -> SettlementNeed | None:
    """The year's need as known now (or at ``known_at``)."""
    return SettlementNeed.objects.as_known(known_at).filter(year=year).order_by("-recorded_at", "-pk").first()


def need_versions(year: int) -> list[SettlementNeed]:
    """Every version of the year's need, newest first (with the reason of each revision)."""
    return list(
        SettlementNeed.objects.filter(year=year)
        .select_related("registered_by_user", "registered_by_client")
        .order_by("-recorded_at", "-pk")
    )


def need_years() -> list[int]:
    return sorted(set(SettlementNeed.objects.values_list("year", flat=True)), reverse=True)


def latest_dataset() -> IndicatorDataset | None:
    return IndicatorDataset.objects.order_by("-recorded_at", "-pk").first()


def dataset_records(dataset: IndicatorDataset) -> list[dict[str, Any]]:
    """The dataset's rows as the mappings ``nir.settlement.request.distribute`` takes (plus ``name``
    and ``county`` from the file, for display)."""
    out = []
    for row in MunicipalIndicators.objects.filter(dataset=dataset).order_by("municipality"):
        record = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        record["name"] = (row.extra or {}).get("name", "")
        record["county"] = (row.extra or {}).get("county_number") or row.municipality[:2]
        out.append(record)
    return out


def rounds(year: int) -> list[RequestRound]:
    """The year's request rounds, newest first."""
    return list(
        RequestRound.objects.filter(year=year)
        .select_related("need", "dataset", "registered_by_user", "sent_by_user")
        .order_by("-number")
    )


def round_of(year: int, number: int) -> RequestRound | None:
    return RequestRound.objects.select_related("need", "dataset").filter(year=year, number=number).first()


def latest_sent_round(year: int, known_at: dt.datetime | None = None) -> RequestRound | None:
    """The request in force for the year: the newest sent round (a later one supersedes it)."""
    qs = RequestRound.objects.filter(year=year, sent_at__isnull=False)
    if known_at is not None:
        qs = qs.filter(sent_at__lte=known_at)
    return qs.select_related("need", "dataset").order_by("-number").first()


def round_lines(request_round: RequestRound, municipality: str | None = None) -> list[MunicipalRequest]:
    """The round's current lines (a manual adjustment has superseded the computed line), by municipality."""
    qs = MunicipalRequest.objects.current().filter(round=request_round)
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    return list(qs.order_by("municipality"))


def line_history(request_round: RequestRound, municipality: str) -> list[MunicipalRequest]:
    """Every version of one municipality's line in a round (computed, then each adjustment), oldest first."""
    return list(
        MunicipalRequest.objects.filter(round=request_round, municipality=municipality)
        .select_related("registered_by_user")
        .order_by("recorded_at", "pk")
    )


def sent_request(year: int, municipality: str, known_at: dt.datetime | None = None) -> MunicipalRequest | None:
    """What the municipality has been asked for the year: its line of the latest sent round."""
    sent = latest_sent_round(year, known_at)
    if sent is None:
        return None
    qs = MunicipalRequest.objects.filter(round=sent, municipality=municipality)
    qs = qs.known_at(known_at) if known_at is not None else qs.current()
    return qs.order_by("-recorded_at").first()
