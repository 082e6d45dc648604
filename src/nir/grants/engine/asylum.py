"""Norwegian grant for asylum seekers in reception centres (*asylnorsktilskudd*, kap. 672 post 60):
grants.md A.5.5.

A fixed one-off amount (``ASYLNORSK``, our placeholder code: IMDi's code list is cut off there) per asylum
seeker who enters the target group — living in a reception centre with the duty to take training in
Norwegian and social studies (``asylum_duty_group_entry``, from UDI's reception data in NIR; no NIR
registration by the municipality is needed) — paid to the **host municipality** of the reception stay on
the day of entry, at the earliest in the quarter after entry. Excluded: the procedures of
``norwegian_grant.asylum.excluded_procedures`` (fast track, utl. § 32, refused; earlier 48 hours and
Dublin) and those under the minimum age. A person triggers the grant once; if they move to a reception
centre in another municipality, the amount is split equally between the two host municipalities, and
only once: a third municipality gets nothing.

Not modelled: the exclusion of arrival and transit centres (the facts do not say what kind of centre a
reception stay is in).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from nir.grants.engine import Context, scheme
from nir.grants.engine.facts import PersonFacts, ReceptionStay
from nir.grants.engine.model import Finding, Line, Outcome, Source, kr, rule
from nir.grants.engine.norwegian import fmt, no_rate, quarter_of, quarter_start
from nir.rules.dates import add_months

ASYLUM = "norwegian_grant_asylum"

_P_2021 = Source(
    "IMDi: Tilskot til opplæring i norsk og samfunnskunnskap for asylsøkarar i mottak (19.04.2021)",
    "https://www.imdi.no/tilskudd/tilskudd-2021/tilskot-til-opplaring-i-norsk-og-samfunnskunnskap-for-asylsokarar-i-mottak/",
)
_P_NOW = Source(
    "IMDi: Opplæring i norsk, norsk kultur og norske verdier for asylsøkere",
    "https://www.imdi.no/tilskudd/opplaring-i-norsk-norsk-kultur-og-norske-verdier-for-asylsokere/",
)
_P_STATUS = Source(
    "IMDi: Status utbetalinger (2022): utbetales ved inngang i målgruppen, uten registrering i NIR",
    "http://www.imdi.no/imdinett/status-utbetalinger/",
)

TARGET = rule(
    "asylnorsk_maalgruppe",
    ASYLUM,
    "Asylsøker i mottak med plikt til opplæring i norsk og samfunnskunnskap, over aldersgrensen; ikke "
    "hurtigprosedyre, utl. § 32 eller avslått søknad",
    _P_2021,
    _P_NOW,
    Source("grants.md A.5.5: prosedyrekodene og at eldre unntak (48 timer, Dublin) fortsatt gjelder", "", "I"),
)
ONE_OFF = rule(
    "asylnorsk_engangs_vertskommune",
    ASYLUM,
    "Engangstilskudd til vertskommunen for mottaket ved inngang; utbetales tidligst i kvartalet etter inngang",
    _P_2021,
    _P_STATUS,
)
SPLIT = rule(
    "asylnorsk_deling_en_gang",
    ASYLUM,
    "Flytter personen til mottak i en annen kommune, deles tilskuddet likt mellom de to vertskommunene, og "
    "bare én gang",
    _P_2021,
    Source("grants.md A.5.5: bare sammenhengende mottaksopphold regnes som flytting", "", "I"),
    verified=False,
)


def _stay_at(person: PersonFacts, day: dt.date) -> ReceptionStay | None:
    found = None
    for s in person.reception_stays:
        if s.start <= day and (s.end is None or day <= s.end):
            found = s
    return found


def _moved_to(person: PersonFacts, first: ReceptionStay) -> ReceptionStay | None:
    """The first reception stay in another host municipality, in an unbroken chain of stays from ``first``
    (each starting at the latest the day after the previous one ends)."""
    later = [s for s in person.reception_stays if s.start > first.start]
    prev = first
    for s in later:
        if prev.end is None or s.start > prev.end + dt.timedelta(days=1):
            return None
        if s.host_municipality and s.host_municipality != first.host_municipality:
            return s
        prev = s
    return None


@scheme(ASYLUM)
def asylum(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """The asylum seekers' Norwegian grant (A.5.5) for ``grant_year``: the year of entry only."""
    out = Outcome()

    def no(reason: str, rule_id: str = TARGET.id, kind: str = "not_eligible") -> Outcome:
        out.findings.append(Finding(person.id, ASYLUM, kind, rule_id, reason, grant_year))
        return out

    entry = person.asylum_duty_group_entry
    if entry is None:
        return no("Ikke registrert som asylsøker i mottak med plikt til opplæring (asylum_duty_group_entry).")
    if entry.year != grant_year:
        return no(f"Engangstilskuddet hører til året personen kom inn i målgruppen ({fmt(entry)}).", ONE_OFF.id)
    procedure = person.asylum_procedure
    if not procedure:
        return no("Prosedyren for asylsøknaden er ikke kjent.", kind="pending")
    excluded = ctx.value("norwegian_grant.asylum.excluded_procedures", grant_year)
    if procedure in excluded:
        return no(f"Prosedyren «{procedure}» utløser ikke tilskuddet (unntatt: {', '.join(excluded)}).")
    age = person.age_on(entry)
    if age is None:
        return no("Fødselsdato mangler; alderen ved inngang kan ikke avgjøres.", kind="pending")
    min_age = ctx.value("norwegian_grant.asylum.min_age", grant_year)
    if age < min_age:
        return no(f"{age} år ved inngang {fmt(entry)}: under {min_age} år.")
    stay = _stay_at(person, entry)
    if stay is None or not stay.host_municipality:
        return no(f"Ingen mottaksopphold med vertskommune kjent {fmt(entry)}.", ONE_OFF.id, "pending")
    rate = ctx.rate("ASYLNORSK", grant_year)
    if rate is None:
        out.findings.append(no_rate(person, ASYLUM, "ASYLNORSK", grant_year))
        return out
    after = ctx.value("norwegian_grant.asylum.due_quarters_after_entry", grant_year)
    due = add_months(quarter_start(entry.year, quarter_of(entry)), 3 * after)
    moved = _moved_to(person, stay)
    base = (
        f"Asylnorsktilskudd (ASYLNORSK, kode er plassholder): asylsøker i mottak {stay.centre} fra {fmt(entry)}, "
        f"prosedyre {procedure}; sats {kr(rate.value)} {grant_year}, utbetales tidligst fra {fmt(due)}."
    )
    if moved is None:
        out.lines.append(
            Line(
                person.id, "ASYLNORSK", grant_year, f"municipality:{stay.host_municipality}", Decimal(rate.value),
                ONE_OFF.id, rate, f"{base} Hele beløpet til vertskommunen {stay.host_municipality}.",
                None, None, due, (), (stay.path, "asylum_duty_group_entry", "asylum_procedure"),
            )
        )  # fmt: skip
        return out
    parts = ctx.value("norwegian_grant.asylum.split_on_move", grant_year)
    share = Decimal(rate.value) / parts
    for s in (stay, moved):
        out.lines.append(
            Line(
                person.id, "ASYLNORSK", grant_year, f"municipality:{s.host_municipality}", share, SPLIT.id, rate,
                f"{base} Flyttet {fmt(moved.start)} fra vertskommune {stay.host_municipality} til "
                f"{moved.host_municipality}: delt likt, {kr(share)} hver (deles bare én gang).",
                None, None, due, (), (stay.path, moved.path, "asylum_duty_group_entry", "asylum_procedure"),
            )
        )  # fmt: skip
    return out
