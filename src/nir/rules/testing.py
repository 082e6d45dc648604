"""Random facts for testing and benchmarking the rules engine (pure, seeded, no Django).

:func:`random_facts` draws one person's ``facts`` object (the case / interchange
format, dates as ISO strings) from a deliberately *adversarial* distribution:
every permit basis (and an unknown one), ages at the permit's decision date
around every limit (17/18, 55/56, 67/68, births on 29 February), dates
2015–2027 clustered around 2021-01-01, 2025-01-01 and 2026-01-01, ``utl_34``
permits followed by another permit, § 9 d (``utl_38_5``) permits and their
renewals, settlements with and without agreement,
residences, decisions of every type (participation, loss due to work, Norwegian
participation, the others, unknown types, wrong schemes, results other than
*made*, missing start dates, end before start, near the two-year window), every
final-goal code (plus unknown and missing), valid and invalid extensions, and
absence / time off / leave / holiday / religious days of every kind spanning the
Norwegian public holidays, overlapping, reversed and out of the calendar.

Used by ``tests/rules/test_vector_agreement.py`` (vectorised path == per-person
path) and ``bench/rules_engine.py``. The code lists come from ``nir.codes``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from typing import Any

from nir.codes import code_list
from nir.rules.parameters import ParameterSet
from nir.rules.workdays import holiday_dates

D = dt.date
ONE = dt.timedelta(days=1)

BASES = tuple(c.code for c in code_list("permit_basis").codes)
GOALS = tuple(c.code for c in code_list("final_goal").codes)
DECISION_TYPES = {c.code: tuple(c.attrs.get("schemes", ())) for c in code_list("decision_type").codes}
SCHEMES = tuple(c.code for c in code_list("scheme").codes)
ABSENCE_KINDS = tuple(c.code for c in code_list("absence_kind").codes)
EDUCATION = tuple(c.code for c in code_list("education").codes)

FIRST, LAST = D(2015, 1, 1), D(2027, 12, 31)
SPAN = (LAST - FIRST).days
ANCHORS = (D(2021, 1, 1), D(2026, 1, 1), D(2025, 1, 1), D(2021, 1, 1), D(2026, 1, 1))
AGE_LIMITS = (17, 18, 55, 56, 60, 61, 66, 67, 68)
HOLIDAYS = tuple(d for d in holiday_dates() if FIRST.year <= d.year <= LAST.year + 1)

# weights of list lengths
N_PERMITS = ((0, 4), (1, 64), (2, 23), (3, 9))
N_SETTLEMENTS = ((0, 18), (1, 67), (2, 15))
N_RESIDENCES = ((0, 70), (1, 22), (2, 8))
N_DECISIONS = ((0, 18), (1, 34), (2, 26), (3, 13), (4, 9))
N_ABSENCES = ((0, 30), (1, 22), (2, 18), (3, 13), (4, 9), (6, 8))
DECISION_WEIGHTS = {
    "participation": 40,
    "loss_due_to_work": 14,
    "norwegian_participation": 16,
    "integration_plan": 5,
    "temporary_stop": 5,
    "loss_of_self_certification": 4,
    "norwegian_exemption": 5,
    "asylum_participation": 3,
}


def _weighted(rng: random.Random, table: Sequence[tuple[int, float]]) -> int:
    r = rng.random() * sum(w for _, w in table)
    for value, w in table:
        r -= w
        if r < 0:
            return int(value)
    return int(table[-1][0])


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class FactsGenerator:
    """A seeded generator of random persons' facts (see the module docstring)."""

    def __init__(self, seed: int = 0, as_of: dt.date | None = None):
        self.rng = random.Random(seed)
        # the evaluation date is a boundary too: facts dated on it, a 67th birthday on it
        self.as_of = as_of
        self.anchors = ANCHORS + ((as_of,) * 3 if as_of else ())
        self._types = tuple(DECISION_WEIGHTS)
        self._type_cum = []
        total = 0
        for t in self._types:
            total += DECISION_WEIGHTS[t]
            self._type_cum.append(total)

    # --- dates ---------------------------------------------------------------
    def day(self) -> dt.date:
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            return rng.choice(self.anchors)  # exactly on a boundary date
        if r < 0.45:
            return rng.choice(self.anchors) + dt.timedelta(days=rng.randint(-75, 75))
        return FIRST + dt.timedelta(days=rng.randint(0, SPAN))

    def near(self, day: dt.date, lo: int, hi: int) -> dt.date:
        return day + dt.timedelta(days=self.rng.randint(lo, hi))

    # --- parts ---------------------------------------------------------------
    def basis(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.015:
            return rng.choice(("utl_99", ""))
        if r < 0.45:
            return "utl_28"
        return rng.choice(BASES)

    def permits(self) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        r0 = rng.random()
        if r0 < 0.04:  # a § 9 d permit, usually renewed: il. § 26 (the right and duty arise at the first renewal)
            d1 = self.day()
            out.append({"basis": "utl_38_5", "decision_date": d1})
            for _ in range(rng.choice((0, 1, 1, 2))):
                d2 = self.near(out[-1]["decision_date"], 0, 500)
                out.append({"basis": "utl_38_5" if rng.random() < 0.7 else rng.choice(BASES), "decision_date": d2})
        elif r0 < 0.18:  # collective protection, then (usually) another permit: ch. 6A / § 43h
            d1 = self.near(D(2026, 1, 1), -900, 200) if rng.random() < 0.7 else self.day()
            out.append({"basis": "utl_34", "decision_date": d1})
            for _ in range(rng.choice((0, 1, 1, 1, 2))):
                d2 = self.near(out[-1]["decision_date"], 0, 700)
                basis = rng.choice((*BASES, "utl_99")) if rng.random() < 0.7 else "utl_34"  # utl_99: no section
                out.append({"basis": basis, "decision_date": d2})
        else:
            n = _weighted(rng, N_PERMITS)
            prev = None
            for _ in range(n):
                r = rng.random()
                if prev is not None and r < 0.15:
                    dd = prev  # same decision date: the list order decides
                elif prev is not None and r < 0.6:
                    dd = self.near(prev, -200, 800)
                else:
                    dd = self.day()
                out.append({"basis": self.basis(), "decision_date": dd})
                prev = dd
        for p in out:
            dd = p["decision_date"]
            r = rng.random()
            if r < 0.35:
                arrival = None
            elif r < 0.45 and dd.year <= 2020:
                arrival = self.near(D(2021, 1, 1), -20, 40)  # if. § 72: granted before 2021, arrived after
            elif r < 0.75:
                arrival = self.near(dd, 1, 200)
            else:
                arrival = self.near(dd, -400, 0)
            p["arrival_date"] = arrival
            r = rng.random()
            if r < 0.15:
                p["applied_from_abroad"] = True
            elif r < 0.3:
                p["applied_from_abroad"] = False
            elif r < 0.4:
                p["applied_from_abroad"] = None
        if len(out) > 1 and rng.random() < 0.3:
            rng.shuffle(out)  # registration order need not be date order
        return out

    def birth(self, ref: dt.date) -> dt.date:
        rng = self.rng
        r = rng.random()
        if r < 0.04 and self.as_of:  # a limit birthday on (or next to) the evaluation date
            return _years_before(self.as_of, rng.choice(AGE_LIMITS)) + dt.timedelta(days=rng.randint(-1, 1))
        if r < 0.07:  # born 29 February, a limit birthday around the reference date
            age = rng.choice(AGE_LIMITS)
            y = ref.year - age
            y -= y % 4
            return D(y if y % 100 or y % 400 == 0 else y - 4, 2, 29)
        if r < 0.45:
            age = rng.choice(AGE_LIMITS)
            return _years_before(ref, age) + dt.timedelta(days=rng.randint(-3, 3))
        if r < 0.85:
            return _years_before(ref, rng.randint(19, 54)) + dt.timedelta(days=rng.randint(0, 364))
        return _years_before(ref, rng.randint(0, 90)) + dt.timedelta(days=rng.randint(0, 364))

    def settlements(self, ref: dt.date) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        for _ in range(_weighted(rng, N_SETTLEMENTS)):
            day = self.near(ref, -60, 420) if rng.random() < 0.8 else self.day()
            s: dict[str, Any] = {"municipality": rng.choice(("0301", "4601", "5001", "1103")), "date": day}
            r = rng.random()
            if r < 0.62:
                s["by_agreement"] = True
            elif r < 0.95:
                s["by_agreement"] = False
            out.append(s)
        return out

    def residences(self, ref: dt.date) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        for _ in range(_weighted(rng, N_RESIDENCES)):
            start = self.near(ref, -100, 500) if rng.random() < 0.8 else self.day()
            out.append(
                {"municipality": "0301", "from": start, "to": None if rng.random() < 0.6 else self.near(start, 1, 900)}
            )
        return out

    def decision_type(self) -> str:
        rng = self.rng
        if rng.random() < 0.02:
            return rng.choice(("unknown_type", ""))
        r = rng.random() * self._type_cum[-1]
        for t, c in zip(self._types, self._type_cum):
            if r < c:
                return t
        return self._types[-1]

    def decisions(self, settled: dt.date | None, permit_dates: list[dt.date]) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        if rng.random() < 0.06:  # il. § 8 fourth paragraph: loss due to work, perhaps a participation after it
            dd = self.near(D(2026, 1, 1), -10, 120)
            out.append({"scheme": "intro", "type": "loss_due_to_work", "decision_date": dd})
            if rng.random() < 0.4:
                later = self.near(dd, -5, 200)
                out.append(
                    {
                        "scheme": "intro",
                        "type": "participation",
                        "decision_date": later,
                        "start_date": self.near(later, 0, 30),
                    }
                )
            return out
        for _ in range(_weighted(rng, N_DECISIONS)):
            t = self.decision_type()
            schemes = DECISION_TYPES.get(t) or ("intro",)
            scheme = schemes[0] if rng.random() < 0.95 else rng.choice((*SCHEMES, "other"))
            r = rng.random()
            if permit_dates and r < 0.08:
                dd = rng.choice(permit_dates)  # on a permit's decision date
            elif settled is not None and r < 0.45:
                dd = self.near(settled, -30, 760) if rng.random() < 0.6 else self.near(settled, 700, 760)
            elif r < 0.75:
                dd = self.near(D(2026, 1, 1), -60, 60)
            else:
                dd = self.day()
            d = {"scheme": scheme, "type": t, "decision_date": dd}
            r = rng.random()
            if r < 0.8:
                d["result"] = "made"
            elif r < 0.85:
                d["result"] = rng.choice((None, ""))
            elif r < 0.93:
                d["result"] = rng.choice(("rejected", "revoked"))
            r = rng.random()
            if r < 0.88:
                start = self.near(dd, 0, 45)
            elif r < 0.94:
                start = None
            else:
                start = self.near(dd, -40, -1)
            d["start_date"] = start
            r = rng.random()
            if start is not None and r < 0.04:
                d["end_date"] = start
            elif start is not None and r < 0.25:
                d["end_date"] = self.near(start, 30, 700)
            elif start is not None and r < 0.3:
                d["end_date"] = self.near(start, -30, -1)
            else:
                d["end_date"] = None
            out.append(d)
        if len(out) > 1 and rng.random() < 0.2:
            rng.shuffle(out)
        return out

    def absences(self, around: dt.date) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[dict[str, Any]] = []
        for _ in range(_weighted(rng, N_ABSENCES)):
            r = rng.random()
            if out and r < 0.25:  # overlapping the previous period
                start = self.near(out[-1]["from"], -5, 8)
            elif r < 0.65:
                start = self.near(rng.choice(HOLIDAYS), -10, 3)  # spanning a public holiday
            else:
                start = self.near(around, -30, 900)
            length = rng.randint(0, 20) if rng.random() < 0.85 else rng.randint(20, 80)
            end = start + dt.timedelta(days=length)
            r = rng.random()
            if r < 0.03:
                start, end = end, start  # reversed: an error
            elif r < 0.04:
                # outside the workday calendar: an error
                start = start.replace(year=rng.choice((1989, 2101)), day=min(start.day, 28))
            kind = rng.choice(ABSENCE_KINDS) if rng.random() < 0.98 else "unknown_kind"
            scheme = (
                "intro" if rng.random() < 0.62 else ("norwegian" if rng.random() < 0.9 else rng.choice(("asylum", "")))
            )
            out.append({"scheme": scheme, "kind": kind, "from": start, "to": end})
        return out

    # --- a person --------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        rng = self.rng
        permits = self.permits()
        ref = min((p["decision_date"] for p in permits), default=None) or self.day()
        if permits and rng.random() < 0.3:
            ref = rng.choice(permits)["decision_date"]  # ages at a later permit's decision date
        settlements = self.settlements(ref)
        settled = min((s["date"] for s in settlements), default=None)
        decisions = self.decisions(settled, [p["decision_date"] for p in permits])
        r = rng.random()
        if r < 0.12:
            goal = None
        elif r < 0.14:
            goal = rng.choice(("unknown_goal", ""))
        else:
            goal = rng.choice(GOALS)
        r = rng.random()
        ext = 0 if r < 0.6 else rng.choice((1, 3, 6, 6, 12, 12, 13, 24))
        part = next((d["start_date"] for d in decisions if d["type"] == "participation" and d["start_date"]), None)
        facts = {
            "birth_date": self.birth(ref),
            "permits": permits,
            "settlements": settlements,
            "residences": self.residences(ref),
            "decisions": decisions,
            "final_goal": goal,
            "extension_months": ext,
            "absences": self.absences(part or ref),
        }
        r = rng.random()
        if r < 0.9:
            facts["education"] = rng.choice(EDUCATION)
        elif r < 0.95:
            facts["education"] = None
        if not facts["residences"] and rng.random() < 0.5:
            del facts["residences"]
        if ext == 0 and rng.random() < 0.3:
            del facts["extension_months"]
        iso: dict[str, Any] = _iso(facts)
        return iso


def _iso(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _iso(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_iso(x) for x in v]
    return v


def random_facts(rng_or_seed: int | FactsGenerator = 0) -> dict[str, Any]:
    gen = rng_or_seed if isinstance(rng_or_seed, FactsGenerator) else FactsGenerator(rng_or_seed)
    return gen.facts()


def iter_population(n: int, seed: int = 0, as_of: dt.date | None = None) -> Iterator[dict[str, Any]]:
    gen = FactsGenerator(seed, as_of)
    for _ in range(n):
        yield gen.facts()


def population(n: int, seed: int = 0, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """``n`` random persons' facts (deterministic for a seed); ``as_of`` adds it as a boundary date."""
    return list(iter_population(n, seed, as_of))


# --- comparing the vectorised path with the per-person engine ------------------------


def normalised(result: dict[str, Any]) -> dict[str, Any]:
    """A per-person ``to_json(explanations=False)`` with ``errors`` and ``deviations`` sorted
    (the vectorised path returns them sorted; the per-person engine in order of discovery)."""
    out = {k: v for k, v in result.items() if k != "explanations"}
    out["errors"] = sorted(out["errors"])
    out["deviations"] = sorted(out["deviations"])
    return out


def per_person(
    facts_list: Sequence[dict[str, Any]], as_of: dt.date, params: ParameterSet | None = None
) -> list[dict[str, Any]]:
    from nir.rules.engine import evaluate

    return [normalised(evaluate(f, as_of, params).to_json(explanations=False)) for f in facts_list]


def differences(expected: dict[str, Any], actual: dict[str, Any], prefix: str = "") -> list[str]:
    """The value paths where two results differ (``intro.deadline: '2028-01-19' != '2028-01-18'``)."""
    out: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        a, b = expected.get(key, "<mangler>"), actual.get(key, "<mangler>")
        path = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict) and key != "closed":
            out.extend(differences(a, b, path + "."))
        elif a != b or type(a) is not type(b):
            out.append(f"{path}: {a!r} != {b!r}")
    return out


def disagreements(
    facts_list: Sequence[dict[str, Any]],
    as_of: dt.date,
    params: ParameterSet | None = None,
    *,
    expected: list[dict[str, Any]] | None = None,
    actual: list[dict[str, Any]] | None = None,
) -> list[tuple[int, list[str]]]:
    """(index, differences) for every person where the vectorised and per-person results differ."""
    from nir.rules import vector

    expected = per_person(facts_list, as_of, params) if expected is None else expected
    actual = vector.evaluate_batch(facts_list, as_of, params) if actual is None else actual
    if len(expected) != len(actual):
        return [(-1, [f"{len(expected)} results per person, {len(actual)} vectorised"])]
    return [(i, d) for i, (e, a) in enumerate(zip(expected, actual)) if (d := differences(e, a))]
