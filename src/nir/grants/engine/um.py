"""EM grant (*særskilt tilskudd ved bosetting av enslige mindreårige*), kap. 671 post 61 — grants.md A.3.

An unaccompanied minor settled by agreement, in the integration grant's target group 1 (or group 5 with a
limited permit pending documented identity), triggers the EM grant from the settlement year up to and
including the year they turn ``um_grant.last_age``: ``EMINB`` up to and including the year they turn
``um_grant.child_band_last_age``, ``EMINU`` after. The annual rate is earned by month and paid per round
to the municipality of the registered address, under the integration grant's moving rule (A.2.6). The
target group is :func:`nir.grants.engine.integration.target_group` — not decided a second time here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from nir.grants.engine import Context, scheme
from nir.grants.engine import integration as it
from nir.grants.engine.facts import PersonFacts
from nir.grants.engine.model import Finding, Outcome, Source, rule
from nir.rules.dates import fmt
from nir.rules.parameters import ParameterError

SCHEME = "um_grant"

CIRCULAR = "https://www.imdi.no/tilskudd/tilskudd-enslige-mindrearige/"
PAGE_2021 = "https://www.imdi.no/tilskudd/tilskudd-2021/tilskudd-for-enslige-mindrearige-flyktninger-med-flere/"
NEWS_2016 = "https://www.imdi.no/arkiv/arkiverte-nyheter/nyheter-2016/endringer-i-refusjonsordningen/"

R_TARGET = rule(
    "um.target_group", SCHEME,
    "Enslige mindreårige bosatt etter avtale mellom IMDi og kommunen, med asyl, opphold på humanitært "
    "grunnlag etter asylsøknad, kollektiv beskyttelse eller som overføringsflyktning, eller med begrenset "
    "tillatelse i påvente av dokumentert identitet fra første tillatelse gitt fra og med "
    "um_grant.identity_limited_by_agreement_from. Tilskuddet utløses først ved bosetting i en kommune.",
    Source("Tilskudd for enslige mindreårige (rundskriv)", CIRCULAR, "P"),
    Source("Tilskudd for enslige mindreårige flyktninger med flere (2021)", PAGE_2021, "P"),
)  # fmt: skip
R_BANDS = rule(
    "um.bands", SCHEME,
    "To satser: EMINB («0–16 år») til og med året personen fyller um_grant.child_band_last_age, EMINU "
    "(«17–20 år») fra året etter, til og med året personen fyller um_grant.last_age; betales i tillegg til "
    "integreringstilskuddet, opptjent per måned og utbetalt per termin til bostedskommunen.",
    Source("Endringer i refusjonsordningen (ny ordning fra 2017)", NEWS_2016, "P"),
    Source("Tilskudd for enslige mindreårige (til og med året personen fyller 20)", CIRCULAR, "P"),
)  # fmt: skip
R_FIRST_YEAR = rule(
    "um.first_year", SCHEME,
    "Bosettingsåret regnes etter um_grant.first_year_proration (standard: fra og med bosettingsmåneden).",
    Source("grants.md A.3 (åpent spørsmål)", mark="I"),
    verified=False,
)  # fmt: skip
R_MOVING = rule(
    "um.moving", SCHEME,
    "Ved flytting beholder fraflyttingskommunen flyttemåneden og um_grant.months_kept_by_old_municipality "
    "måned(er) etter, som for integreringstilskuddet; ingen tilskudd for månedene etter utvandrings- eller "
    "dødsmåneden (um_grant.months_paid_after_exit_month).",
    Source("grants.md A.3: samme flytteregel som A.2.6", mark="I"),
    verified=False,
)  # fmt: skip
R_RATE = rule(
    "um.rate_missing", SCHEME,
    "Uten kjent sats for EMINB/EMINU i tilskuddsåret venter linjen til satsen er lagt inn; en sats gjettes "
    "aldri.",
    Source("grants.md A.9 og params.py: satsene er daterte parametere", mark="I"),
    verified=False,
)  # fmt: skip

PRORATION_FIRST_MONTH = {"full_year": 0, "from_settlement_month": 1, "from_month_after_settlement": 2}


def _finding(person: PersonFacts, kind: str, rule_id: str, reason: str, grant_year: int) -> Outcome:
    return Outcome(findings=[Finding(person.id, SCHEME, kind, rule_id, reason, grant_year)])


@scheme(SCHEME)
def um_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """The EM-grant lines ``person`` triggers for ``grant_year`` (grants.md A.3), or why not."""
    if not person.unaccompanied_minor:
        return _finding(person, "not_eligible", R_TARGET.id, "Ikke registrert som enslig mindreårig.", grant_year)
    try:
        last_age = int(ctx.value("um_grant.last_age", grant_year))
        child_last = int(ctx.value("um_grant.child_band_last_age", grant_year))
        identity_from: dt.date = ctx.value("um_grant.identity_limited_by_agreement_from", grant_year)
        proration = str(ctx.value("um_grant.first_year_proration", grant_year))
        kept = int(ctx.value("um_grant.months_kept_by_old_municipality", grant_year))
        extra = int(ctx.value("um_grant.months_paid_after_exit_month", grant_year))
    except ParameterError:
        return _finding(
            person, "pending", R_BANDS.id,
            f"Venter: EM-tilskuddets parametere (aldersgrenser, satsbånd) gjelder ikke for {grant_year}.",
            grant_year,
        )  # fmt: skip
    try:
        basis = it.target_group(ctx, person, grant_year)
    except ParameterError as e:
        return _finding(
            person,
            "pending",
            R_TARGET.id,
            f"Venter: målgruppens parametere gjelder ikke for {grant_year} ({e}).",
            grant_year,
        )
    if basis.status == "pending":
        return _finding(person, "pending", basis.rule, basis.reason, grant_year)
    if not basis.eligible:
        return _finding(person, "not_eligible", basis.rule, basis.reason, grant_year)
    permit = basis.permit
    identity = basis.group == 5 and permit is not None and permit.limitation == it.PENDING_IDENTITY
    if basis.group != 1 and not identity:
        return _finding(
            person, "not_eligible", R_TARGET.id,
            f"Ikke i målgruppen for EM-tilskuddet: {basis.reason} EM-tilskuddet gjelder flyktninger (målgruppe 1) "
            "og enslige mindreårige med begrenset tillatelse i påvente av dokumentert identitet.",
            grant_year,
        )  # fmt: skip
    if identity and permit is not None and permit.decision_date < identity_from:
        return _finding(
            person, "not_eligible", R_TARGET.id,
            f"Begrenset tillatelse i påvente av dokumentert identitet vedtatt {fmt(permit.decision_date)}, før "
            f"{fmt(identity_from)}: ikke i målgruppen for EM-tilskuddet.",
            grant_year,
        )  # fmt: skip
    settlement = next((s for s in person.settlements if s.by_agreement), None)
    if settlement is None:
        kind = "pending" if not person.settlements else "not_eligible"
        reason = (
            "Venter: ingen bosetting i en kommune er registrert ved skjæringstidspunktet; EM-tilskuddet utløses "
            "først ved bosetting."
            if kind == "pending"
            else "Ikke i målgruppen: EM-tilskuddet gis bare ved bosetting etter avtale mellom IMDi og kommunen."
        )
        return _finding(person, kind, R_TARGET.id, reason, grant_year)
    missing = it.registration_missing(person, basis, settlement.date, "")
    if missing is not None:
        return _finding(
            person, "pending", it.R_PENDING.id, missing.replace("integreringstilskuddet", "tilskuddet"), grant_year
        )
    if person.birth_date is None:
        return _finding(person, "pending", R_BANDS.id, "Venter: fødselsdatoen er ikke registrert.", grant_year)
    born = person.birth_date.year
    if grant_year < settlement.date.year:
        return _finding(
            person, "not_eligible", R_TARGET.id,
            f"Bosatt {fmt(settlement.date)}; EM-tilskuddet utløses først ved bosetting.", grant_year,
        )  # fmt: skip
    if born + last_age < grant_year:
        return _finding(
            person, "not_eligible", R_BANDS.id,
            f"Fylte {last_age} år i {born + last_age}; EM-tilskuddet gis til og med det året personen fyller "
            f"{last_age}.",
            grant_year,
        )  # fmt: skip
    code, band = ("EMINB", f"til og med året personen fyller {child_last} ({born + child_last})")
    if born + child_last < grant_year:
        code, band = "EMINU", f"fra året personen fyller {child_last + 1} til og med året de fyller {last_age}"
    gone = it.exit_day(person)
    if gone is not None and gone < dt.date(grant_year, 1, 1):
        return _finding(
            person, "not_eligible", R_MOVING.id,
            f"Ingen tilskudd for {grant_year}: personen er {it.exit_text(person)}.", grant_year,
        )  # fmt: skip
    rate = ctx.rate(code, grant_year)
    if rate is None:
        return _finding(
            person, "pending", R_RATE.id,
            f"Venter: ingen sats for {code} i {grant_year} er lagt inn; linjen beregnes når satsen er kjent "
            "(rates.yaml).",
            grant_year,
        )  # fmt: skip
    first_month = 1
    first_year_text = ""
    if grant_year == settlement.date.year:
        if proration not in PRORATION_FIRST_MONTH:
            raise ValueError(f"um_grant.first_year_proration: ukjent verdi {proration!r}")
        offset = PRORATION_FIRST_MONTH[proration]
        first_month = 1 if offset == 0 else settlement.date.month + offset - 1
        first_year_text = (
            f" Bosettingsåret ({fmt(settlement.date)}) regnes etter um_grant.first_year_proration = {proration} "
            f"(ikke verifisert); {it.rule_text(R_FIRST_YEAR)}."
        )
        if first_month > it.MONTHS_PER_YEAR:
            return _finding(person, "not_eligible", R_FIRST_YEAR.id, first_year_text.strip(), grant_year)
    months = it.months_in_year(person, grant_year, first_month, extra)
    runs, missing_months = it.month_runs(person, grant_year, months, kept, settlement)
    out = it.later_year_lines(
        person, SCHEME, code, grant_year, None, rate, runs, missing_months, kept,
        tuple(dict.fromkeys((*basis.facts_used, settlement.path, "birth_date"))),
        f"EM-tilskudd, født {born}, sats {band}", (R_BANDS, R_MOVING), R_MOVING,
    )  # fmt: skip
    if first_year_text:
        out.lines = [replace(ln, explanation=ln.explanation + first_year_text) for ln in out.lines]
    return out
