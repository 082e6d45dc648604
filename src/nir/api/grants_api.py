"""``/grants``: the per-capita grants' rates, and one person's grants (issue 20, docs/grants.md).

``GET /grants/rates`` lists every grant type (IMDi's code) with its rate per grant year, the rate's source
and whether it is verified — public like the code lists. ``GET /persons/{duf}/grants`` gives what the person
triggers of each grant, year by year, as the register knows it now: each line with recipient, amount,
period, the rule and rate behind it and the explanation; and, where nothing is triggered, why. It is a read
of the person (audited), in the caller's scope like ``GET /persons/{duf}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from nir.access import audit
from nir.access.persons import AccessRefused, PersonElsewhere, find_person
from nir.api.access import audit_elsewhere, refusal
from nir.api.schemas import PROBLEMS
from nir.grants import person_grants
from nir.grants.engine import params as grant_params
from nir.grants.engine.model import GRANT_TYPES, SCHEMES

router = Router(tags=["grants"])


class RateOut(Schema):
    grant_year: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    value: Decimal
    source: str
    verified: bool
    note: str


class GrantTypeOut(Schema):
    code: str
    name: str
    scheme: str
    scheme_name: str
    budget_post: str
    unit: str
    rates: list[RateOut]


class GrantLineOut(Schema):
    grant_type: str
    grant_year: int
    year_index: int | None
    recipient: str
    amount: Decimal
    period_from: dt.date | None
    period_to: dt.date | None
    rule: str
    explanation: str
    rate: Decimal | None
    rate_source: str | None
    verified: bool


class GrantFindingOut(Schema):
    scheme: str
    kind: str
    rule: str
    reason: str


class GrantYearOut(Schema):
    grant_year: int
    lines: list[GrantLineOut]
    findings: list[GrantFindingOut]


class PersonGrantsOut(Schema):
    duf: str
    years: list[GrantYearOut]


def _rates(code: str) -> list[dict[str, Any]]:
    params = grant_params.default()
    name = grant_params.rate_name(code)
    if name not in params:
        return []
    return [
        {
            "grant_year": v.valid_from.year if v.valid_from else None,
            "valid_from": v.valid_from,
            "valid_to": v.valid_to,
            "value": Decimal(str(v.value)),
            "source": v.source,
            "verified": v.verified,
            "note": v.note,
        }
        for v in sorted(params.parameter(name).versions, key=lambda v: v.valid_from or dt.date.min)
    ]


@router.get("/grants/rates", response={200: list[GrantTypeOut], **PROBLEMS}, summary="Grant types and their rates")
def list_rates(request: HttpRequest):
    """Every grant type with its rate per grant year, the rate's source and whether it is verified; a year
    without a rate has no line here, and the grants it would pay wait («venter») until it is added."""
    return Status(
        200,
        [
            {
                "code": t.code,
                "name": t.name,
                "scheme": t.scheme,
                "scheme_name": SCHEMES[t.scheme][0],
                "budget_post": SCHEMES[t.scheme][1],
                "unit": t.unit,
                "rates": _rates(t.code),
            }
            for t in GRANT_TYPES.values()
        ],
    )


@router.get(
    "/persons/{duf}/grants", response={200: PersonGrantsOut, **PROBLEMS}, summary="One person's grants, year by year"
)
def get_person_grants(request: HttpRequest, duf: str):
    """What the person triggers of each grant for every grant year from their first fact to this year, with
    the rule, rate and explanation of each line, and why nothing is triggered where it is not."""
    try:
        person = find_person(request.auth, duf)
    except AccessRefused as e:
        if isinstance(e, PersonElsewhere):
            audit_elsewhere(request, e, "person:grants:elsewhere")
        raise refusal(e) from None
    years = person_grants.grants_of(person, timezone.now())
    audit.record(
        request=request, actor_user=request.auth, action="read", channel="api", what="person:tilskudd",
        persons=[person.pk],
    )  # fmt: skip
    return Status(
        200,
        {
            "duf": person.duf,
            "years": [
                {
                    "grant_year": y.year,
                    "lines": [
                        {
                            "grant_type": ln.grant_type,
                            "grant_year": ln.grant_year,
                            "year_index": ln.year_index,
                            "recipient": ln.recipient,
                            "amount": ln.amount,
                            "period_from": ln.period[0] if ln.period else None,
                            "period_to": ln.period[1] if ln.period else None,
                            "rule": ln.rule,
                            "explanation": ln.explanation,
                            "rate": Decimal(str(ln.rate.value)) if ln.rate else None,
                            "rate_source": ln.rate.source if ln.rate else None,
                            "verified": ln.verified,
                        }
                        for ln in y.lines
                    ],
                    "findings": [
                        {"scheme": f.scheme, "kind": f.kind, "rule": f.rule, "reason": f.reason} for f in y.findings
                    ],
                }
                for y in years
            ],
        },
    )
