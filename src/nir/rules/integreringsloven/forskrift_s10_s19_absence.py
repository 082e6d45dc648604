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
counting, so a day covered twice counts once.
"""

from __future__ import annotations

import datetime as dt

from nir.rules.context import Context, codes
from nir.rules.dates import fmt
from nir.rules.model import Derived, Explanation, Period, RuleError
from nir.rules.workdays import FIRST_YEAR, LAST_YEAR, add_workdays, count_workdays

SOURCE = "if. §§ 10 og 19; 004 (Presiseringer av fravær, fri, permisjoner)"


def period_error(p: Period) -> RuleError | None:
    """Rules ``absence_kind_unknown`` and ``absence_end_before_start``: such a period is ignored."""
    facts = {"scheme": p.scheme, "kind": p.kind, "from": p.start, "to": p.end}
    if p.kind not in codes("absence_kind"):
        return RuleError(
            "absence_kind_unknown",
            f"Fraværstypen '{p.kind}' finnes ikke i kodeverket.",
            "regelmotor.md § 4",
            p.path,
            facts,
        )
    if not all(FIRST_YEAR <= d.year <= LAST_YEAR for d in (p.start, p.end)):
        return RuleError(
            "absence_date_out_of_range",
            f"Perioden {fmt(p.start)}–{fmt(p.end)} ligger utenfor virkedagskalenderen ({FIRST_YEAR}–{LAST_YEAR}).",
            "regelmotor.md § 4",
            p.path,
            facts,
        )
    if p.end < p.start:
        return RuleError(
            "absence_end_before_start",
            f"Perioden {fmt(p.start)}–{fmt(p.end)} slutter før den begynner.",
            "regelmotor.md § 4",
            p.path,
            facts,
        )
    return None


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
                "if_s10_s19_absence_workdays",
                SOURCE,
                f"{n} virkedager med gyldig fravær, fri og permisjon (sammenslått; en dag teller én gang; helligdager, "
                "ferie etter § 18 og fridager etter § 17 annet ledd teller ikke).",
                n,
                {
                    "periods": [{"path": p.path, "kind": p.kind, "from": p.start, "to": p.end} for p in periods],
                    "not_counted": ignored,
                },
            )
        ],
    )


def intro_extension(ctx: Context, deadline: dt.date, workdays: int) -> Derived:
    """Rule ``if_s10_s19_absence_extension``: over the threshold → all workdays added after the deadline."""
    threshold = ctx.param("intro.absence.threshold_workdays", ctx.as_of)
    if workdays > threshold.value:
        new = add_workdays(deadline, workdays)
        return Derived(
            new,
            [
                Explanation(
                    "if_s10_s19_absence_extension",
                    SOURCE,
                    f"Fravær, fri og permisjon er til sammen {workdays} virkedager, over {threshold.value}: fristen "
                    "forlenges "
                    f"med alle {workdays} virkedagene, fra {fmt(deadline)} til {fmt(new)}.",
                    new,
                    {"deadline_before": deadline, "workdays": workdays},
                    [threshold],
                )
            ],
        )
    return Derived(
        deadline,
        [
            Explanation(
                "if_s10_s19_absence_extension",
                SOURCE,
                f"Fravær, fri og permisjon er til sammen {workdays} virkedager, ikke over {threshold.value}: fristen "
                f"forlenges ikke ({fmt(deadline)}).",
                deadline,
                {"deadline_before": deadline, "workdays": workdays},
                [threshold],
            )
        ],
    )


def norwegian_leave_workdays(ctx: Context, valid: list[Period]) -> Derived:
    """Rule ``norwegian_leave_workdays``: only workdays in leave decisions count for Norwegian, no threshold."""
    periods = counted_periods(valid, "norwegian", "extends_norwegian")
    n = count_workdays((p.start, p.end) for p in periods)
    return Derived(
        n,
        [
            Explanation(
                "norwegian_leave_workdays",
                "il. § 32; 004 (Presiseringer av fravær, fri, permisjoner)",
                f"{n} virkedager i permisjonsvedtak fra norsk og samfunnskunnskap (fravær forlenger ikke fristen).",
                n,
                {"periods": [{"path": p.path, "kind": p.kind, "from": p.start, "to": p.end} for p in periods]},
            )
        ],
    )
