"""Integration grant (*integreringstilskudd*), kap. 671 post 60 — grants.md A.2.

Who triggers it (:func:`target_group`, A.2.1: the ONE place the target group is decided, for the grants
and later for settlement), from which day (:func:`grant_start`, A.2.2), year 1 by the household's
category with the one-off elderly and kindergarten grants (A.2.3–A.2.4), years 2–5 earned by month with
the moving rule (A.2.5–A.2.6), and what must be registered before anything is computed (A.2.7).

Every number is a parameter (``integration_grant.*`` in ``parameters/integration_grant.yaml``; the
rates ``rates.AR-1`` … in ``rates.yaml``); a rule whose source is a secondary page or our inference is
declared ``verified=False`` and its explanation says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from nir.grants.engine import Context, scheme
from nir.grants.engine.facts import Permit, PersonFacts, Residence, Settlement
from nir.grants.engine.model import Finding, GrantRule, Line, Outcome, Source, kr, rule
from nir.rules.dates import ONE_DAY, add_months, fmt
from nir.rules.parameters import ParameterError, Version

SCHEME = "integration_grant"
MONTHS_PER_YEAR = 12

IMDI = "https://imdi.no/tilskudd/integreringstilskudd/"
CIRCULAR = "https://www.imdi.no/tilskudd/integreringstilskudd/"
CODES = "https://imdi.no/tilskudd/digitalisering-av-tilskuddsordninger"
ROUND_2022 = (
    "https://www.imdi.no/tilskudd/digitalisering-av-tilskuddsordninger/fjerde-terminutbetaling-2022-er-utbetalt/"
)
EM_PAGE = "https://www.imdi.no/tilskudd/tilskudd-enslige-mindrearige/"
BUDGET_2009 = "https://www.statsbudsjettet.no/Statsbudsjettet-2009/Statsbudsjettet-fra-A-til-A/Integreringstilskudd-/"
P2_APP = "https://github.com/Samarbeidsdesken/p02-ukraina"

TARGET_GROUP = Source("Integreringstilskudd, målgruppe og unntak (rundskriv pkt. 1.3)", IMDI, "P")

# --- the rules (declared once; lines and findings name them) ----------------------------------------

R_REFUGEE = rule(
    "integration.target_group.refugee", SCHEME,
    "Målgruppe 1: flyktninger med tillatelse som gir grunnlag for permanent opphold og fornyelse (asyl, "
    "opphold på humanitært grunnlag etter asylsøknad, kollektiv beskyttelse, overføringsflyktning), bosatt "
    "i kommunen etter avtale eller på egen hånd.",
    TARGET_GROUP,
)  # fmt: skip
R_FAMILY = rule(
    "integration.target_group.family", SCHEME,
    "Målgruppe 2: familieinnvandrere til en person i målgruppe 1, enten de kom samtidig eller senere; "
    "referansepersonens status da familietillatelsen ble gitt, avgjør.",
    TARGET_GROUP,
)  # fmt: skip
R_FAMILY_YEARS = rule(
    "integration.family.application_limit", SCHEME,
    "Ikke tilskudd for familieinnvandreren når det har gått mer enn "
    "integration_grant.family_application_max_years_after_reference_settlement år fra referansepersonens "
    "(første) bosetting til søknaden om familieinnvandring.",
    TARGET_GROUP,
)  # fmt: skip
R_FAMILY_NORDIC = rule(
    "integration.family.nordic_reference", SCHEME,
    "Ikke tilskudd når referansepersonen var norsk eller nordisk borger da søknaden om familieinnvandring "
    "ble fremmet eller avgjort.",
    TARGET_GROUP,
)  # fmt: skip
R_FAMILY_OF_FAMILY = rule(
    "integration.family.reference_family_immigrant", SCHEME,
    "Ikke tilskudd når referansepersonen selv kom som familieinnvandrer.",
    TARGET_GROUP,
)  # fmt: skip
R_FAMILY_HUMANITARIAN = rule(
    "integration.family.humanitarian", SCHEME,
    "Familieinnvandrere til en person med opphold på humanitært grunnlag "
    "(integration_grant.humanitarian_reference_bases) gir tilskudd i "
    "integration_grant.max_years.family_of_humanitarian år, ikke integration_grant.max_years.default.",
    TARGET_GROUP,
    Source("grants.md A.2.1: hvilke tillatelsesgrunnlag som er «humanitære»", mark="I"),
    verified=False,
)  # fmt: skip
R_INDEPENDENT = rule(
    "integration.target_group.independent_basis", SCHEME,
    "Målgruppe 3: selvstendig tillatelse (mishandling i samlivsforholdet, sosiale eller kulturelle forhold "
    "som hindrer retur, tvangsekteskap) gitt fra og med integration_grant.independent_basis_from.",
    TARGET_GROUP,
)  # fmt: skip
R_CHILD = rule(
    "integration.target_group.child_born_after_settlement", SCHEME,
    "Målgruppe 4: barn født inntil integration_grant.born_after_mother_settlement_max_months måneder etter "
    "at mor ble bosatt; tilskuddet regnes fra fødselsdatoen.",
    TARGET_GROUP,
    Source("grants.md A.2.2: tilskuddet starter på fødselsdatoen; barnet følger mors antall tilskuddsår", mark="I"),
    verified=False,
)  # fmt: skip
R_BY_AGREEMENT = rule(
    "integration.target_group.by_agreement", SCHEME,
    "Målgruppe 5, bare ved bosetting etter avtale: familier med barn med begrenset, fornybar tillatelse "
    "(utl. § 38 femte ledd), og enslige mindreårige med begrenset tillatelse i påvente av dokumentert "
    "identitet fra første tillatelse gitt fra og med integration_grant.identity_limited_by_agreement_from.",
    TARGET_GROUP,
    Source("Tilskudd for enslige mindreårige (fra 2.2.2017)", EM_PAGE, "P"),
)  # fmt: skip
R_OUTSIDE = rule(
    "integration.target_group.outside", SCHEME,
    "Ikke i målgruppen: arbeidsinnvandrere og deres familie, familieinnvandrere til norske eller nordiske "
    "borgere og til personer med permanent opphold, og EØS-borgere.",
    TARGET_GROUP,
    Source("grants.md A.2.1 «Not eligible», utledet av listen over målgruppene", mark="I"),
    verified=False,
)  # fmt: skip
R_NON_RENEWABLE = rule(
    "integration.non_renewable_permit", SCHEME,
    "En midlertidig tillatelse som ikke kan fornyes og ikke gir grunnlag for permanent opphold, utløser "
    "ikke tilskudd. Får personen senere en tillatelse med slikt grunnlag, regnes tilskuddet fra den senere "
    "tillatelsens iverksettelse.",
    TARGET_GROUP,
    Source("grants.md A.2.1: tilskuddet starter når den senere tillatelsen iverksettes (bekreftes med IMDi)",
           mark="I"),
    verified=False,
)  # fmt: skip
R_PENDING = rule(
    "integration.registered", SCHEME,
    "Tilskuddet beregnes først når personen er bosatt, folkeregistrert med adresse i kommunen og "
    "tillatelsen er iverksatt; til da venter personen (arbeidslisten viser hvorfor).",
    Source("Fjerde terminutbetaling 2022 («beregnes ikke før personen er registrert bosatt i DSF ... og "
           "oppholdsvedtaket er iverksatt»)", ROUND_2022, "P"),
)  # fmt: skip
R_YEARS = rule(
    "integration.year_counting", SCHEME,
    "År 1 er bosettingsåret (kalenderåret tilskuddet starter); år 2–5 er de fire neste kalenderårene "
    "(integration_grant.max_years.default år i alt). Starten er bosettingsdatoen, for senere "
    "familieinnvandrere første folkeregistrerte adresse etter familietillatelsen, for barn født etter "
    "bosetting fødselsdatoen.",
    Source("Rundskriv integreringstilskudd pkt. 1 («bosettingsåret og de neste fire årene»)", CIRCULAR, "P"),
    Source("grants.md A.2.2: startdatoen for familieinnvandrere og barn", mark="I"),
    verified=False,
)  # fmt: skip
R_YEAR1 = rule(
    "integration.year1", SCHEME,
    "År 1 etter kategori ved tilskuddets start: enslig voksen (AR-1 EV, fylt integration_grant.adult_min_age "
    "år og ingen andre i husstanden), voksen i familie (AR-1) eller barn (AR-1 B). Hele beløpet går til "
    "bosettingskommunen i første termin som har personen med.",
    Source("Tilskuddskoder AR-1, AR-1 EV, AR-1 B", CODES, "P"),
    Source("Fjerde terminutbetaling 2022", ROUND_2022, "P"),
    Source("grants.md A.2.3: kategorien utledet av kodenes navn og husstanden", mark="I"),
    verified=False,
)  # fmt: skip
R_YEAR1_UM = rule(
    "integration.year1.unaccompanied_minor", SCHEME,
    "En enslig mindreårig får kategorien integration_grant.year1_category_for_unaccompanied_minor i år 1 "
    "(kodelisten har ingen egen kode).",
    Source("grants.md A.2.3 (åpent spørsmål)", mark="I"),
    verified=False,
)  # fmt: skip
R_ELDERLY = rule(
    "integration.elderly", SCHEME,
    "Eldretilskudd (ELDR), engangs i år 1, for den som har fylt integration_grant.elderly_min_age år ved "
    "bosetting.",
    Source("Statsbudsjettet 2009 («personer over 60 år»)", BUDGET_2009, "P"),
    Source("Samarbeidsdesken p02-ukraina («fylt 60 år ved bosetting», «Kilde: Imdi»)", P2_APP, "P2"),
    verified=False,
)  # fmt: skip
R_KINDERGARTEN = rule(
    "integration.kindergarten", SCHEME,
    "Barnehagetilskudd (BHT), engangs i år 1, for barn som ikke har fylt mer enn "
    "integration_grant.kindergarten_max_age år ved bosetting, også barn født etter mors bosetting.",
    Source("Samarbeidsdesken p02-ukraina («Barn mellom 0 og fem år»)", P2_APP, "P2"),
    Source("grants.md A.2.4: grensen (ikke fylt 6 år)", mark="I"),
    verified=False,
)  # fmt: skip
R_LATER_YEARS = rule(
    "integration.years_2_5", SCHEME,
    "År 2–5 (AR-2 … AR-5): samme årssats for alle, satsen for tilskuddsåret, opptjent med en tolvdel per "
    "måned og utbetalt per termin.",
    Source("Tilskuddskoder AR-2 … AR-5", CODES, "P"),
    Source("grants.md A.2.5: månedlig opptjening", mark="I"),
    verified=False,
)  # fmt: skip
R_MOVING = rule(
    "integration.moving", SCHEME,
    "Ved flytting beholder fraflyttingskommunen flyttemåneden og "
    "integration_grant.months_kept_by_old_municipality måned(er) etter; tilflyttingskommunen får resten "
    "(folkeregistrert flyttedato).",
    Source("Samarbeidsdesken p02-ukraina («Fraflyttingskommunen mottar tilskuddet inneværende og påfølgende "
           "måned», «Kilde: Imdi»)", P2_APP, "P2"),
    verified=False,
)  # fmt: skip
R_EXIT = rule(
    "integration.exit", SCHEME,
    "Ved utvandring eller død gis ikke tilskudd for månedene etter utvandrings- eller dødsmåneden "
    "(integration_grant.months_paid_after_exit_month).",
    Source("grants.md A.2.6", mark="I"),
    verified=False,
)  # fmt: skip
R_RATE = rule(
    "integration.rate_missing", SCHEME,
    "Uten kjent sats for tilskuddstypen og tilskuddsåret venter linjen til satsen er lagt inn; en sats "
    "gjettes aldri.",
    Source("grants.md A.9 og params.py: satsene er daterte parametere", mark="I"),
    verified=False,
)  # fmt: skip

# --- permit bases (the code list permit_basis, regelmotor.md § 3) -------------------------------------

REFUGEE_BASES = {
    "utl_28": "asyl (utl. § 28)",
    "utl_38_protection": "opphold på humanitært grunnlag etter asylsøknad (utl. § 38)",
    "utl_34": "kollektiv beskyttelse (utl. § 34)",
    "utl_35_3": "overføringsflyktning (utl. § 35 tredje ledd)",
}
FAMILY_BASIS = "family_of_protected"
FAMILY_GROUP = 2  # A.2.1 group 2: family immigrants to a person in group 1
INDEPENDENT_BASIS = "utl_53"
FAMILY_WITH_CHILDREN_LIMITED = "utl_38_5"
OUTSIDE_BASES = {
    "work": "arbeidsinnvandring er ikke i målgruppen for integreringstilskudd",
    "family_of_worker": "familieinnvandring til en arbeidsinnvandrer er ikke i målgruppen for integreringstilskudd",
    "family_of_norwegian": "familieinnvandring til en norsk eller nordisk borger er ikke i målgruppen for "
    "integreringstilskudd",
    "eea": "nordiske borgere og EØS-borgere er ikke i målgruppen for integreringstilskudd",
}
NON_RENEWABLE = "non_renewable"
PENDING_IDENTITY = "pending_identity"

YEAR1_CODES = {"single_adult": "AR-1 EV", "adult_in_family": "AR-1", "child": "AR-1 B"}
CATEGORY_NB = {"single_adult": "enslig voksen", "adult_in_family": "voksen i familie", "child": "barn"}


# --- text helpers ----------------------------------------------------------------------------------


def rate_text(rate: Version, grant_type: str, grant_year: int) -> str:
    state = "verifisert" if rate.verified else "ikke verifisert"
    return f"Sats {grant_type} for {grant_year}: {kr(rate.value)} (kilde: {rate.source}; {state})."


def rule_text(decl: GrantRule) -> str:
    return f"Regel {decl.id}" + ("" if decl.verified else " (ikke verifisert regel)")


def months_and_days(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Whole calendar months from ``start`` to ``end`` and the days left over."""
    months = 0
    while add_months(start, months + 1) <= end:
        months += 1
    return months, (end - add_months(start, months)).days


def month_name(day: dt.date) -> str:
    return f"{day.month:02d}.{day.year}"


# --- target group (A.2.1) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetGroup:
    """Whether a person is in the integration grant's target group (grants.md A.2.1) and on what basis.

    ``status`` is ``eligible``, ``not_eligible`` or ``pending`` (a fact the answer needs is not known);
    ``group`` is A.2.1's group 1–5; ``max_years`` the number of grant years (5, or 3 for family of a
    humanitarian-permit holder); ``after_limited``: the qualifying permit came after a non-renewable one
    (the grant starts with the later permit's effectuation)."""

    status: str
    rule: str
    reason: str  # bokmål
    group: int | None = None
    permit: Permit | None = None
    max_years: int = 0
    after_limited: bool = False
    mother: PersonFacts | None = None
    facts_used: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return self.status == "eligible"


def _by_agreement(person: PersonFacts) -> bool | None:
    """Settled by agreement with IMDi (None: no settlement known yet)."""
    if not person.settlements:
        return None
    return any(s.by_agreement for s in person.settlements)


def _permit_basis(ctx: Context, person: PersonFacts, permit: Permit, year: int, depth: int) -> TargetGroup:
    """One permit's answer (A.2.1 groups 1, 2, 3, 5 and the exclusions)."""
    used = (permit.path,)
    basis = permit.basis
    default_years = int(ctx.value("integration_grant.max_years.default", year))
    if permit.limitation == NON_RENEWABLE:
        return TargetGroup(
            "not_eligible", R_NON_RENEWABLE.id,
            f"Tillatelsen ({basis}, vedtatt {fmt(permit.decision_date)}) er midlertidig, kan ikke fornyes og gir "
            "ikke grunnlag for permanent opphold; den utløser ikke integreringstilskudd.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if basis in REFUGEE_BASES and permit.limitation != PENDING_IDENTITY:
        return TargetGroup(
            "eligible", R_REFUGEE.id, f"Målgruppe 1: {REFUGEE_BASES[basis]}.", 1, permit, default_years, facts_used=used
        )
    if basis in REFUGEE_BASES or basis == FAMILY_WITH_CHILDREN_LIMITED:
        return _by_agreement_basis(ctx, person, permit, year, default_years)
    if basis == INDEPENDENT_BASIS:
        since: dt.date = ctx.value("integration_grant.independent_basis_from", year)
        if permit.decision_date >= since:
            return TargetGroup(
                "eligible", R_INDEPENDENT.id,
                f"Målgruppe 3: selvstendig tillatelse (utl. § 53) vedtatt {fmt(permit.decision_date)}, fra og med "
                f"{fmt(since)}.",
                3, permit, default_years, facts_used=used,
            )  # fmt: skip
        return TargetGroup(
            "not_eligible", R_INDEPENDENT.id,
            f"Selvstendig tillatelse (utl. § 53) vedtatt {fmt(permit.decision_date)}, før {fmt(since)}: ikke i "
            "målgruppen.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if basis == FAMILY_BASIS:
        return _family_basis(ctx, person, permit, year, default_years, depth)
    reason = OUTSIDE_BASES.get(basis, f"tillatelsesgrunnlaget «{basis}» er ikke i målgruppen for integreringstilskudd")
    return TargetGroup(
        "not_eligible", R_OUTSIDE.id, reason[0].upper() + reason[1:] + ".", permit=permit, facts_used=used
    )


def _by_agreement_basis(ctx: Context, person: PersonFacts, permit: Permit, year: int, years: int) -> TargetGroup:
    """Group 5: a limited permit that counts only when settled by agreement."""
    used = (permit.path, *(s.path for s in person.settlements))
    identity = permit.limitation == PENDING_IDENTITY
    what = (
        "enslig mindreårig med begrenset tillatelse i påvente av dokumentert identitet"
        if identity
        else "familie med barn med begrenset, fornybar tillatelse (utl. § 38 femte ledd)"
    )
    if identity:
        if not person.unaccompanied_minor:
            return TargetGroup(
                "not_eligible", R_BY_AGREEMENT.id,
                "Begrenset tillatelse i påvente av dokumentert identitet gir bare tilskudd for enslige mindreårige "
                "bosatt etter avtale; personen er ikke registrert som enslig mindreårig.",
                permit=permit, facts_used=used,
            )  # fmt: skip
        since: dt.date = ctx.value("integration_grant.identity_limited_by_agreement_from", year)
        if permit.decision_date < since:
            return TargetGroup(
                "not_eligible", R_BY_AGREEMENT.id,
                f"Begrenset tillatelse i påvente av dokumentert identitet vedtatt {fmt(permit.decision_date)}, før "
                f"{fmt(since)}: ikke i målgruppen.",
                permit=permit, facts_used=used,
            )  # fmt: skip
    agreed = _by_agreement(person)
    if agreed is None:
        return TargetGroup(
            "pending", R_BY_AGREEMENT.id,
            f"Venter: {what} gir tilskudd bare ved bosetting etter avtale, og ingen bosetting er registrert ved "
            "skjæringstidspunktet.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if not agreed:
        return TargetGroup(
            "not_eligible", R_BY_AGREEMENT.id,
            f"Ikke i målgruppen: {what} gir tilskudd bare ved bosetting etter avtale med IMDi, og personen bosatte "
            "seg på egen hånd.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    return TargetGroup(
        "eligible", R_BY_AGREEMENT.id, f"Målgruppe 5: {what}, bosatt etter avtale.", 5, permit, years, facts_used=used
    )


def _family_basis(
    ctx: Context, person: PersonFacts, permit: Permit, year: int, default_years: int, depth: int
) -> TargetGroup:
    """Group 2: family immigration to a person in group 1, with its exclusions."""
    fr = person.family_reunification
    used = (permit.path, "family_reunification")
    if fr is None:
        return TargetGroup(
            "pending", R_FAMILY.id,
            "Venter: opplysningene om familieinnvandringen (referanseperson, søknadsdato, referansepersonens "
            "tillatelse og bosetting) er ikke registrert ved skjæringstidspunktet.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    ref = ctx.population.get(fr.reference_person)
    ref_basis = fr.reference_basis_at_grant
    if ref_basis is None and ref is not None:
        held = [p for p in ref.permits if p.decision_date <= permit.decision_date]
        ref_basis = held[-1].basis if held else None
    if fr.reference_is_family_immigrant or ref_basis == FAMILY_BASIS:
        return TargetGroup(
            "not_eligible", R_FAMILY_OF_FAMILY.id,
            "Ikke i målgruppen: referansepersonen kom selv som familieinnvandrer.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if fr.reference_nordic_citizen:
        return TargetGroup(
            "not_eligible", R_FAMILY_NORDIC.id,
            "Ikke i målgruppen: referansepersonen var norsk eller nordisk borger da søknaden om "
            "familieinnvandring ble fremmet eller avgjort.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if ref_basis is None:
        return TargetGroup(
            "pending", R_FAMILY.id,
            "Venter: referansepersonens tillatelse da familietillatelsen ble gitt, er ikke kjent.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    if ref_basis not in REFUGEE_BASES:
        return TargetGroup(
            "not_eligible", R_FAMILY.id,
            f"Ikke i målgruppen: referansepersonens tillatelse ({ref_basis}) da familietillatelsen ble gitt, er "
            "ikke i målgruppe 1.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    settled = fr.reference_first_settlement_date
    if settled is None and ref is not None and ref.first_settlement is not None:
        settled = ref.first_settlement.date
    if settled is None or fr.application_date is None:
        missing = "søknadsdatoen" if fr.application_date is None else "referansepersonens første bosettingsdato"
        return TargetGroup(
            "pending", R_FAMILY_YEARS.id,
            f"Venter: {missing} er ikke kjent, så femårsgrensen for familieinnvandring kan ikke prøves.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    limit_years = int(ctx.value("integration_grant.family_application_max_years_after_reference_settlement", year))
    months, days = months_and_days(settled, fr.application_date)
    gap = f"{months // MONTHS_PER_YEAR} år {months % MONTHS_PER_YEAR} måneder {days} dager"
    if fr.application_date > add_months(settled, limit_years * MONTHS_PER_YEAR):
        return TargetGroup(
            "not_eligible", R_FAMILY_YEARS.id,
            f"Ikke i målgruppen: søknaden om familieinnvandring ({fmt(fr.application_date)}) kom {gap} etter "
            f"referansepersonens første bosetting {fmt(settled)}; grensen er {limit_years} år.",
            permit=permit, facts_used=used,
        )  # fmt: skip
    humanitarian = ref_basis in ctx.value("integration_grant.humanitarian_reference_bases", year)
    if humanitarian:
        years = int(ctx.value("integration_grant.max_years.family_of_humanitarian", year))
        return TargetGroup(
            "eligible", R_FAMILY_HUMANITARIAN.id,
            f"Målgruppe 2: familieinnvandrer til en person med opphold på humanitært grunnlag ({ref_basis}), søkt "
            f"{gap} etter referansepersonens bosetting (grense {limit_years} år); tilskudd i {years} år, ikke "
            f"{default_years} (regelen for hvilke grunnlag som er humanitære, er ikke verifisert).",
            FAMILY_GROUP, permit, years, facts_used=used,
        )  # fmt: skip
    return TargetGroup(
        "eligible", R_FAMILY.id,
        f"Målgruppe 2: familieinnvandrer til en person i målgruppe 1 ({ref_basis}), søkt {gap} etter "
        f"referansepersonens bosetting {fmt(settled)} (grense {limit_years} år).",
        FAMILY_GROUP, permit, default_years, facts_used=used,
    )  # fmt: skip


def _child_basis(ctx: Context, person: PersonFacts, year: int, depth: int) -> TargetGroup:
    """Group 4: a child born up to N months after the mother's settlement."""
    used = ("mother", "birth_date")
    mother = ctx.population.get(person.mother)
    if mother is None:
        return TargetGroup(
            "pending", R_CHILD.id,
            f"Venter: mors opplysninger ({person.mother}) er ikke kjent ved skjæringstidspunktet.",
            facts_used=used,
        )  # fmt: skip
    mb = target_group(ctx, mother, year, depth + 1)
    if not mb.eligible:
        kind = "pending" if mb.status == "pending" else "not_eligible"
        lead = "Venter: mors tilskuddsgrunnlag er ikke avklart" if kind == "pending" else "Mor er ikke i målgruppen"
        return TargetGroup(kind, R_CHILD.id, f"{lead} ({mb.reason})", facts_used=used)
    settled, why = grant_start(ctx, mother, mb)
    if settled is None or person.birth_date is None:
        missing = "barnets fødselsdato" if person.birth_date is None else f"mors bosetting ({why})"
        return TargetGroup("pending", R_CHILD.id, f"Venter: {missing} er ikke kjent.", facts_used=used)
    limit = int(ctx.value("integration_grant.born_after_mother_settlement_max_months", year))
    if person.birth_date < settled:
        return TargetGroup(
            "not_eligible", R_CHILD.id,
            f"Født {fmt(person.birth_date)}, før mor ble bosatt {fmt(settled)}: barnet er ikke i målgruppe 4 "
            "(barn født etter mors bosetting) og har ingen egen tillatelse i målgruppen.",
            facts_used=used,
        )  # fmt: skip
    months, days = months_and_days(settled, person.birth_date)
    if person.birth_date > add_months(settled, limit):
        return TargetGroup(
            "not_eligible", R_CHILD.id,
            f"Ikke i målgruppen: født {fmt(person.birth_date)}, {months} måneder {days} dager etter at mor ble "
            f"bosatt {fmt(settled)}; grensen er {limit} måneder.",
            facts_used=used,
        )  # fmt: skip
    return TargetGroup(
        "eligible", R_CHILD.id,
        f"Målgruppe 4: født {fmt(person.birth_date)}, {months} måneder {days} dager etter at mor ble bosatt "
        f"{fmt(settled)} (grense {limit} måneder).",
        4, None, mb.max_years, mother=mother, facts_used=used,
    )  # fmt: skip


def target_group(ctx: Context, person: PersonFacts, grant_year: int, depth: int = 0) -> TargetGroup:
    """Whether ``person`` is in the integration grant's target group (grants.md A.2.1), read with the
    parameters in force for ``grant_year``: the ONE place the target group is decided (the settlement
    module's «målgruppe for bosetting med offentlig hjelp», ``000:1675``, is to call this too).

    The permits are read in order and the first that qualifies decides (after a non-renewable one, the
    grant starts with the later permit). A child with a ``mother`` whose permits do not qualify may be in
    group 4. No permit known, or a fact an exclusion needs missing: ``pending``."""
    answers = [_permit_basis(ctx, person, p, grant_year, depth) for p in person.permits]
    for i, answer in enumerate(answers):
        if answer.eligible:
            after = any(a.rule == R_NON_RENEWABLE.id for a in answers[:i])
            return replace(answer, after_limited=after)
    if person.mother and depth < 2:
        child = _child_basis(ctx, person, grant_year, depth)
        if child.eligible or not answers:
            return child
    pending = [a for a in answers if a.status == "pending"]
    if pending:
        return pending[0]
    if answers:
        return answers[-1]
    return TargetGroup(
        "pending", R_PENDING.id,
        "Venter: ingen oppholdstillatelse er registrert ved skjæringstidspunktet.",
    )  # fmt: skip


# --- start date (A.2.2) and the registrations needed (A.2.7) ----------------------------------------


def _folkeregister(person: PersonFacts) -> list[Residence]:
    """The person's ordinary addresses registered in the Folkeregister (a reception centre is not a
    municipality's settled resident, and the municipality's own registration does not count: A.1.1)."""
    return [r for r in person.residences if r.from_folkeregister and r.kind != "reception_centre"]


def address_on(person: PersonFacts, day: dt.date) -> Residence | None:
    """The ordinary Folkeregister address on ``day`` (the latest starting one when several overlap)."""
    found = None
    for r in _folkeregister(person):
        if r.start <= day and (r.end is None or day <= r.end):
            found = r
    return found


def grant_start(ctx: Context, person: PersonFacts, basis: TargetGroup) -> tuple[dt.date | None, str]:
    """``grant_start_date`` (grants.md A.2.2) and, when it is not known, why (bokmål): the settlement date;
    for a later family immigrant the first registered address after the family permit; for a child born
    after the mother's settlement the birth date; after a non-renewable permit, not before the qualifying
    permit's effectuation."""
    if basis.group == 4:
        return person.birth_date, "fødselsdatoen er ikke registrert"
    if basis.group == 2 and basis.permit is not None:
        granted = basis.permit.decision_date
        for r in _folkeregister(person):
            if r.end is None or r.end >= granted:
                return max(r.start, granted), ""
        return None, "personen er ikke registrert med adresse i Folkeregisteret etter familietillatelsen"
    settlement = person.first_settlement
    if settlement is None:
        return None, "ingen bosetting i en kommune er registrert"
    start = settlement.date
    if basis.after_limited and basis.permit is not None:
        start = max(start, basis.permit.effectuation_date or basis.permit.decision_date)
    return start, ""


def _pending(person: PersonFacts, reason: str, grant_year: int, decl: GrantRule = R_PENDING) -> Outcome:
    return Outcome(findings=[Finding(person.id, SCHEME, "pending", decl.id, reason, grant_year)])


def _not_eligible(person: PersonFacts, decl_id: str, reason: str, grant_year: int) -> Outcome:
    return Outcome(findings=[Finding(person.id, SCHEME, "not_eligible", decl_id, reason, grant_year)])


def registration_missing(person: PersonFacts, basis: TargetGroup, start: dt.date | None, why: str) -> str | None:
    """What A.2.7 still needs before anything is computed (bokmål), or None."""
    if basis.group != 4 and (basis.permit is None or basis.permit.effectuation_date is None):
        return (
            "Venter: oppholdstillatelsen er ikke iverksatt (ingen iverksettelsesdato) ved skjæringstidspunktet; "
            "integreringstilskuddet beregnes først når tillatelsen er iverksatt."
        )
    if start is None:
        return f"Venter: {why} ved skjæringstidspunktet; integreringstilskuddet kan ikke beregnes ennå."
    if not any(r.end is None or r.end >= start for r in _folkeregister(person)):
        return (
            "Venter: personen er ikke registrert med adresse i Folkeregisteret ved skjæringstidspunktet; "
            "integreringstilskuddet beregnes først når personen er folkeregistrert i kommunen."
        )
    return None


# --- recipients month by month (A.2.6) ----------------------------------------------------------------


def address_for_month(person: PersonFacts, year: int, month: int, kept: int) -> Residence | None:
    """The registered address that decides who is entitled to ``month``: after a move on day d the old
    municipality keeps month(d) and ``kept`` months after it, so the month goes to the address held on the
    last day of the month ``kept`` + 1 months before it. With no address on that day (the person had none
    yet), the first address taken after it, if taken by the month's end: a person settled on 16 December
    who moves on 20 December leaves January with the settlement municipality."""
    first = dt.date(year, month, 1)
    lookback = add_months(first, -kept) - ONE_DAY
    found = address_on(person, lookback)
    if found is not None:
        return found
    last = add_months(first, 1) - ONE_DAY
    later = [r for r in _folkeregister(person) if lookback < r.start <= last]
    return min(later, key=lambda r: r.start) if later else None


@dataclass(frozen=True)
class Run:
    """Consecutive months of one grant year with one recipient municipality."""

    municipality: str
    months: tuple[int, ...]
    facts_used: tuple[str, ...]

    def period(self, year: int) -> tuple[dt.date, dt.date]:
        start = dt.date(year, self.months[0], 1)
        return start, add_months(dt.date(year, self.months[-1], 1), 1) - ONE_DAY

    def earned(self, year: int) -> tuple[dt.date, ...]:
        return tuple(dt.date(year, m, 1) for m in self.months)


def month_runs(
    person: PersonFacts, year: int, months: Iterable[int], kept: int, fallback: Settlement | None = None
) -> tuple[list[Run], list[int]]:
    """The months grouped into runs of one recipient (the moving rule), and the months with no address."""
    runs: list[Run] = []
    missing: list[int] = []
    for m in months:
        r = address_for_month(person, year, m, kept)
        if r is not None:
            municipality, path = r.municipality, r.path
        elif fallback is not None:
            municipality, path = fallback.municipality, fallback.path
        else:
            municipality, path = "", ""
        if not municipality:
            missing.append(m)
            continue
        last = runs[-1] if runs else None
        if last and last.municipality == municipality and last.months[-1] == m - 1:
            used = last.facts_used if path in last.facts_used else (*last.facts_used, path)
            runs[-1] = Run(municipality, (*last.months, m), used)
        else:
            runs.append(Run(municipality, (m,), (path,)))
    return runs, missing


def exit_day(person: PersonFacts) -> dt.date | None:
    days = [d for d in (person.emigration_date, person.death_date) if d is not None]
    return min(days) if days else None


def months_in_year(person: PersonFacts, year: int, from_month: int, extra: int) -> list[int]:
    """The months of ``year`` from ``from_month`` that are not after the exit month (+ ``extra``)."""
    out = list(range(from_month, MONTHS_PER_YEAR + 1))
    gone = exit_day(person)
    if gone is not None:
        last = add_months(gone.replace(day=1), extra)
        out = [m for m in out if dt.date(year, m, 1) <= last]
    return out


def exit_text(person: PersonFacts) -> str:
    if person.death_date is not None and person.death_date == exit_day(person):
        return f"død {fmt(person.death_date)}"
    return f"utvandret {fmt(person.emigration_date)}"


# --- the scheme --------------------------------------------------------------------------------------


@scheme(SCHEME)
def integration_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """The integration-grant lines ``person`` triggers for ``grant_year`` (grants.md A.2.8), or why not. A year
    no parameter version covers (before the parameters' valid_from) is pending, never a crash of the round."""
    try:
        return _integration_grant(ctx, person, grant_year)
    except ParameterError as e:
        return _pending(
            person, f"Venter: integreringstilskuddets parametere gjelder ikke for {grant_year} ({e}).", grant_year
        )


def _integration_grant(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    basis = target_group(ctx, person, grant_year)
    if basis.status == "pending":
        return _pending(person, basis.reason, grant_year)
    if not basis.eligible:
        return _not_eligible(person, basis.rule, basis.reason, grant_year)
    start, why = grant_start(ctx, person, basis)
    missing = registration_missing(person, basis, start, why)
    if missing is not None or start is None:
        return _pending(person, missing or why, grant_year)
    k = grant_year - start.year + 1
    if k < 1:
        return _not_eligible(
            person, R_YEARS.id, f"Tilskuddet starter {fmt(start)}; {grant_year} er før tilskuddsår 1.", grant_year
        )
    if k > basis.max_years:
        return _not_eligible(
            person, R_YEARS.id,
            f"Tilskuddsperioden er over: tilskuddet startet {fmt(start)}, og {grant_year} ville vært år {k} av "
            f"{basis.max_years}.",
            grant_year,
        )  # fmt: skip
    gone = exit_day(person)
    if gone is not None and gone < (start if k == 1 else dt.date(grant_year, 1, 1)):
        return _not_eligible(
            person, R_EXIT.id, f"Ingen tilskudd for {grant_year}: personen er {exit_text(person)}.", grant_year
        )
    if k == 1:
        return _year_one(ctx, person, basis, start, grant_year)
    return _later_year(ctx, person, basis, start, k, grant_year)


def _year1_category(ctx: Context, person: PersonFacts, basis: TargetGroup, start: dt.date) -> tuple[str, str, str]:
    """(category, why in bokmål, rule id) at ``start`` (grants.md A.2.3)."""
    year = start.year
    adult_age = int(ctx.value("integration_grant.adult_min_age", year))
    age = person.age_on(start)
    settlement = person.first_settlement
    if basis.group == 4:
        return "child", "barn født etter mors bosetting", R_YEAR1.id
    minor = age < adult_age if age is not None else (settlement is not None and settlement.household_role == "child")
    if minor and person.unaccompanied_minor:
        cat = str(ctx.value("integration_grant.year1_category_for_unaccompanied_minor", year))
        return cat, "enslig mindreårig (kategorien er ikke verifisert)", R_YEAR1_UM.id
    if minor:
        return "child", f"{age} år ved tilskuddets start (under {adult_age})", R_YEAR1.id
    others: list[str] = []
    if settlement is not None and settlement.household_id:
        for member in ctx.population.household(settlement.household_id):
            if member.id == person.id:
                continue
            if any(s.household_id == settlement.household_id and s.date <= start for s in member.settlements):
                others.append(member.id)
    if others:
        return "adult_in_family", f"voksen, husstanden har {len(others)} til ({', '.join(others)})", R_YEAR1.id
    if basis.group == 2:
        return "adult_in_family", "voksen familieinnvandrer, kom til referansepersonens familie", R_YEAR1.id
    return "single_adult", "voksen, ingen andre i husstanden ved bosetting", R_YEAR1.id


def _one_off(
    person: PersonFacts, code: str, grant_year: int, recipient: str, rate: Version, decl: GrantRule, start: dt.date,
    why: str, used: tuple[str, ...],
) -> Line:  # fmt: skip
    explanation = (
        f"Integreringstilskudd år 1, {code}: {why}. Tilskuddet starter {fmt(start)} og går i sin helhet til "
        f"kommune {recipient.split(':')[1]}. {rate_text(rate, code, grant_year)} {rule_text(decl)}."
    )
    return Line(
        person.id, code, grant_year, recipient, Decimal(str(rate.value)), decl.id, rate, explanation, 1,
        (start, dt.date(grant_year, 12, 31)), due_from=start, facts_used=used,
    )  # fmt: skip


def _year_one(ctx: Context, person: PersonFacts, basis: TargetGroup, start: dt.date, grant_year: int) -> Outcome:
    out = Outcome()
    settlement = person.first_settlement
    if settlement is not None and basis.group != 4:
        municipality, where = settlement.municipality, settlement.path
    else:
        r = address_on(person, start) or next((x for x in _folkeregister(person) if x.start >= start), None)
        municipality, where = (r.municipality, r.path) if r else ("", "")
    if not municipality:
        return _pending(person, "Venter: ingen folkeregistrert adresse ved tilskuddets start.", grant_year)
    recipient = f"municipality:{municipality}"
    used = tuple(dict.fromkeys((*basis.facts_used, where, "birth_date")))
    category, why, rule_id = _year1_category(ctx, person, basis, start)
    code = YEAR1_CODES[category]
    wanted: list[tuple[str, GrantRule, str]] = [
        (
            code,
            R_YEAR1_UM if rule_id == R_YEAR1_UM.id else R_YEAR1,
            f"{CATEGORY_NB[category]} ({why}); {basis.reason.rstrip('.')}",
        )
    ]
    age = person.age_on(start)
    if age is not None:
        elderly = int(ctx.value("integration_grant.elderly_min_age", grant_year))
        small = int(ctx.value("integration_grant.kindergarten_max_age", grant_year))
        if age >= elderly:
            wanted.append(("ELDR", R_ELDERLY, f"eldretilskudd: {age} år ved bosetting (fylt {elderly})"))
        if age <= small:
            wanted.append(("BHT", R_KINDERGARTEN, f"barnehagetilskudd: {age} år ved bosetting (0–{small} år)"))
    split = bool(ctx.value("integration_grant.year1_split_on_move", grant_year))
    for grant_type, decl, text in wanted:
        rate = ctx.rate(grant_type, grant_year)
        if rate is None:
            out.findings.append(_rate_missing(person, grant_type, grant_year))
            continue
        if split and grant_type in YEAR1_CODES.values():
            out.lines.extend(_split_year_one(ctx, person, grant_type, grant_year, start, rate, text, used))
        else:
            out.lines.append(_one_off(person, grant_type, grant_year, recipient, rate, decl, start, text, used))
    return out


def _split_year_one(
    ctx: Context, person: PersonFacts, code: str, grant_year: int, start: dt.date, rate: Version, why: str,
    used: tuple[str, ...],
) -> list[Line]:  # fmt: skip
    """Year 1 shared on a move when ``integration_grant.year1_split_on_move`` is on (off by default, A.2.3)."""
    kept = int(ctx.value("integration_grant.months_kept_by_old_municipality", grant_year))
    months = list(range(start.month, MONTHS_PER_YEAR + 1))
    runs, _ = month_runs(person, grant_year, months, kept, person.first_settlement)
    total = Decimal(str(rate.value))
    lines = []
    for run in runs:
        amount = total * len(run.months) / len(months)
        explanation = (
            f"Integreringstilskudd år 1, {code}: {why}. Delt ved flytting i bosettingsåret "
            f"(integration_grant.year1_split_on_move, ikke verifisert): {len(run.months)} av {len(months)} måneder "
            f"til kommune {run.municipality} = {kr(amount)}. {rate_text(rate, code, grant_year)} "
            f"{rule_text(R_YEAR1)}; {rule_text(R_MOVING)}."
        )
        lines.append(
            Line(
                person.id, code, grant_year, f"municipality:{run.municipality}", amount, R_YEAR1.id, rate,
                explanation, 1, run.period(grant_year), due_from=start, facts_used=(*used, *run.facts_used),
            )
        )  # fmt: skip
    return lines


def _rate_missing(person: PersonFacts, grant_type: str, grant_year: int) -> Finding:
    return Finding(
        person.id, SCHEME, "pending", R_RATE.id,
        f"Venter: ingen sats for {grant_type} i {grant_year} er lagt inn; linjen beregnes når satsen er kjent "
        "(rates.yaml).",
        grant_year,
    )  # fmt: skip


def _start_facts(person: PersonFacts, basis: TargetGroup) -> tuple[str, ...]:
    """The facts the target group and the start date were read from."""
    start = ("birth_date",) if basis.group == 4 else (person.first_settlement.path,) if person.first_settlement else ()
    return tuple(dict.fromkeys((*basis.facts_used, *start)))


def _later_year(
    ctx: Context, person: PersonFacts, basis: TargetGroup, start: dt.date, k: int, grant_year: int
) -> Outcome:
    """Years 2–5: the annual rate earned by month, each month to the municipality the moving rule gives."""
    code = f"AR-{k}"
    rate = ctx.rate(code, grant_year)
    if rate is None:
        return Outcome(findings=[_rate_missing(person, code, grant_year)])
    kept = int(ctx.value("integration_grant.months_kept_by_old_municipality", grant_year))
    extra = int(ctx.value("integration_grant.months_paid_after_exit_month", grant_year))
    months = months_in_year(person, grant_year, 1, extra)
    runs, missing = month_runs(person, grant_year, months, kept)
    return later_year_lines(
        person, SCHEME, code, grant_year, k, rate, runs, missing, kept, _start_facts(person, basis),
        f"Integreringstilskudd år {k} av {basis.max_years} (tilskuddet startet {fmt(start)})",
        (R_LATER_YEARS, R_MOVING), R_EXIT,
    )  # fmt: skip


def later_year_lines(
    person: PersonFacts, scheme_code: str, code: str, grant_year: int, k: int | None, rate: Version,
    runs: Sequence[Run], missing: Sequence[int], kept: int, used: tuple[str, ...], lead: str,
    decls: tuple[GrantRule, GrantRule], exit_rule: GrantRule,
) -> Outcome:  # fmt: skip
    """Lines of an annual rate earned by month (one per run of months with one recipient), shared with the EM
    grant (A.3), and a pending finding for months with no registered address."""
    out = Outcome()
    annual = Decimal(str(rate.value))
    gone = exit_day(person)
    tail = f" Personen er {exit_text(person)}; {rule_text(exit_rule)}." if gone and gone.year <= grant_year else ""
    moved = len({path for run in runs for path in run.facts_used}) > 1
    for run in runs:
        amount = annual * len(run.months) / MONTHS_PER_YEAR
        first, last = run.period(grant_year)
        move_text = (
            f" Ved flytting beholder fraflyttingskommunen flyttemåneden og {kept} måned(er) etter; "
            f"{rule_text(decls[1])}."
            if moved
            else ""
        )
        explanation = (
            f"{lead}, {code}: {len(run.months)} av {MONTHS_PER_YEAR} måneder "
            f"({month_name(first)}–{month_name(last)}) til kommune {run.municipality}: {kr(annual)} × "
            f"{len(run.months)}/{MONTHS_PER_YEAR} = {kr(amount)}, opptjent med en tolvdel per måned. "
            f"{rate_text(rate, code, grant_year)} {rule_text(decls[0])}.{move_text}{tail}"
        )
        out.lines.append(
            Line(
                person.id, code, grant_year, f"municipality:{run.municipality}", amount, decls[0].id, rate,
                explanation, k, (first, last), earned=run.earned(grant_year),
                facts_used=tuple(dict.fromkeys((*used, *run.facts_used))),
            )
        )  # fmt: skip
    if missing:
        names = ", ".join(month_name(dt.date(grant_year, m, 1)) for m in missing)
        out.findings.append(
            Finding(
                person.id, scheme_code, "pending", R_PENDING.id,
                f"Venter: ingen folkeregistrert adresse for {names}; de månedene av {code} beregnes når adressen "
                "er registrert.",
                grant_year,
            )
        )  # fmt: skip
    return out
