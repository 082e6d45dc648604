"""The Regelmotor's judgement of a write: this module only judges, it stores nothing.

On every write the person is evaluated after the write (and, when that result has rule errors,
before it, to compare): a registration that brings a new rule error is refused with the rule's
message (``judge_write``); a registration that breaks a plausibility error rule is refused on the field
that is wrong, and its plausibility warnings are returned to be kept (``judge_plausibility``,
``nir.rules.plausibility``). What the rules derive becomes a ``DerivedStatus`` (``status_values``)
and the automatic closures ``Termination`` rows (``plan_closures``), both registered by
``Regelmotor``. The rules themselves live in ``nir.rules``; this module feeds them facts and says
what their result means for the register. Storing what it judged is the register's storage code
(``nir.register.services``: ``rules_guard``, ``store_result``), called by the action layer
(``nir.actions``); the bulk write path (``services.register_many``) judges many writes in memory
with the same pieces (``before_write``, ``judge_write``, ``plan_closures``, ``status_changed``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from nir import codes, rules
from nir.register import kinds
from nir.register import models as m
from nir.register.actors import REGELMOTOR, Actor
from nir.register.errors import Problem, RegistrationRefused
from nir.register.history import rows_for
from nir.register.interchange import facts_to_line
from nir.register.snapshot_sql import current_rows
from nir.rules import plausibility
from nir.rules.version import RULES_VERSION

# The registrations the rules engine reads.
ENGINE_MODELS = (
    m.PersonDetails,
    m.ResidencePermit,
    m.Residence,
    m.Settlement,
    m.Decision,
    m.FinalGoal,
    m.Extension,
    m.Absence,
)
REGELMOTOR_ACTOR = Actor.for_system(REGELMOTOR)

AUTO_CLOSE_SCHEME = "intro"


def facts_from_rows(person: m.Person, rows: list[m.Registration]) -> dict[str, Any]:
    """The Regelmotor's facts of ``person`` from their rows (dates as ``datetime.date``)."""
    facts: dict[str, Any] = facts_to_line(person, rows, with_registered_at=False, typed=True)["facts"]
    return facts


def person_facts(person: m.Person, known_at: dt.datetime | None = None) -> dict[str, Any]:
    """The person's facts (interchange format) as the register holds them at ``known_at`` (None: now)."""
    if known_at is None:
        return facts_from_rows(person, current_rows(person.pk, ENGINE_MODELS))  # one round trip
    return facts_from_rows(person, rows_for([person.pk], known_at, models=ENGINE_MODELS)[person.pk])


def evaluate_person(
    person: m.Person, *, as_of: dt.date | None = None, known_at: dt.datetime | None = None
) -> rules.Result:
    as_of = as_of or (timezone.localdate(known_at) if known_at else timezone.localdate())
    return rules.evaluate(person_facts(person, known_at), as_of)


def status_values(result: rules.Result) -> dict[str, Any]:
    """The DerivedStatus field values of an engine result."""
    intro, nor = result.intro, result.norwegian
    devs = set(result.deviations)
    return {
        "as_of": result.as_of,
        "law": result.law,
        "intro_category": intro.category,
        "intro_start_date": intro.start_date,
        "intro_deadline": intro.deadline,
        "intro_base_deadline": intro.base_deadline,
        "intro_absence_workdays": intro.absence_workdays,
        "intro_closed_date": intro.closed.date if intro.closed else None,
        "norwegian_category": nor.category,
        "norwegian_start_date": nor.start_date,
        "norwegian_deadline": nor.deadline,
        "norwegian_leave_workdays": nor.leave_workdays,
        "deviation_final_goal_missing": "final_goal_missing" in devs,
        "deviation_final_goal_2026_before_2026_start": "final_goal_2026_before_2026_start" in devs,
        "deviation_final_goal_expired": "final_goal_expired" in devs,
        "errors": sorted(result.error_ids),
        "rules_version": RULES_VERSION,
    }


def _code_by_label(list_name: str, label: str) -> str:
    for c in codes.code_list(list_name).codes:
        if c.label == label:
            return c.code
    raise LookupError(f"no code with label {label!r} in {list_name}")


def is_auto_closure(row: m.Termination) -> bool:
    """Whether ``row`` is one of the Regelmotor's own automatic closures (avslutninger)."""
    return (
        row.scheme == AUTO_CLOSE_SCHEME
        and row.registered_by_kind == m.ActorKind.SYSTEM
        and row.registered_by_system == REGELMOTOR
    )


CLOSURE_ANNUL_REASON = "Regelmotor: vilkåret for automatisk avslutning gjelder ikke lenger"


def plan_closures(
    result: rules.Result,
    terminations: list[m.Termination],
    follow_up_municipality: Callable[[dt.date], str],
) -> tuple[list[m.Termination], dict[str, Any] | None]:
    """What makes the person's automatic avslutning match ``result``, touching nothing.

    ``terminations`` are the person's current terminations; ``follow_up_municipality(day)``
    gives the oppf.kommune on a day. Returns (the Regelmotor's closures to annul, in order;
    the values of the closure to register, or None). Shared by the single write path
    (``services.store_closures``) and the bulk one (``services.register_many``).
    """
    closure = result.intro.closed
    existing = [t for t in terminations if is_auto_closure(t)]
    if closure is None and not existing:
        return [], None
    wanted = None
    if closure is not None:
        wanted = {
            "scheme": AUTO_CLOSE_SCHEME,
            "termination_type": _code_by_label("termination_type", closure.status),
            "termination_reason": _code_by_label("termination_reason", closure.reason),
            "hours_work_per_week": None,
            "termination_date": closure.date,
            "follow_up_municipality": follow_up_municipality(closure.date),
        }
    to_annul = []
    for row in existing:
        if (
            wanted is not None
            and row.termination_type == wanted["termination_type"]
            and row.termination_reason == wanted["termination_reason"]
            and row.termination_date == wanted["termination_date"]
        ):
            wanted = None  # already registered
            continue
        to_annul.append(row)
    if wanted is not None:
        same = any(
            t.scheme == AUTO_CLOSE_SCHEME
            and t.termination_type == wanted["termination_type"]
            and t.termination_reason == wanted["termination_reason"]
            and t.termination_date == wanted["termination_date"]
            for t in terminations
        )
        if same:
            wanted = None
    return to_annul, wanted


def follow_up_municipality(person: m.Person, day: dt.date) -> str:
    """Oppf.kommune on ``day``: the follow-up period covering it, else the latest settlement before it."""
    fu = (
        m.FollowUp.objects.current()
        .filter(person=person, valid_from__lte=day)
        .exclude(valid_to__lt=day)
        .order_by("-valid_from", "-id")
        .first()
    )
    if fu is not None:
        return fu.municipality
    st = (
        m.Settlement.objects.current()
        .filter(person=person, settlement_date__lte=day)
        .order_by("-settlement_date", "-id")
        .first()
    )
    return st.municipality if st is not None else ""


def follow_up_municipality_in(follow_ups: list[m.FollowUp], settlements: list[m.Settlement], day: dt.date) -> str:
    """``follow_up_municipality`` over rows in memory (each list in registration order: id, then
    rows not yet stored in the order they will be)."""
    fus = [
        (r.valid_from, i, r)
        for i, r in enumerate(follow_ups)
        if r.valid_from <= day and not (r.valid_to is not None and r.valid_to < day)
    ]
    if fus:
        return max(fus, key=lambda t: (t[0], t[1]))[2].municipality
    sts = [(r.settlement_date, i, r) for i, r in enumerate(settlements) if r.settlement_date <= day]
    return max(sts, key=lambda t: (t[0], t[1]))[2].municipality if sts else ""


# What the guard reads about a person: the facts the engine uses and the current derived status.
GUARD_MODELS = ENGINE_MODELS + (m.DerivedStatus,)


class Changes:
    """What a write did to the person's current rows, reported by the write path to the guard.

    When every change is reported (``add``/``remove``), the guard derives the
    rows after the write in memory and reads the person only once; otherwise
    (``unknown()``, e.g. a whole-snapshot import) it reads them again.
    """

    def __init__(self) -> None:
        self.added: list[m.Registration] = []
        self.removed: set[tuple[type, int]] = set()
        self.complete = True
        # New rows the guard is to store itself, once the Regelmotor has accepted them (``insert``).
        self.pending: list[m.Registration] = []
        # Set by the guard after the write: the result it stored and the engine rows it came from.
        self.result: rules.Result | None = None
        self.engine_rows: list[m.Registration] | None = None
        # Set by the guard: the plausibility warnings of the rows the write added (stored with them).
        self.warnings: list[Problem] = []
        self.findings: list[tuple[m.Registration, list[plausibility.Finding]]] = []

    def add(self, row: m.Registration) -> None:
        self.added.append(row)

    def insert(self, row: m.Registration) -> None:
        """A new row, not saved: the guard judges the write with it and then stores it together
        with the person's new status (``write_sql.store_judged``: one round trip on PostgreSQL)."""
        self.added.append(row)
        self.pending.append(row)

    def remove(self, row: m.Registration) -> None:
        self.removed.add((type(row), row.pk))

    def unknown(self) -> None:
        self.complete = False

    def apply(self, rows: list[m.Registration]) -> list[m.Registration]:
        """The rows after the write, in model order then id order; rows not stored yet (the bulk
        path's) come after the stored ones of their model, in the order given (a stable sort),
        which is the order their ids will have."""
        kept = [r for r in rows if (type(r), r.pk) not in self.removed]
        return sorted(kept + [r for r in self.added if type(r) in _GUARD_ORDER], key=_guard_order_key)


_GUARD_ORDER = {mdl: i for i, mdl in enumerate(GUARD_MODELS)}


def _guard_order_key(r: m.Registration) -> tuple[int, bool, int]:
    return (_GUARD_ORDER[type(r)], r.pk is None, r.pk or 0)


def _stored_status_is_error_free(
    stored: m.DerivedStatus | None, engine_rows: list[m.Registration], as_of: dt.date
) -> bool:
    """True when the stored status proves the person has no rule errors now, so the guard
    need not evaluate the person before the write: it was derived on this date, by these
    rules, after every fact now current was registered, and it lists no errors."""
    return (
        stored is not None
        and not stored.errors
        and stored.as_of == as_of
        and stored.rules_version == RULES_VERSION
        and all(r.recorded_at <= stored.recorded_at for r in engine_rows)
    )


def before_write(
    person: m.Person, engine_rows: list[m.Registration], stored: m.DerivedStatus | None, as_of: dt.date
) -> rules.Result | None:
    """The person's evaluation before a write, or None when every rule error after it counts as new:
    the person has no details yet, or the stored status proves they have no rule errors now."""
    has_details = any(isinstance(r, m.PersonDetails) for r in engine_rows)
    if not has_details or _stored_status_is_error_free(stored, engine_rows, as_of):
        return None
    return rules.evaluate(facts_from_rows(person, engine_rows), as_of)


def judge_write(
    person: m.Person,
    engine_rows: list[m.Registration],
    before: rules.Result | None | Callable[[], rules.Result | None],
    as_of: dt.date,
    *,
    path: str = "",
) -> rules.Result:
    """Evaluate the person with the rows after a write; refuse (``RegistrationRefused``, with the
    rules' messages) if the write brings a rule error ``before`` did not have. Returns the result.

    ``before`` may be a function that evaluates the person before the write (``before_write``): it
    is called only when the result after the write has rule errors to compare — a write that leaves
    none brings none, whatever the person had before, so most writes evaluate the person once."""
    after = rules.evaluate(facts_from_rows(person, engine_rows), as_of)
    if not after.errors:
        return after
    if callable(before):
        before = before()
    new = rules.new_violations(before, after) if before is not None else [rules.Violation.of(e) for e in after.errors]
    if new:
        raise RegistrationRefused([Problem(violation_field(v, path), v.rule, v.message) for v in new])
    return after


def violation_field(v: rules.Violation, path: str) -> str:
    """Where a refusal by the Regelmotor is shown: on the field the rule concerns when the rule's
    subject is a fact of the kind written (``decisions`` + ``decisions[1]``, rule about the date →
    ``decisions.decision_date``); else the subject (``permits.decisions[0]``). An import line
    (``facts``) keeps the subject's index: ``facts.decisions[1].decision_date``."""
    if not path:
        return v.subject
    head = v.subject.split("[", 1)[0]
    if v.field and head == path:
        return f"{path}.{v.field}"
    if v.field and path == "facts":
        return f"{path}.{v.subject}.{v.field}"
    return f"{path}.{v.subject}"


def closing(result: rules.Result, current: m.DerivedStatus | dict[str, Any] | None) -> bool:
    """Whether terminations matter after a write: a closure is derived now or was derived by the
    status ``current`` (a row or its values), or there is no status yet. Otherwise the Regelmotor
    has no closure to register or annul, and the guard does not read the terminations."""
    return result.intro.closed is not None or closing_possible(current)


def closing_possible(current: m.DerivedStatus | dict[str, Any] | None) -> bool:
    """Whether ``closing`` can be true after a write for a person whose status is ``current``
    without the write itself deriving a closure."""
    return (
        current is None
        or (current.get("intro_closed_date") if isinstance(current, dict) else current.intro_closed_date) is not None
    )


def status_changed(current: m.DerivedStatus | dict[str, Any] | None, values: dict[str, Any]) -> bool:
    """Whether ``values`` (``status_values``) differ from the status ``current`` (a row or its values)."""
    if current is None:
        return True
    if isinstance(current, dict):
        return any(current[f] != values[f] for f in m.DerivedStatus.RESULT_FIELDS)
    return any(getattr(current, f) != values[f] for f in m.DerivedStatus.RESULT_FIELDS)


# --- plausibility (nir.rules.plausibility): the checks of one registration -------------------------


def plausibility_facts(rows: Iterable[m.Registration | tuple[type[m.Registration], dict[str, Any]]]) -> dict[str, Any]:
    """What the plausibility checks read of the person (birth date, permits, decisions) from their
    current engine rows, or (model, field values) pairs (an interchange line): a few attributes,
    without building the whole facts object."""
    facts: dict[str, Any] = {"permits": [], "decisions": []}
    for r in rows:
        model, v = r if isinstance(r, tuple) else (type(r), vars(r))
        if model is m.PersonDetails:
            facts["birth_date"] = v.get("birth_date")
        elif model is m.ResidencePermit:
            facts["permits"].append({"decision_date": v.get("decision_date")})
        elif model is m.Decision:
            facts["decisions"].append(
                {
                    "scheme": v.get("scheme"),
                    "type": v.get("decision_type"),
                    "result": v.get("result"),
                    "decision_date": v.get("decision_date"),
                    "start_date": v.get("start_date"),
                }
            )
    return facts


def plausibility_findings(
    model: type[m.Registration], values: dict[str, Any], facts: dict[str, Any], today: dt.date
) -> list[plausibility.Finding]:
    """The plausibility rules a registration of ``model`` with (model field) ``values`` breaks,
    registered on ``today`` for a person with ``facts`` (``plausibility_facts``). Fields are
    interchange keys."""
    kind = kinds.BY_MODEL.get(model)
    if kind is None:
        return []
    item = {j: values.get(f) for j, f, _k, _r in kind.spec}
    return plausibility.check(kind.name, item, facts, today)


def judge_plausibility(
    model: type[m.Registration],
    values: dict[str, Any],
    facts: dict[str, Any],
    today: dt.date,
    *,
    path: str,
    interchange: bool = False,
) -> tuple[list[Problem], list[plausibility.Finding]]:
    """Refuse the registration (``RegistrationRefused``, on the field that is wrong) if it breaks a
    plausibility error rule; else return its warnings, as problems named like the register's
    validation names fields (``path.model_field``; ``path.json_key`` for an interchange line) and
    as the findings themselves (to store)."""
    findings = plausibility_findings(model, values, facts, today)
    if not findings:
        return [], []
    spec = kinds.BY_MODEL[model].spec
    to_field = {j: f for j, f, _k, _r in spec}

    def name(key: str) -> str:
        return f"{path}.{key if interchange else to_field.get(key, key)}" if path else key

    errors = [Problem(name(f.field), f.rule, f.message) for f in findings if f.is_error]
    if errors:
        raise RegistrationRefused(errors)
    return [Problem(name(f.field), f.rule, f.message) for f in findings], findings


# --- whole-register re-evaluation ------------------------------------------------


@dataclass
class ReevaluationReport:
    as_of: dt.date
    persons: int = 0
    unchanged: int = 0
    changed: int = 0
    created: int = 0
    closures_created: int = 0
    closures_annulled: int = 0
    with_errors: int = 0
    field_changes: Counter[str] = field(default_factory=Counter)
    category_moves: Counter[tuple[str, Any, Any]] = field(default_factory=Counter)  # (scheme, old, new)

    def lines(self) -> list[str]:
        out = [
            f"Vurdert per {self.as_of:%d.%m.%Y}: {self.persons} personer, {self.changed} endret, "
            f"{self.created} nye, {self.unchanged} uendret.",
            f"Automatiske avslutninger: {self.closures_created} registrert, {self.closures_annulled} annullert. "
            f"Personer med regelbrudd: {self.with_errors}.",
        ]
        if self.field_changes:
            out.append("Endringer per felt: " + ", ".join(f"{k} {v}" for k, v in self.field_changes.most_common()))
        for (scheme, old, new), n in self.category_moves.most_common(20):
            out.append(f"  {scheme}: {old} → {new}: {n}")
        return out
