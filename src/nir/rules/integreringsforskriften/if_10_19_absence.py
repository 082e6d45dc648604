"""Absence, time off and leave and the programme deadline — integreringsforskriften
§§ 10, 17, 18 and 19 (004 "Presiseringer av fravær, fri, permisjoner"; regelmotor.md § 4).

«Fravær … kommer i tillegg til introduksjonsprogrammets varighet dersom fravær,
fri og permisjon til sammen er over ti virkedager» (if. § 10); «Fridager etter
§ 17 annet ledd og ferie etter § 18 kommer ikke i tillegg til programmets
varighet» (if. § 19). «Tillegg i programtid … skal gjelde for virkedager (mandag
til og med fredag) med unntak av helligdager» (004).

Which absence kinds count is data: the ``extends_intro`` / ``extends_norwegian``
attributes of the code list ``absence_kind`` (gyldig fravær, fri, permisjon for
the programme; only permisjon for Norwegian). Periods are merged before
counting, so a day covered twice counts once (the building blocks
``count_workdays`` / ``union_workdays_days``); the extension adds workdays after
the deadline (``add_workdays`` / ``add_workdays_days``).

Written once, run by both interpreters: the period errors (:data:`PERIOD_CHECKS`,
a chain: the first that holds is reported) and the threshold (:data:`EXTENSION`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from nir.rules.checks import Check, first_error, first_masks, refused
from nir.rules.columns import ColumnContext
from nir.rules.context import Context, codes
from nir.rules.dates import date_of, day
from nir.rules.legal_basis import IF, IL, NIR_004, REGELMOTOR, LegalBasis
from nir.rules.model import Derived, Explanation, Period, RuleError
from nir.rules.table import ALWAYS, DecisionTable, Row, V, declare
from nir.rules.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    add_workdays,
    add_workdays_days,
    count_workdays,
    union_workdays_days,
)

IF_10 = LegalBasis(IF, "10")
IF_19 = LegalBasis(IF, "19")
ABSENCE_004 = LegalBasis(NIR_004, "", note="Presiseringer av fravær, fri, permisjoner")
IL_32 = LegalBasis(IL, "32")
RM_4 = LegalBasis(REGELMOTOR, "§ 4")
CAL_FIRST, CAL_LAST = day(dt.date(FIRST_YEAR, 1, 1)), day(dt.date(LAST_YEAR, 12, 31))

# One period's scope: ``kind_known`` (in the code list absence_kind), ``start`` / ``end`` (day numbers).
PERIOD_CHECKS = (
    Check(
        "absence_kind_unknown",
        ~V("kind_known"),
        RM_4,
        "Fraværstypen '{kind}' finnes ikke i kodeverket.",
        title="Fraværstypen finnes ikke i kodeverket: perioden avvises og telles ikke.",
    ),
    Check(
        "absence_date_out_of_range",
        (V("start") < CAL_FIRST) | (V("start") > CAL_LAST) | (V("end") < CAL_FIRST) | (V("end") > CAL_LAST),
        RM_4,
        f"Perioden {{from_date}}–{{to_date}} ligger utenfor virkedagskalenderen ({FIRST_YEAR}–{LAST_YEAR}).",
        title="Perioden ligger utenfor virkedagskalenderen: perioden avvises og telles ikke.",
    ),
    Check(
        "absence_end_before_start",
        V("end") < V("start"),
        RM_4,
        "Perioden {from_date}–{to_date} slutter før den begynner.",
        title="Perioden slutter før den begynner: perioden avvises og telles ikke.",
    ),
)

WORKDAYS = declare(
    "if_s10_s19_absence_workdays",
    "Virkedager i unionen av gyldig fravær, fri og permisjon (en dag teller én gang; helligdager, ferie etter "
    "§ 18 og fridager etter § 17 annet ledd teller ikke).",
    IF_10,
    IF_19,
    ABSENCE_004,
)
NORWEGIAN_LEAVE = declare(
    "norwegian_leave_workdays",
    "Bare virkedager i permisjonsvedtak fra opplæring i norsk og samfunnskunnskap forlenger fristen, uten terskel.",
    IL_32,
    ABSENCE_004,
)

# The programme deadline after absence: the workdays added (``workdays`` over ``threshold``: all of them).
EXTENSION = DecisionTable(
    "if_10_19_absence_extension",
    (),
    [
        Row(
            "if_s10_s19_absence_extension",
            V("workdays") > V("threshold"),
            V("workdays"),
            (IF_10, IF_19, ABSENCE_004),
            "Fravær, fri og permisjon er til sammen {workdays} virkedager, over {threshold}: fristen forlenges med "
            "alle {workdays} virkedagene, fra {deadline} til {deadline_after}.",
            title="Fravær, fri og permisjon over terskelen (ti virkedager): alle virkedagene legges til fristen.",
        ),
        Row(
            "if_s10_s19_absence_extension",
            ALWAYS,
            V("none_added"),
            (IF_10, IF_19, ABSENCE_004),
            "Fravær, fri og permisjon er til sammen {workdays} virkedager, ikke over {threshold}: fristen forlenges "
            "ikke ({deadline}).",
        ),
    ],
)


def _period_scope(p: Period) -> dict[str, Any]:
    return {
        "kind_known": p.kind in codes("absence_kind"),
        "start": day(p.start),
        "end": day(p.end),
        "kind": p.kind,
        "from_date": p.start,
        "to_date": p.end,
    }


def period_error(p: Period) -> RuleError | None:
    """:data:`PERIOD_CHECKS` for one period: such a period is ignored."""
    return first_error(
        PERIOD_CHECKS,
        _period_scope(p),
        p.path,
        lambda: {"scheme": p.scheme, "kind": p.kind, "from": p.start, "to": p.end},
    )


def period_columns(
    kind_known: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:data:`PERIOD_CHECKS` on the register's period rows: per error id its rows, and the valid rows."""
    n = len(kind_known)
    masks = first_masks(PERIOD_CHECKS, {"kind_known": kind_known, "start": start, "end": end}, n)
    return masks, ~refused(masks, n)


def valid_periods(ctx: Context) -> list[Period]:
    """Registered absence, time off and leave that pass the period rules (errors recorded once)."""
    out = []
    for p in ctx.facts.absences:
        e = period_error(p)
        if e:
            ctx.error(e)
        else:
            out.append(p)
    return out


def counted_periods(periods: list[Period], scheme: str, attr: str) -> list[Period]:
    """The periods of ``scheme`` whose kind extends the deadline (code list ``absence_kind``, attribute ``attr``)."""
    kinds = codes("absence_kind")
    return [p for p in periods if p.scheme == scheme and kinds[p.kind].attrs.get(attr)]


def intro_absence_workdays(ctx: Context, valid: list[Period]) -> Derived:
    """Rule ``if_s10_s19_absence_workdays``: workdays in the union of valid absence, time off and leave."""
    periods = counted_periods(valid, "intro", "extends_intro")
    n = count_workdays((p.start, p.end) for p in periods)
    ignored = [p.path for p in valid if p.scheme == "intro" and p not in periods]
    return Derived(
        n,
        [
            Explanation(
                WORKDAYS.id,
                WORKDAYS.source,
                f"{n} virkedager med gyldig fravær, fri og permisjon (sammenslått; en dag teller én gang; helligdager, "
                "ferie etter § 18 og fridager etter § 17 annet ledd teller ikke).",
                n,
                {
                    "periods": [{"path": p.path, "kind": p.kind, "from": p.start, "to": p.end} for p in periods],
                    "not_counted": ignored,
                },
                verified=WORKDAYS.verified,
            )
        ],
    )


def workdays_columns(person: np.ndarray, start: np.ndarray, end: np.ndarray, counted: np.ndarray, n: int) -> np.ndarray:
    """The workdays rules on the register's period rows: per person, the workdays in the union of the
    ``counted`` rows (a day counts once)."""
    rows = np.flatnonzero(counted)
    return union_workdays_days(person[rows], start[rows], end[rows], n)


def intro_extension(ctx: Context, deadline: dt.date, workdays: int) -> Derived:
    """:data:`EXTENSION` for one person: over the threshold, all workdays are added after the deadline."""
    threshold = ctx.param("intro.absence.threshold_workdays", ctx.as_of)
    scope: dict[str, Any] = {"workdays": workdays, "threshold": threshold.value, "none_added": 0, "deadline": deadline}
    r = EXTENSION.match(scope)
    scope["deadline_after"] = new = add_workdays(deadline, r.outcome(scope))
    facts = {"deadline_before": deadline, "workdays": workdays}
    return Derived(new, [EXTENSION.explain(r, scope, facts, [threshold], value=new)])


def extension_columns(cc: ColumnContext, deadline: np.ndarray, workdays: np.ndarray, has: np.ndarray) -> np.ndarray:
    """:data:`EXTENSION` on columns for the persons with a deadline (``has``): the deadline after absence. A
    person whose dates leave the workday calendar falls back to the per-person interpreter."""
    threshold = cc.params.find("intro.absence.threshold_workdays", date_of(cc.as_of))
    if threshold is None:
        cc.bad |= cc.active & has
        return deadline
    scope = {"workdays": workdays, "threshold": threshold.value, "none_added": 0}
    added = np.where(has, EXTENSION.columns(scope, cc.n)[0], 0)
    out = add_workdays_days(deadline, added)
    cc.bad |= (
        cc.active
        & (added > 0)
        & ((deadline < CAL_FIRST) | (deadline > CAL_LAST) | (out < CAL_FIRST) | (out > CAL_LAST))
    )
    return out


def norwegian_leave_workdays(ctx: Context, valid: list[Period]) -> Derived:
    """Rule ``norwegian_leave_workdays``: only workdays in leave decisions count for Norwegian, no threshold."""
    periods = counted_periods(valid, "norwegian", "extends_norwegian")
    n = count_workdays((p.start, p.end) for p in periods)
    return Derived(
        n,
        [
            Explanation(
                NORWEGIAN_LEAVE.id,
                NORWEGIAN_LEAVE.source,
                f"{n} virkedager i permisjonsvedtak fra norsk og samfunnskunnskap (fravær forlenger ikke fristen).",
                n,
                {"periods": [{"path": p.path, "kind": p.kind, "from": p.start, "to": p.end} for p in periods]},
                verified=NORWEGIAN_LEAVE.verified,
            )
        ],
    )
