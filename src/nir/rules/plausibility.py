"""Plausibility checks (plausibilitetskontroll) of one registration: what it can plausibly say.

The law's rules (``integreringsloven/``) judge a person's facts as a whole; these judge one new (or
corrected) registration on the day it is registered: hours within what its period allows, dates not
far in the future, nothing before the person was born, a termination not before the programme it
ends. Each rule is either an **error** — the registration is refused with the rule's message, on the
field that is wrong — or a **warning** — it is stored, shown to the caseworker and listed in the
data-quality work list (docs/rules.md «Plausibility» gives each rule's kind and reasoning).

Pure Python, like the rest of the Regelmotor: the registration and the person's facts in, findings
out. The thresholds are parameters (``parameters/plausibility.yaml``), read on the registration day.

    check("participation", {"scheme": "intro", "from": d1, "to": d2, "hours": 99999}, facts, today)
    # -> [Finding(rule="participation_hours_impossible", severity="error", field="hours", message=…)]

``kind`` is the registration kind's name (``nir.register.kinds``: ``decisions``, ``participation``,
``terminations``, ``exams`` …); ``item`` its values under the interchange keys (dates as
``datetime.date``); ``facts`` the person's facts in the interchange format (only ``birth_date``,
``permits`` and ``decisions`` are read). A check is per write: it is not part of ``evaluate`` nor of
the whole-register re-evaluation (a registration's plausibility does not change with time: it is
judged against the day it was made).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nir.rules import parameters
from nir.rules.dates import add_months, fmt
from nir.rules.parameters import ParameterSet

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One plausibility rule a registration breaks: ``field`` is the interchange key it concerns."""

    rule: str
    severity: str  # ERROR | WARNING
    field: str
    message: str
    source: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True, slots=True)
class PlausibilityRule:
    id: str
    severity: str
    title: str  # bokmål, for the Regelmotor page
    source: str


_CHOSEN = "docs/rules.md «Plausibility» (valgt tak)"

RULES: tuple[PlausibilityRule, ...] = (
    PlausibilityRule(
        "participation_hours_impossible",
        ERROR,
        "Timer deltakelse i en periode er flere enn 12 per kalenderdag i perioden (skrivefeil).",
        "il. § 13 (fulltid); " + _CHOSEN,
    ),
    PlausibilityRule(
        "participation_hours_above_full_time",
        WARNING,
        "Timer deltakelse i en periode er flere enn full tid (37,5 timer i uken) for hverdagene i perioden.",
        "il. § 13 (programmet er på fulltid)",
    ),
    PlausibilityRule(
        "measure_hours_above_maximum",
        ERROR,
        "Tiltak med flere enn 60 timer i uken.",
        "arbeidsmiljøloven § 10-6 tiende ledd (60 timer på sju dager)",
    ),
    PlausibilityRule(
        "measure_hours_above_full_time",
        WARNING,
        "Tiltak med flere timer i uken enn full tid (37,5).",
        "il. § 13 (programmet er på fulltid)",
    ),
    PlausibilityRule(
        "termination_work_hours_high",
        WARNING,
        "Arbeid ved avslutning på flere enn 60 timer i uken.",
        "arbeidsmiljøloven § 10-6 tiende ledd",
    ),
    PlausibilityRule(
        "date_far_in_future",
        ERROR,
        "En dato for noe som har skjedd (vedtak, avslutning, prøve, deltakelse …) mer enn ett år fram i tid.",
        _CHOSEN,
    ),
    PlausibilityRule(
        "date_in_future",
        WARNING,
        "En dato for noe som har skjedd mer enn 7 dager fram i tid.",
        _CHOSEN,
    ),
    PlausibilityRule(
        "planned_date_far_in_future",
        ERROR,
        "En planlagt dato (startdato, sluttdato, til-dato) mer enn 10 år fram i tid.",
        "il. §§ 13–14 (lengste program 60 måneder); " + _CHOSEN,
    ),
    PlausibilityRule(
        "date_before_birth",
        ERROR,
        "En dato (vedtak, tillatelse, bosetting, avslutning, prøve …) før personens fødselsdato.",
        "Personen fantes ikke før fødselen",
    ),
    PlausibilityRule(
        "decision_before_permit",
        WARNING,
        "Vedtak datert før personens første registrerte oppholdstillatelse.",
        "il. §§ 8, 26–28 (retten og plikten følger av tillatelsen)",
    ),
    PlausibilityRule(
        "termination_completed_before_start",
        ERROR,
        "Avslutning «Fullført» datert før vedtaket om deltakelse eller før programmet startet.",
        "il. §§ 13–14 (programmet gjennomføres fra startdatoen i vedtaket)",
    ),
    PlausibilityRule(
        "termination_before_decision",
        WARNING,
        "Avslutning datert før vedtaket om deltakelse i ordningen.",
        "il. §§ 13–14",
    ),
)
BY_ID = {r.id: r for r in RULES}

# Dates of something that has happened (a decision, a termination, a test, hours attended …).
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "permits": ("decision_date",),
    "settlements": ("date",),
    "decisions": ("decision_date",),
    "extension": ("decision_date",),
    "participation": ("from", "to"),
    "measures": ("from",),
    "terminations": ("date",),
    "career_guidance": ("date",),
    "competence_mappings": ("date",),
    "exams": ("date",),
}
# Dates that may be planned (a programme's start and end, a measure's end, registered future leave,
# the arrival of a person granted a permit from abroad: resettlement refugees arrive months later).
PLANNED_DATES: dict[str, tuple[str, ...]] = {
    "permits": ("arrival_date",),
    "decisions": ("start_date", "end_date"),
    "measures": ("to",),
    "absences": ("from", "to"),
}

LABELS: dict[tuple[str, str], str] = {
    ("permits", "decision_date"): "tillatelsens vedtaksdato",
    ("permits", "arrival_date"): "ankomstdatoen",
    ("settlements", "date"): "bosettingsdatoen",
    ("decisions", "decision_date"): "vedtaksdatoen",
    ("decisions", "start_date"): "startdatoen",
    ("decisions", "end_date"): "sluttdatoen",
    ("extension", "decision_date"): "vedtaksdatoen for utvidelsen",
    ("participation", "from"): "fra-datoen for deltakelsen",
    ("participation", "to"): "til-datoen for deltakelsen",
    ("measures", "from"): "fra-datoen for tiltaket",
    ("measures", "to"): "til-datoen for tiltaket",
    ("absences", "from"): "fra-datoen",
    ("absences", "to"): "til-datoen",
    ("terminations", "date"): "avslutningsdatoen",
    ("career_guidance", "date"): "datoen for karriereveiledningen",
    ("competence_mappings", "date"): "datoen for kompetansekartleggingen",
    ("exams", "date"): "prøvedatoen",
}

# The decision type that starts each scheme (regelmotor.md § 4, code list decision_type).
PARTICIPATION_TYPES = {"intro": "participation", "norwegian": "norwegian_participation"}
COMPLETED = "completed"  # termination_type «Fullført»


def _label(kind: str, key: str) -> str:
    return LABELS.get((kind, key), "datoen")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _hours(value: Any) -> decimal.Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return None


def _num(value: decimal.Decimal | float) -> str:
    """A number as Norwegian text: 37,5; 99 999."""
    d = decimal.Decimal(str(value)).normalize()
    whole, _, frac = f"{d:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + "\u00a0".join(groups) + (f",{frac}" if frac else "")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def weekdays(start: dt.date, end: dt.date) -> int:
    """Monday–Friday in [start, end] (public holidays counted as weekdays: a generous ceiling)."""
    return int(np.busday_count(start, end + dt.timedelta(days=1)))


class _Params:
    def __init__(self, params: ParameterSet, day: dt.date):
        self.params, self.day = params, day

    def __call__(self, name: str) -> Any:
        return self.params.get(f"plausibility.{name}", self.day).value


def _finding(rule: str, field: str, message: str) -> Finding:
    r = BY_ID[rule]
    return Finding(rule, r.severity, field, message, r.source)


def check(
    kind: str,
    item: Mapping[str, Any],
    facts: Mapping[str, Any] | None,
    today: dt.date,
    params: ParameterSet | None = None,
) -> list[Finding]:
    """Every plausibility rule the registration ``item`` of ``kind`` breaks, registered on ``today``
    for the person with ``facts``: errors first, at most one finding per field."""
    p = _Params(params or parameters.default(), today)
    facts = facts or {}
    found: list[Finding] = []
    found += _hours_rules(kind, item, p)
    found += _date_rules(kind, item, facts, today, p)
    if kind == "decisions":
        found += _decision_before_permit(item, facts)
    if kind == "terminations":
        found += _termination_rules(item, facts)
    # One finding per field: the first error, else the first warning.
    out: dict[str, Finding] = {}
    for f in sorted(found, key=lambda f: not f.is_error):
        out.setdefault(f.field, f)
    return sorted(out.values(), key=lambda f: not f.is_error)


def _hours_rules(kind: str, item: Mapping[str, Any], p: _Params) -> list[Finding]:
    full = decimal.Decimal(str(p("full_time_hours_per_week")))
    top = decimal.Decimal(str(p("max_hours_per_week")))
    if kind == "participation":
        hours, start, end = _hours(item.get("hours")), _date(item.get("from")), _date(item.get("to"))
        if hours is None or start is None or end is None or end < start:
            return []
        days = (end - start).days + 1
        ceiling = days * decimal.Decimal(str(p("participation.max_hours_per_day")))
        period = f"{fmt(start)}–{fmt(end)}"
        if hours > ceiling:
            return [
                _finding(
                    "participation_hours_impossible",
                    "hours",
                    f"{_num(hours)} timer er umulig for perioden {period} ({days} dager, høyst "
                    f"{_num(ceiling)} timer); kontroller antall timer",
                )
            ]
        # at least one day's full time: a course may be held on a weekend (a Saturday–Sunday period)
        allowed = max(weekdays(start, end), 1) * full / 5
        if hours > allowed:
            return [
                _finding(
                    "participation_hours_above_full_time",
                    "hours",
                    f"{_num(hours)} timer er mer enn full tid for perioden {period} "
                    f"({_num(allowed)} timer med {_num(full)} timer i uken)",
                )
            ]
    elif kind == "measures":
        hours = _hours(item.get("hours_per_week"))
        if hours is not None and hours > top:
            return [
                _finding(
                    "measure_hours_above_maximum",
                    "hours_per_week",
                    f"{_num(hours)} timer i uken er mer enn {_num(top)}; kontroller antall timer",
                )
            ]
        if hours is not None and hours > full:
            return [
                _finding(
                    "measure_hours_above_full_time",
                    "hours_per_week",
                    f"{_num(hours)} timer i uken er mer enn full tid ({_num(full)} timer)",
                )
            ]
    elif kind == "terminations":
        hours = _hours(item.get("hours_work_per_week"))
        if hours is not None and hours > top:
            return [
                _finding(
                    "termination_work_hours_high",
                    "hours_work_per_week",
                    f"{_num(hours)} timer arbeid i uken er mer enn {_num(top)}; kontroller antall timer",
                )
            ]
    return []


def _date_rules(
    kind: str, item: Mapping[str, Any], facts: Mapping[str, Any], today: dt.date, p: _Params
) -> list[Finding]:
    out = []
    birth = _date(facts.get("birth_date"))
    warn_after = today + dt.timedelta(days=int(p("future.warning_days")))
    error_after = today + dt.timedelta(days=int(p("future.error_days")))
    planned_after = add_months(today, 12 * int(p("future.planned_max_years")))
    for key in EVENT_DATES.get(kind, ()) + PLANNED_DATES.get(kind, ()):
        day = _date(item.get(key))
        if day is None:
            continue
        label = _label(kind, key)
        if birth is not None and day < birth:
            out.append(
                _finding(
                    "date_before_birth", key, f"{_cap(label)} {fmt(day)} er før personens fødselsdato {fmt(birth)}"
                )
            )
        elif key in EVENT_DATES.get(kind, ()):
            if day > error_after:
                out.append(
                    _finding(
                        "date_far_in_future",
                        key,
                        f"{_cap(label)} {fmt(day)} er mer enn {int(p('future.error_days'))} dager fram i tid",
                    )
                )
            elif day > warn_after:
                out.append(
                    _finding(
                        "date_in_future",
                        key,
                        f"{_cap(label)} {fmt(day)} er fram i tid (mer enn {int(p('future.warning_days'))} dager "
                        f"etter registreringsdagen {fmt(today)})",
                    )
                )
        elif day > planned_after:
            out.append(
                _finding(
                    "planned_date_far_in_future",
                    key,
                    f"{_cap(label)} {fmt(day)} er mer enn {int(p('future.planned_max_years'))} år fram i tid",
                )
            )
    return out


def _decision_before_permit(item: Mapping[str, Any], facts: Mapping[str, Any]) -> list[Finding]:
    day = _date(item.get("decision_date"))
    permits = [d for d in (_date(x.get("decision_date")) for x in _items(facts.get("permits"))) if d is not None]
    if day is None or not permits or day >= min(permits):
        return []
    return [
        _finding(
            "decision_before_permit",
            "decision_date",
            f"Vedtaksdatoen {fmt(day)} er før personens første oppholdstillatelse ({fmt(min(permits))})",
        )
    ]


def _items(value: Any) -> Iterable[Mapping[str, Any]]:
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def _termination_rules(item: Mapping[str, Any], facts: Mapping[str, Any]) -> list[Finding]:
    day = _date(item.get("date"))
    wanted = PARTICIPATION_TYPES.get(str(item.get("scheme") or ""))
    if day is None or wanted is None:
        return []
    decisions = [
        x
        for x in _items(facts.get("decisions"))
        if x.get("type") == wanted and x.get("result") in (None, "", "made") and _date(x.get("decision_date"))
    ]
    if not decisions:
        return []
    decided = min(d for d in (_date(x.get("decision_date")) for x in decisions) if d is not None)
    starts = [_date(x.get("start_date")) or _date(x.get("decision_date")) for x in decisions]
    start = min(s for s in starts if s is not None)
    if item.get("type") == COMPLETED and (day < start or day < decided):
        what = f"før programmet startet {fmt(start)}" if day < start else f"før vedtaket om deltakelse {fmt(decided)}"
        return [
            _finding(
                "termination_completed_before_start",
                "date",
                f"Avslutningen «Fullført» er datert {fmt(day)}, {what}",
            )
        ]
    if day < decided:
        return [
            _finding(
                "termination_before_decision",
                "date",
                f"Avslutningsdatoen {fmt(day)} er før vedtaket om deltakelse {fmt(decided)}",
            )
        ]
    return []
