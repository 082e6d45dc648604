"""The mapping grant (*tilskudd til kompetansekartlegging i mottak*), kap. 672 post 61 — grants.md A.6, A.8.

IMDi pays the host municipality (*vertskommune*) of a reception centre a fixed amount per person mapped
there under il. § 6 before settlement, when

* the person's permit puts them in the target group for the introduction programme: a permit basis with
  an il. § 9 letter in the code list (``nir.rules.context.il9_letter``; no list of bases here);
* the person does not have collective protection (il. § 6 A: the code list's group
  ``collective_protection``, or a simplified mapping ``il_6a_simplified``);
* the mapping is done and the permit granted **before** ``mapping_grant.cutoff`` (1 December) of the
  grant year;
* the mapping is registered in IMDi's tool (``registered_in_tool``);
* and the person has not been counted in an earlier year: a person counts once.

The grant year a person counts in is the year of the later of the two dates (mapping, permit), or the next
year when that date is on or after the cut-off (``mapping_grant.counts_next_year_after_cutoff``, [I]). It is
paid automatically in December (``mapping_grant.paid_from``): the line is due from 1 December and falls in
the round that covers December. The rate is ``rates.MAPPING`` for the grant year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from nir.grants.engine import Context, scheme
from nir.grants.engine.facts import CompetenceMapping, Permit, PersonFacts
from nir.grants.engine.model import Finding, Line, Outcome, Source, kr, rule
from nir.rules.context import basis_attrs, il9_letter
from nir.rules.dates import fmt
from nir.rules.parameters import ParameterError

SCHEME = "mapping_grant"
GRANT_TYPE = "MAPPING"
COLLECTIVE_PROTECTION = "collective_protection"  # the permit_basis code list's group (il. § 6 A)

IMDI_2024 = Source(
    "IMDi: Tilskudd til kompetansekartlegging (2024), oppdatert 15.01.2024",
    "https://www.imdi.no/tilskudd/2024/tilskudd-til--kompetansekartlegging/",
    "P",
)
IMDI_2021 = Source(
    "IMDi: Tilskudd til kompetansekartlegging (2021)",
    "https://www.imdi.no/tilskudd/tilskudd-2021/tilskudd-til-kompetansekartlegging/",
    "P",
)
KK01_NOTE = Source("grant-examples.json KK-01, notes (telles personen året etter?)", "", "I")

R_GRANT = rule(
    "mapping_grant",
    SCHEME,
    "Tilskudd per person kartlagt etter il. § 6 i mottak, med tillatelse i målgruppen for "
    "introduksjonsprogram, kartlagt og innvilget før 1. desember og registrert i IMDis verktøy; "
    "utbetales i desember til vertskommunen.",
    IMDI_2024,
    IMDI_2021,
)
R_TARGET_GROUP = rule(
    "mapping_grant_target_group",
    SCHEME,
    "Tillatelsen må gi grunnlag for introduksjonsprogram (il. § 9).",
    IMDI_2024,
)
R_COLLECTIVE = rule(
    "mapping_grant_collective_protection",
    SCHEME,
    "Personer med kollektiv beskyttelse er ikke i målgruppen for tilskuddet (il. § 6 A).",
    IMDI_2024,
)
R_LEGAL_BASIS = rule(
    "mapping_grant_legal_basis",
    SCHEME,
    "Kartleggingen må være gjort etter il. § 6 i mottak før bosetting.",
    IMDI_2024,
)
R_TOOL = rule(
    "mapping_grant_registered_in_tool",
    SCHEME,
    "Kartleggingen må være registrert i IMDis verktøy.",
    IMDI_2024,
)
R_CUTOFF = rule(
    "mapping_grant_cutoff",
    SCHEME,
    "Kartleggingen må være gjennomført og tillatelsen innvilget før 1. desember i tilskuddsåret; "
    "ellers telles personen året etter (antatt, ikke verifisert).",
    IMDI_2024,
    KK01_NOTE,
    verified=False,
)
R_ONCE = rule(
    "mapping_grant_once",
    SCHEME,
    "En person telles bare én gang.",
    IMDI_2024,
)
R_HOST = rule(
    "mapping_grant_host_municipality",
    SCHEME,
    "Tilskuddet går til vertskommunen for mottaket der personen ble kartlagt.",
    IMDI_2024,
)
R_RATE = rule(
    "mapping_grant_rate",
    SCHEME,
    "Sats per kartlagt person for tilskuddsåret (rates.MAPPING).",
    IMDI_2024,
)


@dataclass(frozen=True)
class Counted:
    """When and why a person counts for the mapping grant: the grant year, the mapping and permit used."""

    grant_year: int
    mapping: CompetenceMapping
    permit: Permit
    late: bool  # done or granted on/after the cut-off of its own year: counted the year after


def _month_day(ctx: Context, name: str, year: int) -> dt.date:
    return dt.date.fromisoformat(f"{year}-{ctx.value(name, year)}")


def _target_permit(person: PersonFacts) -> Permit | None:
    """The first permit whose basis has an il. § 9 letter and is not collective protection."""
    for p in person.permits:
        if il9_letter(p.basis) and basis_attrs(p.basis).get("group") != COLLECTIVE_PROTECTION:
            return p
    return None


def counted(ctx: Context, person: PersonFacts, grant_year: int) -> Counted | Finding | None:
    """The year ``person`` counts in, or the finding that says why they do not (judged with the parameters
    of ``grant_year``); None when the person has no mapping at all (the scheme says nothing about them)."""
    if not person.mappings:
        return None

    def no(rule_id: str, reason: str) -> Finding:
        return Finding(person.id, SCHEME, "not_eligible", rule_id, reason, grant_year)

    bases = set(ctx.value("mapping_grant.legal_bases", grant_year))
    if any(basis_attrs(p.basis).get("group") == COLLECTIVE_PROTECTION for p in person.permits) and not _target_permit(
        person
    ):
        return no(R_COLLECTIVE.id, "Kollektiv beskyttelse er ikke i målgruppen for tilskuddet (il. § 6 A).")
    permit = _target_permit(person)
    if permit is None:
        return no(
            R_TARGET_GROUP.id,
            "Ingen tillatelse som gir grunnlag for introduksjonsprogram (il. § 9): personen er ikke i målgruppen.",
        )
    mappings = [m for m in person.mappings if m.legal_basis in bases]
    if not mappings:
        if any(m.legal_basis == "il_6a_simplified" for m in person.mappings):
            return no(R_COLLECTIVE.id, "Forenklet kartlegging etter il. § 6 A utløser ikke tilskuddet.")
        return no(R_LEGAL_BASIS.id, "Kartleggingen er ikke gjort etter il. § 6 i mottak før bosetting.")
    settled = person.first_settlement
    if settled is not None:
        before = [m for m in mappings if m.date < settled.date]
        if not before:
            return no(
                R_LEGAL_BASIS.id,
                f"Kartlagt {fmt(mappings[0].date)}, ikke før bosettingen {fmt(settled.date)}: tilskuddet gjelder "
                "kartlegging i mottak før bosetting (il. § 6).",
            )
        mappings = before
    in_tool = [m for m in mappings if m.registered_in_tool]
    if not in_tool:
        return no(R_TOOL.id, "Kartleggingen er ikke registrert i IMDis verktøy.")
    mapping = in_tool[0]
    done = max(mapping.date, permit.decision_date)
    if done < _month_day(ctx, "mapping_grant.cutoff", done.year):
        return Counted(done.year, mapping, permit, False)
    if ctx.value("mapping_grant.counts_next_year_after_cutoff", done.year):
        return Counted(done.year + 1, mapping, permit, True)
    cutoff = _month_day(ctx, "mapping_grant.cutoff", done.year)
    return no(
        R_CUTOFF.id,
        f"Kartlagt {fmt(mapping.date)} og tillatelse innvilget {fmt(permit.decision_date)}: "
        f"ikke begge før {fmt(cutoff)}.",
    )


def _host(person: PersonFacts, mapping: CompetenceMapping) -> str | None:
    """The host municipality: the mapping's own, else that of the reception stay on the mapping's day."""
    if mapping.host_municipality:
        return mapping.host_municipality
    for s in person.reception_stays:
        if s.start <= mapping.date and (s.end is None or mapping.date <= s.end) and s.host_municipality:
            return s.host_municipality
    return None


@scheme(SCHEME)
def mapping_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """The person's mapping-grant line for ``grant_year``, or why there is none (nothing before the year of
    the person's first mapping; a parameter not in force for the year is pending, never a crash)."""
    if not person.mappings or grant_year < min(m.date.year for m in person.mappings):
        return Outcome()
    try:
        return _mapping_grant(ctx, person, grant_year)
    except ParameterError as e:
        reason = f"Ingen parameter for tilskudd til kompetansekartlegging i {grant_year}: {e}."
        return Outcome(findings=[Finding(person.id, SCHEME, "pending", R_GRANT.id, reason, grant_year)])


def _mapping_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    out = Outcome()
    c = counted(ctx, person, grant_year)
    if c is None:
        return out
    if isinstance(c, Finding):
        out.findings.append(c)
        return out
    if c.grant_year > grant_year:
        if c.late and grant_year == c.grant_year - 1:
            cutoff = _month_day(ctx, "mapping_grant.cutoff", grant_year)
            late = "Tillatelsen ble innvilget" if c.permit.decision_date >= cutoff else "Kartleggingen ble gjennomført"
            day = c.permit.decision_date if c.permit.decision_date >= cutoff else c.mapping.date
            reason = (
                f"{late} {fmt(day)}, ikke før {fmt(cutoff)}: personen telles ikke for {grant_year}, "
                f"men for {c.grant_year} (antatt, ikke verifisert)."
            )
            out.findings.append(Finding(person.id, SCHEME, "not_eligible", R_CUTOFF.id, reason, grant_year))
        return out
    if c.grant_year < grant_year:
        out.findings.append(
            Finding(
                person.id,
                SCHEME,
                "not_eligible",
                R_ONCE.id,
                f"Personen er allerede telt for tilskuddsåret {c.grant_year}; en person telles bare én gang.",
                grant_year,
            )
        )
        return out
    host = _host(person, c.mapping)
    if host is None:
        out.findings.append(
            Finding(
                person.id,
                SCHEME,
                "pending",
                R_HOST.id,
                "Vertskommunen for mottaket der personen ble kartlagt, er ikke kjent.",
                grant_year,
            )
        )
        return out
    rate = ctx.rate(GRANT_TYPE, grant_year)
    if rate is None:
        out.findings.append(
            Finding(
                person.id,
                SCHEME,
                "pending",
                R_RATE.id,
                f"Ingen sats for {GRANT_TYPE} (kompetansekartlegging) i {grant_year}.",
                grant_year,
            )
        )
        return out
    when = f"kartlagt {fmt(c.mapping.date)} og tillatelse innvilget {fmt(c.permit.decision_date)}" + (
        " (etter fristen året før; telles i år, antatt)" if c.late else ""
    )
    out.lines.append(
        Line(
            person=person.id,
            grant_type=GRANT_TYPE,
            grant_year=grant_year,
            recipient=f"municipality:{host}",
            amount=Decimal(str(rate.value)),
            rule=R_GRANT.id if not c.late else R_CUTOFF.id,
            rate=rate,
            explanation=(
                f"Kompetansekartlegging i mottak (il. § 6), {when}, registrert i IMDis verktøy: "
                f"{kr(rate.value)} til vertskommunen {host} for {grant_year}, utbetales i desember."
            ),
            due_from=_month_day(ctx, "mapping_grant.paid_from", grant_year),
            facts_used=(c.mapping.path, c.permit.path),
        )
    )
    return out
