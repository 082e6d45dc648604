"""Norwegian grants (*norsktilskudd*, kap. 672 post 60): grants.md A.5.1, A.5.2, A.5.3 and A.5.4.

* ``norwegian_grant_adult`` (A.5.1): the person grant ``P-AR{1,2,3}-{H,L}`` for three years from the year
  the person enters the target group — right and duty to Norwegian and social studies (il. § 27, the
  Regelmotor's ``norwegian.category`` and its start date, never recomputed here), aged 18–67 on entry,
  a permit of ``norwegian_grant.adult_permits``, and a Norwegian participation decision registered in NIR
  and known at the cut-off. The year's rate (high or low by citizenship) is spread evenly over the rounds
  from the round of entry (year 1) or from the first round (years 2–3), and split between recipients by
  the months of the grant year lived with each: the county for months in full-time upper-secondary
  education, the host municipality for months in a reception centre, else the Folkeregister address.
* ``norwegian_grant_collective`` (A.5.2): the § 37 d grant ``P37D-AR1`` for one year from entry (right but
  no duty, utl. § 34), split by months lived in each municipality, at the entry year's rate
  (``norwegian_grant.p37d_rate_year``); after the year, extended training ``UN43G`` (A.5.3, to the end of
  2025) has neither rule nor rate: it is reported as pending.
* the base grant (A.5.4), registered in ``RECIPIENT_GRANTS["norwegian_grant_adult"]``: ``Grunntilskudd-L``
  for 1–3 persons in the basis, ``Grunntilskudd-H`` for 4–150, nothing otherwise (bands are parameters).

Which day the Regelmotor is read on: the ends of the grant year's quarters, latest first, with the facts
as known at the cut-off — so a round's answer for a year does not change with its cut-off date unless
the facts do, and a person who leaves the group during the year (turns 67) still counts for it [I].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import lcm
from typing import Any

from nir.grants.engine import RECIPIENT_GRANTS, Context, scheme
from nir.grants.engine.facts import PersonFacts
from nir.grants.engine.model import Finding, Line, Outcome, Source, kr, rule
from nir.rules import InvalidFacts
from nir.rules.dates import add_months, period_end
from nir.rules.parameters import Version

ADULT = "norwegian_grant_adult"
COLLECTIVE = "norwegian_grant_collective"

_P_2024 = Source(
    "IMDi: Tilskot til opplæring i norsk og samfunnskunnskap for vaksne innvandrarar (23.04.2024)",
    "https://www.imdi.no/tilskudd/2024/tilskot-til-opplaring-i-norsk-og-samfunnskunnskap-for-vaksne-innvandrarar/",
)
_P_STATUS = Source(
    "IMDi: Status utbetalinger (24.11.2022): kommunen må registrere vedtak om norskopplæring i NIR",
    "http://www.imdi.no/imdinett/status-utbetalinger/",
)
_P_ROUNDS = Source(
    "IMDi: 1. terminutbetaling for tilskudd (11.04.2024): årssatsen fordeles på inntil fire terminer",
    "https://www.imdi.no/om-imdi/aktuelt-na/1.-terminutbetaling-for-tilskudd/",
)
_P_37D = Source(
    "IMDi: Tilskot til opplæring i norsk for vaksne personar med kollektiv beskyttelse (12.09.2022)",
    "https://www.imdi.no/tilskudd/tilskot-til-opplaring-i-norsk-for-vaksne-personar-med-kollektiv-beskyttelse/",
)
_P_KS_2023 = Source(
    "KS om statsbudsjettet 2023: grunntilskudd 217 000 (1–3 personer) og 643 900 (4–150 personer)",
    "https://www.ks.no/fagomrader/okonomi/statsbudsjettet-2023/kan-bli-vanskelig-a-bosette-flyktninger/",
)


def _i(text: str) -> Source:
    return Source(text, "", "I")


CATEGORY = rule(
    "norsk_person_rett_og_plikt",
    ADULT,
    "Persontilskudd: rett og plikt til opplæring i norsk og samfunnskunnskap (il. § 27) etter Regelmotoren, "
    "18–67 år ved inngang og en tillatelse i listen",
    _P_2024,
    Source("grants.md A.5.1: Regelmotorens norsk-kategori og startdato", "", "I"),
)
FAMILY = rule(
    "norsk_person_familie_fem_aar",
    ADULT,
    "Familiemedlemmer gir persontilskudd bare når referansepersonen hadde bodd i en kommune under fem år "
    "da familiesøknaden ble fremmet",
    _P_2024,
)
NIR_DECISION = rule(
    "norsk_vedtak_registrert_i_nir",
    ADULT,
    "Ingen utbetaling før vedtak om norskopplæring er registrert i NIR og kjent ved skjæringstidspunktet; "
    "tidligere andeler etterbetales i neste termin",
    _P_STATUS,
)
ADULT_YEARS = rule(
    "norsk_person_tre_aar",
    ADULT,
    "Persontilskudd i tre år; år 1 er kalenderåret personen kommer inn i målgruppen",
    _P_2024,
    _i("grants.md A.5.1: år 1 = inngangsåret (Regelmotorens startdato)"),
)
ADULT_SPREAD = rule(
    "norsk_person_terminer",
    ADULT,
    "Årssatsen fordeles likt på terminene fra inngangsterminen (år 1) eller fra 1. termin (år 2–3)",
    _P_ROUNDS,
    _i("grants.md A.5.1: jevn fordeling fra inngangsterminen"),
)
ADULT_BAND = rule(
    "norsk_person_hoy_lav_sats",
    ADULT,
    "Høy eller lav sats etter statsborgerskap (landbakgrunn): lav for Europa, Nord-Amerika, Australia og "
    "New Zealand (ikke verifisert)",
    Source("grants.md A.5.1: kriteriet er en erindring", "", "R"),
    verified=False,
)
RECIPIENT = rule(
    "norsk_mottaker_per_maaned",
    ADULT,
    "Mottaker per måned: fylket for måneder i videregående opplæring på fulltid, vertskommunen for måneder i "
    "mottak, ellers kommunen med folkeregistrert adresse; beløpet deles etter måneder ved flytting",
    Source("IMDi: norsktilskudd (mottaker)", "https://www.imdi.no/tilskudd/norsktilskudd/"),
    _P_37D,
    _i("grants.md A.5.1: enheten er måneder; måned uten adresse går til neste (ellers forrige) kjente kommune"),
)
P37D = rule(
    "norsk_37d_ett_aar",
    COLLECTIVE,
    "Persontilskudd § 37 d: kollektiv beskyttelse (utl. § 34), rett til norskopplæring, 18–67 år, høyst ett år "
    "fra inngang, fordelt på kommunene etter måneder bodd der",
    _P_37D,
    Source("001:665-667 (personer som kom inn i målgruppen i fjor, utløser tilskudd i år)", "", "S"),
)
P37D_RATE_YEAR = rule(
    "norsk_37d_satsaar",
    COLLECTIVE,
    "Året som går over to kalenderår: inngangsårets sats (norwegian_grant.p37d_rate_year, ikke verifisert)",
    _i("grants.md A.5.2, åpent spørsmål A.11 nr. 8"),
)
UN43G = rule(
    "norsk_43g_utvidet",
    COLLECTIVE,
    "Utvidet norskopplæring (if. § 43 g, UN43G) etter det ene året, til og med 2025: regel og sats er ikke funnet",
    Source("002:1027 (fram til utgangen av 2025 kunne kommunene tilby utvidet opplæring)", "", "S"),
    _i("grants.md A.5.3: valid_to 2025-12-31"),
    verified=False,
)
BASE = rule(
    "norsk_grunntilskudd",
    ADULT,
    "Grunntilskudd til kommuner med 1–150 personer i beregningsgrunnlaget: lav sats for 1–3, høy for 4–150",
    _P_2024,
    _P_37D,
    _P_KS_2023,
    _i("grants.md A.5.4: «lav» = 1–3 og «høy» = 4–150; telleregelen er åpen"),
)
RATE = rule(
    "norsk_sats",
    ADULT,
    "Satsen for tilskuddstypen og tilskuddsåret (rates.yaml); uten kjent sats venter linjen",
    _i("grants.md A.9"),
)

DAY = dt.timedelta(days=1)


# --- shared helpers (also used by asylum) ---------------------------------------------------------


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * quarter - 2, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month.replace(day=1), 1) - DAY


def who(recipient: str) -> str:
    """``municipality:5001`` → «kommune 5001», ``county:46`` → «fylke 46»."""
    kind, _, number = recipient.partition(":")
    return f"{ {'municipality': 'kommune', 'county': 'fylke'}.get(kind, kind) } {number}"


def fmt(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _find(ctx: Context, name: str, year: int) -> Version | None:
    return ctx.params.find(name, dt.date(year, 1, 1))


def no_rate(person: PersonFacts, scheme_code: str, grant_type: str, year: int) -> Finding:
    return Finding(
        person.id, scheme_code, "pending", RATE.id, f"Ingen sats for {grant_type} i {year} (rates.yaml).", year
    )


@dataclass(frozen=True)
class Month:
    """One month of a grant period: its first day, the recipient it counts for and the facts behind it."""

    start: dt.date  # first day of the month
    first: dt.date  # first day of the month inside the period
    last: dt.date  # last day of the month inside the period
    recipient: str | None
    path: str | None


def place_on(person: PersonFacts, day: dt.date) -> tuple[str, str] | None:
    """Who receives the Norwegian grant for ``day``: the county during full-time upper-secondary education,
    the host municipality during a reception stay, else the municipality of the Folkeregister address."""
    for e in person.upper_secondary:
        if e.full_time and e.county and e.start <= day and (e.end is None or day <= e.end):
            return f"county:{e.county}", e.path
    for s in person.reception_stays:
        if s.host_municipality and s.start <= day and (s.end is None or day <= s.end):
            return f"municipality:{s.host_municipality}", s.path
    r = person.residence_on(day)
    if r is not None and r.municipality:
        return f"municipality:{r.municipality}", r.path
    return None


def months(person: PersonFacts, start: dt.date, end: dt.date, anchored: bool = False) -> list[Month]:
    """The months from ``start`` to ``end`` — calendar months, or (``anchored``) months counted from
    ``start``'s day (15 March–14 April …) — each with the recipient of most of its days (on a tie, the one
    at the month's end); a month with no known place takes the next known recipient, else the previous."""
    out: list[Month] = []
    spans = [
        *((e.start, e.end) for e in person.upper_secondary),
        *((x.start, x.end) for x in person.reception_stays),
        *((r.start, r.end) for r in person.residences),
    ]
    changes = sorted({d for a, b in spans for d in (a, b + DAY if b else None) if d is not None})
    i = 0
    m = start if anchored else start.replace(day=1)
    while m <= end:
        nxt = add_months(start, i + 1) if anchored else add_months(m, 1)
        first, last = max(m, start), min(nxt - DAY, end)
        days: dict[str, int] = {}
        paths: dict[str, str] = {}
        last_seen: str | None = None
        cuts = [first, *(c for c in changes if first < c <= last), last + DAY]
        for a, b in zip(cuts, cuts[1:], strict=False):  # the place is the same on every day of [a, b)
            p = place_on(person, a)
            if p is not None:
                days[p[0]] = days.get(p[0], 0) + (b - a).days
                paths.setdefault(p[0], p[1])
                last_seen = p[0]
        best = max(days, key=lambda r: (days[r], r == last_seen)) if days else None
        out.append(Month(m, first, last, best, paths.get(best) if best else None))
        m, i = nxt, i + 1
    for j, mo in enumerate(out):
        if mo.recipient is None:
            later = next((x for x in out[j + 1 :] if x.recipient), None)
            earlier = next((x for x in reversed(out[:j]) if x.recipient), None)
            src = later or earlier
            if src is not None:
                out[j] = Month(mo.start, mo.first, mo.last, src.recipient, src.path)
    return out


def _norwegian(
    ctx: Context, person: PersonFacts, year: int, wanted: Iterable[str], permits: Collection[str]
) -> tuple[Any, str | None]:
    """The Regelmotor's Norwegian result on the latest quarter end of ``year`` on which the category is one
    of ``wanted`` (else the result on 31 December), and an error text if the facts cannot be evaluated. The
    earlier quarter ends are read only if the person holds a permit of ``permits`` (none: not eligible)."""
    wanted = set(wanted)
    first: Any = None
    for month in (12, 9, 6, 3):
        day = month_end(dt.date(year, month, 1))
        try:
            res = ctx.regelmotor(person, day).norwegian
        except InvalidFacts as e:
            return None, str(e)
        if res.category in wanted:
            return res, None
        first = first or res
        if not any(p.basis in permits for p in person.permits):
            break  # no permit that could trigger the grant: the year's end answers (and saves three evaluations)
    return first, None


def permit_at(person: PersonFacts, day: dt.date) -> Any:
    """The permit in force on ``day``: the latest decided on or before it (else the first one)."""
    before = [p for p in person.permits if p.decision_date <= day]
    return before[-1] if before else (person.permits[0] if person.permits else None)


def participation_decision(person: PersonFacts) -> Any:
    """The first Norwegian participation decision (``scheme: norwegian``, ``type: norwegian_participation``,
    made) known at the cut-off, or None."""
    return next(
        (
            d
            for d in person.decisions
            if d.scheme == "norwegian" and d.type == "norwegian_participation" and d.result == "made"
        ),
        None,
    )


def _age_ok(ctx: Context, person: PersonFacts, entry: dt.date, year: int) -> str | None:
    """None when the person is 18–67 (under the end age) on ``entry``, else the reason in bokmål."""
    age = person.age_on(entry)
    low, end = ctx.value("norwegian_grant.age.min", year), ctx.value("norwegian_grant.age.end", year)
    if age is None:
        return "Fødselsdato mangler; alderen ved inngang kan ikke avgjøres."
    if age < low:
        return f"{age} år ved inngang {fmt(entry)}: under {low} år."
    if age >= end:
        return f"{age} år ved inngang {fmt(entry)}: tilskuddet gjelder til fylte {end} år."
    return None


# --- A.5.1 person grant ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    start: dt.date
    permit: Any
    decision: Any
    facts_used: tuple[str, ...]


def _check_entry(
    ctx: Context, person: PersonFacts, year: int, scheme_code: str, category: str, permits_param: str
) -> _Entry | Finding:
    """The common conditions of the person grants: the Regelmotor's category, its start date, the permit,
    the age on entry and the NIR decision. A Finding says why not (or not yet)."""

    def no(reason: str, rule_id: str = CATEGORY.id, kind: str = "not_eligible") -> Finding:
        return Finding(person.id, scheme_code, kind, rule_id, reason, year)

    allowed = ctx.value(permits_param, year)
    res, error = _norwegian(ctx, person, year, [category], allowed)
    if error is not None:
        return no(f"Regelmotoren kan ikke lese faktaene: {error}", kind="pending")
    label = {"right_and_duty": "rett og plikt", "right": "rett"}[category]
    if res is None or res.category != category:
        got = res.category if res is not None else "ingen"
        return no(f"Regelmotoren gir ikke {label} til opplæring i norsk i {year} (kategori: {got}).")
    start: dt.date | None = res.start_date
    if start is None:
        return no(
            f"Regelmotoren gir {label} til opplæring i norsk, men ingen startdato (en tillatelse etter utl. § 38 "
            "femte ledd må være fornyet); inngangsåret er ukjent.",
            kind="pending",
        )
    permit = permit_at(person, start)
    allowed = ctx.value(permits_param, start.year)
    if permit is None or permit.basis not in allowed:
        basis = permit.basis if permit is not None else "ingen"
        return no(f"Tillatelsen ({basis}) er ikke blant tillatelsene som utløser tilskuddet ({', '.join(allowed)}).")
    age = _age_ok(ctx, person, start, start.year)
    if age is not None:
        return no(age)
    used = [permit.path]
    if scheme_code == ADULT and permit.basis in ctx.value("norwegian_grant.family_permits", start.year):
        fr = person.family_reunification
        if fr is None or fr.reference_first_settlement_date is None or fr.application_date is None:
            return no(
                "Familiemedlem: referansepersonens første bosettingsdato eller søknadsdatoen mangler, så "
                "femårsgrensen kan ikke vurderes.",
                FAMILY.id,
                "pending",
            )
        years = ctx.value("norwegian_grant.family_reference_max_years", start.year)
        if add_months(fr.reference_first_settlement_date, 12 * years) <= fr.application_date:
            return no(
                f"Familiemedlem: referansepersonen hadde bodd i kommunen {years} år eller mer da søknaden ble "
                f"fremmet ({fmt(fr.reference_first_settlement_date)}–{fmt(fr.application_date)}).",
                FAMILY.id,
            )
        used.append("family_reunification")
    decision = participation_decision(person)
    if decision is None:
        return no(
            "Venter: vedtak om norskopplæring (norwegian_participation) er ikke registrert i NIR ved "
            "skjæringstidspunktet; andelene etterbetales i terminen etter at vedtaket er registrert.",
            NIR_DECISION.id,
            "pending",
        )
    used.append(decision.path)
    return _Entry(start, permit, decision, tuple(used))


def _band(ctx: Context, person: PersonFacts, year: int) -> str | None:
    """``H`` or ``L`` by citizenship (norwegian_grant.low_rate_countries), None when it is unknown."""
    c = (person.citizenship or "").strip().upper()
    if not c or c in ctx.value("norwegian_grant.unknown_citizenship", year):
        return None
    return "L" if c in ctx.value("norwegian_grant.low_rate_countries", year) else "H"


def _rounds(months_: Sequence[Month], rounds_per_year: int) -> list[tuple[dt.date, list[Month]]]:
    """The months grouped by the round that pays them — ``rounds_per_year`` equal blocks of the year (4: the
    quarters) — each with the first day of its block, the day its share is earned. Year 1's months begin at
    entry, so its rounds begin with the round of entry."""
    if rounds_per_year < 1 or 12 % rounds_per_year:
        raise ValueError(f"antall terminer per år må gå opp i 12, ikke {rounds_per_year}")
    block = 12 // rounds_per_year
    groups: dict[dt.date, list[Month]] = {}
    for mo in months_:
        key = dt.date(mo.start.year, (mo.start.month - 1) // block * block + 1, 1)
        groups.setdefault(key, []).append(mo)
    return sorted(groups.items())


def spread_lines(
    person: PersonFacts,
    grant_type: str,
    year: int,
    rate: Version,
    groups: Sequence[tuple[dt.date, Sequence[Month]]],
    rule_id: str,
    explanation: str,
    year_index: int,
    facts_used: Sequence[str],
) -> list[Line]:
    """One line per recipient: the rate spread evenly over the rounds (``groups``), each round's share split
    by the months of that round lived with each recipient. ``earned`` holds each round's first day once per
    equal unit (a month in a round of ``m`` months is ``L / m`` units, ``L`` the rounds' common multiple)."""
    common = lcm(*(len(g) for _, g in groups))
    total_units = common * len(groups)
    units: dict[str, list[dt.date]] = {}
    spans: dict[str, list[Month]] = {}
    paths: dict[str, list[str]] = {}
    for day, group in groups:
        for mo in group:
            assert mo.recipient is not None
            units.setdefault(mo.recipient, []).extend([day] * (common // len(group)))
            spans.setdefault(mo.recipient, []).append(mo)
            if mo.path:
                paths.setdefault(mo.recipient, []).append(mo.path)
    out = []
    for recipient in sorted(units, key=lambda r: spans[r][0].start):
        mine = spans[recipient]
        amount = Decimal(rate.value) * len(units[recipient]) / total_units
        share = (
            f"{len(mine)} av {sum(len(g) for _, g in groups)} måneder (hver termins andel deles etter månedene i "
            "terminen)"
            if len(units) > 1
            else "hele perioden"
        )
        out.append(
            Line(
                person.id,
                grant_type,
                year,
                recipient,
                amount,
                rule_id,
                rate,
                f"{explanation} Mottaker {who(recipient)}: {share}, {kr(amount)}.",
                year_index,
                (mine[0].first, mine[-1].last),
                None,
                tuple(sorted(units[recipient])),
                tuple(dict.fromkeys([*facts_used, *paths.get(recipient, [])])),
            )
        )
    return out


@scheme(ADULT)
def adult(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """Person grant for adult immigrants (A.5.1)."""
    out = Outcome()
    entry = _check_entry(ctx, person, grant_year, ADULT, "right_and_duty", "norwegian_grant.adult_permits")
    if isinstance(entry, Finding):
        out.findings.append(entry)
        return out
    k = grant_year - entry.start.year + 1
    n_years = ctx.value("norwegian_grant.adult_years", entry.start.year)
    if not 1 <= k <= n_years:
        reason = f"Personen kom inn i målgruppen {fmt(entry.start)}; " + (
            f"{grant_year} er før år 1." if k < 1 else f"{grant_year} er etter år {n_years}."
        )
        out.findings.append(Finding(person.id, ADULT, "not_eligible", ADULT_YEARS.id, reason, grant_year))
        return out
    band = _band(ctx, person, grant_year)
    if band is None:
        reason = "Statsborgerskap mangler eller er ukjent; høy eller lav sats kan ikke avgjøres."
        out.findings.append(Finding(person.id, ADULT, "pending", ADULT_BAND.id, reason, grant_year))
        return out
    grant_type = f"P-AR{k}-{band}"
    rate = ctx.rate(grant_type, grant_year)
    if rate is None:
        out.findings.append(no_rate(person, ADULT, grant_type, grant_year))
        return out
    start = entry.start if k == 1 else dt.date(grant_year, 1, 1)
    ms = months(person, start, dt.date(grant_year, 12, 31))
    if any(m.recipient is None for m in ms):
        reason = f"Ingen folkeregistrert adresse, mottaksopphold eller videregående opplæring kjent i {grant_year}."
        out.findings.append(Finding(person.id, ADULT, "pending", RECIPIENT.id, reason, grant_year))
        return out
    if k == 1:
        groups = _rounds(ms, ctx.value("norwegian_grant.year1_rounds_from_entry", grant_year))
        spread = f"fordelt likt på {len(groups)} termin(er) fra inngangsterminen"
    else:
        groups = _rounds(ms, ctx.value("norwegian_grant.later_years_rounds", grant_year))
        spread = f"fordelt likt på {len(groups)} termin(er) fra 1. termin"
    level = "høy" if band == "H" else "lav"
    text = (
        f"Persontilskudd norsk år {k} ({grant_type}): rett og plikt fra {fmt(entry.start)} (Regelmotoren), "
        f"vedtak om norskopplæring registrert i NIR. {level.capitalize()} sats etter statsborgerskap "
        f"{person.citizenship} (kriteriet er ikke verifisert). Årssats {kr(rate.value)} {grant_year}, {spread}."
    )
    out.lines.extend(spread_lines(person, grant_type, grant_year, rate, groups, CATEGORY.id, text, k, entry.facts_used))
    return out


# --- A.5.2 § 37 d and A.5.3 UN43G ------------------------------------------------------------------


@scheme(COLLECTIVE)
def collective(ctx: Context, person: PersonFacts, grant_year: int) -> Outcome:
    """Person grant § 37 d (A.5.2): one year from entry, by months lived per recipient; UN43G (A.5.3)."""
    out = Outcome()
    entry = _check_entry(ctx, person, grant_year, COLLECTIVE, "right", "norwegian_grant.p37d_permits")
    if isinstance(entry, Finding):
        if entry.rule == CATEGORY.id and entry.kind == "not_eligible":
            entry = Finding(person.id, COLLECTIVE, entry.kind, P37D.id, entry.reason, grant_year)
        out.findings.append(entry)
        return out
    e_year = entry.start.year
    n_months = ctx.value("norwegian_grant.p37d_months", e_year)
    last = period_end(entry.start, n_months)
    mode = ctx.value("norwegian_grant.p37d_rate_year", e_year)
    if mode not in ("entry_year", "calendar_year"):
        raise ValueError(f"norwegian_grant.p37d_rate_year: ukjent verdi {mode!r}")
    if grant_year >= last.year:
        _un43g(ctx, person, grant_year, last, out)
    all_months = months(person, entry.start, last, anchored=True)
    ms = [m for m in all_months if (e_year if mode == "entry_year" else m.start.year) == grant_year]
    if not ms:
        if grant_year < e_year or grant_year > last.year:
            reason = f"Året med § 37 d-tilskudd er {fmt(entry.start)}–{fmt(last)}; ikke {grant_year}."
        else:
            reason = f"Året {fmt(entry.start)}–{fmt(last)} føres på tilskuddsåret {e_year} (inngangsårets sats)."
        out.findings.append(Finding(person.id, COLLECTIVE, "not_eligible", P37D.id, reason, grant_year))
        return out
    rate_year = e_year if mode == "entry_year" else grant_year
    rate = ctx.rate("P37D-AR1", rate_year)
    if rate is None:
        out.findings.append(no_rate(person, COLLECTIVE, "P37D-AR1", rate_year))
        return out
    if any(m.recipient is None for m in ms):
        reason = (
            f"Ingen folkeregistrert adresse, mottaksopphold eller videregående opplæring kjent "
            f"{fmt(ms[0].first)}–{fmt(ms[-1].last)}."
        )
        out.findings.append(Finding(person.id, COLLECTIVE, "pending", RECIPIENT.id, reason, grant_year))
        return out
    by: dict[str, list[Month]] = {}
    for mo in ms:
        assert mo.recipient is not None
        by.setdefault(mo.recipient, []).append(mo)
    for recipient, mine in sorted(by.items(), key=lambda kv: kv[1][0].start):
        amount = Decimal(rate.value) * len(mine) / n_months
        used = [*entry.facts_used, *dict.fromkeys(m.path for m in mine if m.path)]
        out.lines.append(
            Line(
                person.id,
                "P37D-AR1",
                grant_year,
                recipient,
                amount,
                P37D.id,
                rate,
                f"Persontilskudd § 37 d (P37D-AR1): kollektiv beskyttelse, rett til norskopplæring fra "
                f"{fmt(entry.start)} (Regelmotoren), vedtak registrert i NIR; ett år til {fmt(last)}. "
                f"{len(mine)} av {n_months} måneder hos {who(recipient)}: {kr(amount)} av {rate_year}-satsen "
                f"{kr(rate.value)} (satsåret er ikke verifisert).",
                1,
                (mine[0].first, mine[-1].last),
                None,
                tuple(m.start for m in mine),
                tuple(dict.fromkeys(used)),
            )
        )
    return out


def _un43g(ctx: Context, person: PersonFacts, grant_year: int, p37d_end: dt.date, out: Outcome) -> None:
    """Months after the § 37 d year while extended training (if. § 43 g) existed: pending (A.5.3)."""
    in_force = _find(ctx, "norwegian_grant.un43g", grant_year)
    if in_force is None or not in_force.value or in_force.valid_to is None:
        return
    first = max(p37d_end + DAY, dt.date(grant_year, 1, 1))
    if first > min(in_force.valid_to, dt.date(grant_year, 12, 31)):
        return
    rate = ctx.rate("UN43G", grant_year)
    missing = f"ingen sats for UN43G i {grant_year}; " if rate is None else ""
    out.findings.append(
        Finding(
            person.id,
            COLLECTIVE,
            "pending",
            UN43G.id,
            f"Utvidet norskopplæring (if. § 43 g) fra {fmt(first)} til senest {fmt(in_force.valid_to)}: "
            f"{missing}regelen for tilskuddet er ikke funnet, så det beregnes ikke.",
            grant_year,
        )
    )


# --- A.5.4 base grant ------------------------------------------------------------------------------


def base_grant(ctx: Context, recipient: str, persons: int, grant_year: int) -> Line | None:
    """The base grant (*grunntilskudd*) of one municipality with ``persons`` in the basis of calculation
    (how they are counted is open: norwegian_grant.base_grant.count_rule), or None: outside the bands, or
    no rate known for the year."""
    low = ctx.value("norwegian_grant.base_grant.min_persons", grant_year)
    high = ctx.value("norwegian_grant.base_grant.max_persons", grant_year)
    low_max = ctx.value("norwegian_grant.base_grant.low_max_persons", grant_year)
    if not low <= persons <= high:
        return None
    band, span = ("L", f"{low}–{low_max}") if persons <= low_max else ("H", f"{low_max + 1}–{high}")
    grant_type = f"Grunntilskudd-{band}"
    rate = ctx.rate(grant_type, grant_year)
    if rate is None:
        return None
    quarter = ctx.value("norwegian_grant.base_grant.paid_in_quarter", grant_year)
    return Line(
        "",
        grant_type,
        grant_year,
        recipient,
        Decimal(rate.value),
        BASE.id,
        rate,
        f"Grunntilskudd {grant_year} ({grant_type}): {persons} personer i beregningsgrunnlaget, båndet {span} "
        f"({'lav' if band == 'L' else 'høy'} sats, tolkning), {kr(rate.value)}; utbetales i {quarter}. termin. "
        "Hvordan personene telles, er ikke avklart.",
        None,
        (dt.date(grant_year, 1, 1), dt.date(grant_year, 12, 31)),
        quarter_start(grant_year, quarter),
    )


RECIPIENT_GRANTS[ADULT] = base_grant
