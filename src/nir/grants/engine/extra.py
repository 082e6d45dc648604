"""The extra grant (*ekstratilskudd*) for settling persons with a disability or behavioural problems,
kap. 671 post 60 — grants.md A.4, A.8.

The grant is **applied for**: the municipality applies in IMDi Tilskudd, and IMDi's caseworker decides the
amount (the medical assessment stays theirs). The register does three things [I]:

* **eligibility** (:func:`eligibility`): the person is in the integration grant's target group
  (``integration.target_group``, A.2.1's one definition: a child born up to six months after the mother's
  settlement is included), not a family immigrant, and **settled by agreement**;
* **deadlines** (:data:`ATTRIBUTES` ``["extra_grant"]``): the first application for grant year 1 or 2 is due
  ``extra_grant.first_application_months`` (14) after the settlement date, each later one
  ``extra_grant.later_application_months`` (2) after the grant year has passed; "N months after" keeps the
  day of the month, or takes the month's last day (``nir.rules.dates.add_months``); and the grant-2
  horizon: ``start_year + 4``, for an unaccompanied minor ``max(start_year + 4, birth_year + 20)``;
* **lines** for the granted amounts in ``extra_grant_cases[]``: grant 1 (``FHT1``) once, in year 1 or 2;
  grant 2 (``FHT2``) per grant year up to the horizon, and for year 1 or 2 either grant 1 or grant 2. A
  granted amount is capped by the year's rate (``rates.FHT1``, ``rates.FHT2``: the maximum) and is due from
  its decision day, so it falls in the round whose period holds the decision (IMDi's round pages: extra
  grants decided in the round's period are included). A later decision for the same type and grant year
  replaces the earlier one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nir.grants.engine import ATTRIBUTES, Context, integration, scheme
from nir.grants.engine.facts import ExtraGrantCase, Permit, PersonFacts, Settlement
from nir.grants.engine.model import Finding, Line, Outcome, Source, kr, rule
from nir.rules.dates import add_months, fmt
from nir.rules.parameters import ParameterError

SCHEME = "extra_grant"
GRANT_1, GRANT_2 = "FHT1", "FHT2"

IMDI_2024 = Source(
    "IMDi: Tilskudd ved bosetting av personer med nedsatt funksjonsevne og/eller atferdsvansker, 04.03.2024",
    "https://www.imdi.no/tilskudd/tilskudd-bosetting-personer-nedsatt-funksjonsevne-atferdsvansker/",
    "P",
)
IMDI_CIRCULAR = Source(
    "IMDi: Tilskudd funksjonshemminger og atferdsvansker (rundskriv)",
    "https://www.imdi.no/tilskudd/tilskudd-funksjonshemminger-atferdsvansker/",
    "P",
)
JD_2017 = Source(
    "JD: Tilskuddsordning for bosetting av personer med nedsatt funksjonsevne og/eller atferdsvansker 2017",
    "https://www.regjeringen.no/no/dep/jd/tilskudd/tilskudd-fra-jd-i-2017/tilskuddsordning-for-bosetting-av-"
    "personer-med-nedsatt-funksjonsevne-ogeller-atferdsvansker-2017/id2526582/",
    "P",
)
DAY_ARITHMETIC = Source(
    "grant-examples.json EX-01: «N måneder etter» beholder dagen i måneden, ellers månedens siste dag", "", "I"
)
LOCAL_TARGET_GROUP = Source(
    "grants.md A.2.1: målgruppen for integreringstilskudd, her forenklet til tillatelse med bokstav i il. § 9 "
    "(unntakene for familieinnvandrere er ikke kontrollert)",
    "",
    "I",
)
ROUND_PAGES = Source("IMDi: fjerde terminutbetaling 2022 (ekstratilskudd vedtatt 30.09–20.12 er med)", "", "P")

R_TARGET_GROUP = rule(
    "extra_grant_target_group",
    SCHEME,
    "Personen må være i målgruppen for integreringstilskudd (flyktning eller familie etter il. § 9, eller barn "
    "født inntil 6 måneder etter morens bosetting). Forenklet kontroll inntil målgrupperegelen er felles.",
    IMDI_2024,
    LOCAL_TARGET_GROUP,
)
R_BY_AGREEMENT = rule(
    "extra_grant_by_agreement",
    SCHEME,
    "Ekstratilskudd forutsetter bosetting etter avtale mellom IMDi og kommunen.",
    IMDI_2024,
    IMDI_CIRCULAR,
)
R_FIRST_DEADLINE = rule(
    "extra_grant_first_deadline",
    SCHEME,
    "Første søknad for tilskuddsår 1 eller 2 må sendes innen 14 måneder etter bosettingsdatoen.",
    IMDI_2024,
    DAY_ARITHMETIC,
)
R_LATER_DEADLINE = rule(
    "extra_grant_later_deadline",
    SCHEME,
    "Senere søknader må sendes innen 2 måneder etter at tilskuddsåret er omme.",
    IMDI_2024,
    DAY_ARITHMETIC,
)
R_HORIZON = rule(
    "extra_grant_grant_2_horizon",
    SCHEME,
    "Tilskudd 2 gis i høyst 5 år (bosettingsåret og de neste fire); for enslige mindreårige til og med året "
    "de fyller 20, og aldri i færre enn 5 år.",
    IMDI_CIRCULAR,
    IMDI_2024,
)
R_GRANT_1 = rule(
    "extra_grant_grant_1",
    SCHEME,
    "Tilskudd 1 er et engangstilskudd i bosettingsår 1 eller 2; for år 1 eller 2 søker kommunen enten tilskudd 1 "
    "eller tilskudd 2. Innvilget beløp, høyst satsen for året.",
    IMDI_2024,
    ROUND_PAGES,
)
R_GRANT_2 = rule(
    "extra_grant_grant_2",
    SCHEME,
    "Tilskudd 2 er årlig: innvilget beløp for tilskuddsåret, høyst satsen (maksimumsbeløpet) for året.",
    IMDI_2024,
    ROUND_PAGES,
)
R_DECISION = rule(
    "extra_grant_decision",
    SCHEME,
    "Ekstratilskudd er søknadsbasert: bare innvilgede søknader gir utbetaling, i terminen som dekker vedtaksdagen.",
    IMDI_2024,
    ROUND_PAGES,
)
R_RECIPIENT = rule(
    "extra_grant_recipient",
    SCHEME,
    "Tilskuddet går til kommunen personen er folkeregistrert i ved utgangen av tilskuddsåret (siste kjente "
    "adresse i året), ellers bosettingskommunen (antatt, ikke verifisert).",
    Source("grants.md A.4: kommunen som søker", "", "I"),
)
R_RATE = rule(
    "extra_grant_rate",
    SCHEME,
    "Satsen for tilskudd 1 og høyeste beløp for tilskudd 2 for tilskuddsåret (rates.FHT1, rates.FHT2).",
    IMDI_2024,
)


@dataclass(frozen=True)
class Eligibility:
    """Whether the person can get the extra grant, why, and the dates its deadlines count from."""

    eligible: bool
    reason: str  # bokmål
    rule: str
    settlement: Settlement | None = None
    permit: Permit | None = None
    start: dt.date | None = None  # the settlement date (a child born after settlement: the birth date)
    last_grant_2_year: int | None = None
    horizon_reason: str = ""


def _param(ctx: Context, name: str, year: int) -> Any:
    return ctx.value(f"extra_grant.{name}", year)


def _horizon(ctx: Context, person: PersonFacts, start: dt.date) -> tuple[int, str]:
    years = int(_param(ctx, "grant_2_years", start.year))
    last = start.year + years - 1
    if person.unaccompanied_minor and person.birth_date is not None:
        age = int(_param(ctx, "unaccompanied_minor_last_age", start.year))
        em_last = person.birth_date.year + age
        if em_last > last:
            return em_last, (
                f"Enslig mindreårig: tilskudd 2 til og med året personen fyller {age} ({em_last}), "
                f"som er senere enn {years}. år ({last})."
            )
        return last, (
            f"Enslig mindreårig: tilskudd 2 i minst {years} år, til og med {last} ({years}. år), som ikke er "
            f"tidligere enn året personen fyller {age} ({em_last})."
        )
    return last, f"Tilskudd 2 kan gis til og med {last} ({years}. år, bosettingsåret {start.year} er år 1)."


def eligibility(ctx: Context, person: PersonFacts) -> Eligibility:
    """The person's eligibility for the extra grant (grants.md A.4 «Who»): in the integration grant's target
    group (``integration.target_group``, the one definition of A.2.1: refugees, a child born up to six
    months after the mother's settlement …), not a family immigrant (they count only when settled under a
    special agreement, which the register does not hold: not eligible, unverified), and settled by agreement
    (a child born after settlement: the mother's settlement)."""
    settlement = person.first_settlement
    mother = ctx.population.get(person.mother)
    if settlement is None and mother is not None and person.birth_date is not None:
        settlement = mother.first_settlement
    if settlement is None:
        return Eligibility(False, "Ingen bosetting er registrert.", R_BY_AGREEMENT.id)
    if settlement.kind != "by_agreement" and not settlement.by_agreement:
        return Eligibility(False, "Ekstratilskudd krever bosetting etter avtale.", R_BY_AGREEMENT.id, settlement)
    start = settlement.date if person.first_settlement is not None or person.birth_date is None else person.birth_date
    group = integration.target_group(ctx, person, start.year)
    if not group.eligible:
        return Eligibility(False, group.reason, group.rule, settlement)
    if group.group == integration.FAMILY_GROUP:
        return Eligibility(
            False,
            "Familieinnvandrere gir ekstratilskudd bare når de er bosatt etter en særskilt avtale, som registeret "
            "ikke har (ikke verifisert).",
            R_TARGET_GROUP.id,
            settlement,
        )
    last, why = _horizon(ctx, person, start)
    born = f"Født {fmt(start)}, " if start != settlement.date else ""
    return Eligibility(
        True,
        f"{born}bosatt etter avtale {fmt(settlement.date)} i kommune {settlement.municipality}, i målgruppen for "
        f"integreringstilskudd ({group.reason}). {why}",
        R_TARGET_GROUP.id,
        settlement,
        group.permit,
        start,
        last,
        why,
    )


def first_deadline(ctx: Context, start: dt.date) -> dt.date:
    """The first application's deadline (grant year 1 or 2): N months after the settlement date."""
    return add_months(start, int(_param(ctx, "first_application_months", start.year)))


def later_deadline(ctx: Context, grant_year: int) -> dt.date:
    """A later application's deadline: N months after the grant year has passed (31 December + N months)."""
    return add_months(dt.date(grant_year, 12, 31), int(_param(ctx, "later_application_months", grant_year)))


def attributes(ctx: Context, person: PersonFacts) -> dict[str, Any]:
    """The person's extra-grant attributes for the municipality's work list: ``eligible``, ``reason``,
    ``first_application_deadline_year_1_or_2``, ``application_deadline_grant_year_{k}_{YEAR}`` for each later
    grant year k of the horizon (k = 2 only once a case for year 1 exists: otherwise year 2 may be the first
    application, due by the first deadline), ``last_grant_2_year`` and ``settlement_date``. ``eligible`` is
    None when a parameter is not in force for the person's settlement year."""
    try:
        return _attributes(ctx, person)
    except ParameterError as e:
        return {"eligible": None, "reason": f"Ingen parameter for ekstratilskudd: {e}.", "rule": R_DECISION.id}


def _attributes(ctx: Context, person: PersonFacts) -> dict[str, Any]:
    e = eligibility(ctx, person)
    out: dict[str, Any] = {"eligible": e.eligible, "reason": e.reason, "rule": e.rule}
    if not e.eligible or e.start is None or e.last_grant_2_year is None:
        return out
    start_year = e.start.year
    out["settlement_date"] = e.start
    out["first_application_deadline_year_1_or_2"] = first_deadline(ctx, e.start)
    out["last_grant_2_year"] = e.last_grant_2_year
    year_1_applied = any(c.grant_year == start_year for c in person.extra_grant_cases)
    for year in range(start_year + 1, e.last_grant_2_year + 1):
        k = year - start_year + 1
        if k == 2 and not year_1_applied:
            continue
        out[f"application_deadline_grant_year_{k}_{year}"] = later_deadline(ctx, year)
    return out


ATTRIBUTES[SCHEME] = attributes


def _recipient(person: PersonFacts, settlement: Settlement, grant_year: int) -> str:
    end = dt.date(grant_year, 12, 31)
    found = person.residence_on(end)
    if found is None:
        in_year = [
            r
            for r in person.residences
            if r.from_folkeregister and r.start <= end and (r.end is None or r.end >= dt.date(grant_year, 1, 1))
        ]
        found = in_year[-1] if in_year else None
    return f"municipality:{found.municipality if found else settlement.municipality}"


def _decisions(cases: list[ExtraGrantCase]) -> dict[str, ExtraGrantCase]:
    """The decision in force per grant type: the latest decided case (a later decision replaces one before)."""
    out: dict[str, ExtraGrantCase] = {}
    for c in cases:
        if c.decided_at is None or c.amount_granted is None:
            continue
        old = out.get(c.type)
        if old is None or (old.decided_at is not None and old.decided_at <= c.decided_at):
            out[c.type] = c
    return out


@scheme(SCHEME)
def extra_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """The lines of the person's granted extra-grant cases for ``grant_year``, and why a case pays nothing (a
    parameter not in force for the year is pending, never a crash)."""
    try:
        return _extra_grant(ctx, person, grant_year)
    except ParameterError as e:
        reason = f"Ingen parameter for ekstratilskudd i {grant_year}: {e}."
        return Outcome(findings=[Finding(person.id, SCHEME, "pending", R_DECISION.id, reason, grant_year)])


def _extra_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    out = Outcome()
    cases = [c for c in person.extra_grant_cases if c.grant_year == grant_year]
    if not cases:
        return out

    def finding(kind: str, rule_id: str, reason: str) -> None:
        out.findings.append(Finding(person.id, SCHEME, kind, rule_id, reason, grant_year))

    e = eligibility(ctx, person)
    if not e.eligible or e.start is None or e.settlement is None or e.last_grant_2_year is None:
        finding("not_eligible", e.rule, f"Søknad om ekstratilskudd for {grant_year}: {e.reason}")
        return out
    for c in cases:
        if c.type not in (GRANT_1, GRANT_2):
            finding("not_eligible", R_DECISION.id, f"Ukjent type ekstratilskudd {c.type!r} ({c.path}).")
        elif c.decided_at is None or c.amount_granted is None:
            finding("pending", R_DECISION.id, f"Søknaden om {c.type} for {grant_year} er ikke avgjort ({c.path}).")
    k = grant_year - e.start.year + 1
    decided = _decisions([c for c in cases if c.type in (GRANT_1, GRANT_2)])
    grant_1_years = int(_param(ctx, "grant_1_years", e.start.year))
    for grant_type in (GRANT_1, GRANT_2):
        case = decided.get(grant_type)
        if case is None or case.amount_granted is None or case.decided_at is None:
            continue
        if case.amount_granted <= 0:
            finding("not_eligible", R_DECISION.id, f"Søknaden om {grant_type} for {grant_year} er avslått.")
            continue
        if grant_type == GRANT_1:
            if not 1 <= k <= grant_1_years:
                finding(
                    "not_eligible",
                    R_GRANT_1.id,
                    f"Tilskudd 1 gis bare i bosettingsår 1 eller 2; {grant_year} er år {k}.",
                )
                continue
            earlier = [
                x
                for x in person.extra_grant_cases
                if x.type == GRANT_1 and x.grant_year < grant_year and x.amount_granted and x.decided_at
            ]
            if earlier:
                finding(
                    "not_eligible",
                    R_GRANT_1.id,
                    f"Tilskudd 1 er allerede innvilget for {earlier[0].grant_year}; det gis bare én gang.",
                )
                continue
        else:
            if not 1 <= k <= e.last_grant_2_year - e.start.year + 1:
                finding(
                    "not_eligible",
                    R_HORIZON.id,
                    f"Tilskudd 2 for {grant_year} er utenfor perioden (år {k}). {e.horizon_reason}",
                )
                continue
            if k <= grant_1_years and GRANT_1 in decided and (decided[GRANT_1].amount_granted or 0) > 0:
                finding(
                    "not_eligible",
                    R_GRANT_1.id,
                    f"For år {k} gis enten tilskudd 1 eller tilskudd 2; tilskudd 1 er innvilget for {grant_year}.",
                )
                continue
        rate = ctx.rate(grant_type, grant_year)
        if rate is None:
            finding("pending", R_RATE.id, f"Ingen sats for {grant_type} (ekstratilskudd) i {grant_year}.")
            continue
        cap = Decimal(str(rate.value))
        amount = min(case.amount_granted, cap)
        capped = (
            f" Innvilget {kr(case.amount_granted)} er over høyeste beløp {kr(cap)} for {grant_year}; {kr(cap)} regnes."
            if case.amount_granted > cap
            else ""
        )
        name = "tilskudd 1 (engangstilskudd)" if grant_type == GRANT_1 else "tilskudd 2 (årlig)"
        out.lines.append(
            Line(
                person=person.id,
                grant_type=grant_type,
                grant_year=grant_year,
                recipient=_recipient(person, e.settlement, grant_year),
                amount=amount,
                rule=R_GRANT_1.id if grant_type == GRANT_1 else R_GRANT_2.id,
                rate=rate,
                explanation=(
                    f"Ekstratilskudd, {name}, for tilskuddsår {grant_year} (år {k} etter bosetting "
                    f"{fmt(e.start)}): innvilget {fmt(case.decided_at)}, {kr(amount)}.{capped}"
                ),
                year_index=k,
                due_from=case.decided_at,
                facts_used=(case.path, e.settlement.path),
            )
        )
    return out
