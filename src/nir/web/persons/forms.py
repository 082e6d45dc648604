"""The «+ Legg til» forms of the person page: one per registration kind.

The kinds, their slugs, input specs and defaults are the registry's (``nir.register.kinds``, as
the API's and the interchange format's); this module adds what the page shows: labels, titles,
sections and schemes. The form posts the interchange keys, the dates typed as
dd.mm.åååå (or ÅÅÅÅ-MM-DD) are turned into ISO dates and decimal commas into points, and then
``interchange.parse_fields`` parses them exactly as for the API and imports. Codes, municipalities,
periods and the Regelmotor's rules are checked by ``services.register`` — nothing is judged here.

What the caseworker does not type is filled in: the scheme (``?ordning=``) and, for decisions,
final goals and terminations, the follow-up municipality/district (oppf.kommune/bydel) on the
fact's date (else today), from the person's follow-up periods.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nir import codes
from nir.register import kinds
from nir.register import models as m
from nir.register.errors import Problem
from nir.register.history import follow_up_on
from nir.register.interchange import parse_fields

INTRO, NORWEGIAN = "intro", "norwegian"
SCHEMES = (INTRO, NORWEGIAN)

# Keys the page fills in, never typed.
AUTO_KEYS = ("scheme", "follow_up_municipality", "follow_up_district")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the interchange key, also the form field's name
    label: Promise | str
    kind: str  # date | select | decimal | int | text | yesno
    required: bool
    code_list: str = ""
    hint: Promise | str = ""
    grouped: bool = False  # options grouped by the code list's groups (<optgroup>)
    all_codes: bool = False  # every code, not only those valid today (final goals: valid by programme start)
    max_length: int | None = None


@dataclass(frozen=True)
class Kind:
    registration: kinds.RegistrationKind  # the registry's kind: slug, name, model, input spec, defaults
    section: str  # the section kind it belongs to (vedtak, sluttmaal, …)
    title: Promise | str  # «Legg til vedtak»
    subject: Promise | str  # «Vedtak»: names a refusal that belongs to no single field
    saved: Promise | str  # the success message
    schemes: tuple[str, ...]  # allowed ?ordning= values; () for a kind without a scheme
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    @property
    def slug(self) -> str:
        """URL: /personer/<duf>/ny/<slug>/."""
        return self.registration.slug

    @property
    def key(self) -> str:
        """The kind's name in the write path, the API and the audit log (decisions, final_goal, …)."""
        return self.registration.name

    @property
    def model(self) -> type[m.Registration]:
        return self.registration.model

    @property
    def spec(self) -> tuple:
        return self.registration.spec

    def default(self, name: str) -> str:
        """The value a field shows and takes when left empty (Resultat: Vedtak fattet)."""
        return self.registration.defaults.get(name, "")

    def section_id(self, scheme: str | None) -> str:
        return f"{self.section}-{scheme}" if self.schemes else self.section


_DATE_HINT = gettext_lazy("dd.mm.yyyy")


def _date(name, label, required=False):
    return FieldSpec(name, label, "date", required, hint=_DATE_HINT)


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            kinds.get("decisions"),
            "vedtak",
            gettext_lazy("Add decision"),
            gettext_lazy("Decision"),
            gettext_lazy("The decision is registered."),
            SCHEMES,
            (
                FieldSpec("type", gettext_lazy("Decision type"), "select", True, "decision_type"),
                FieldSpec("result", gettext_lazy("Result"), "select", False, "decision_result"),
                _date("decision_date", gettext_lazy("Decision date"), True),
                _date("start_date", gettext_lazy("Start date")),
                _date("end_date", gettext_lazy("End date")),
            ),
        ),
        Kind(
            kinds.get("final_goal"),
            "sluttmaal",
            gettext_lazy("Add final goal"),
            gettext_lazy("Final goal"),
            gettext_lazy("The final goal is registered."),
            (INTRO,),
            (
                FieldSpec(
                    "final_goal", gettext_lazy("Final goal"), "select", True, "final_goal", grouped=True, all_codes=True
                ),
            ),
        ),
        Kind(
            kinds.get("extension"),
            "sluttmaal",
            gettext_lazy("Add extension"),
            gettext_lazy("Extension"),
            gettext_lazy("The extension is registered."),
            (INTRO,),
            (
                FieldSpec("months", gettext_lazy("Number of months"), "int", True),
                _date("decision_date", gettext_lazy("Decision date")),
            ),
        ),
        Kind(
            kinds.get("terminations"),
            "avslutning",
            gettext_lazy("Add termination"),
            gettext_lazy("Termination"),
            gettext_lazy("The termination is registered."),
            SCHEMES,
            (
                FieldSpec("type", gettext_lazy("Termination"), "select", True, "termination_type"),
                FieldSpec("reason", gettext_lazy("Termination reason"), "select", False, "termination_reason"),
                FieldSpec("hours_work_per_week", gettext_lazy("Hours of work per week"), "decimal", False),
                _date("date", gettext_lazy("Termination date"), True),
            ),
        ),
        Kind(
            kinds.get("participation"),
            "deltakelse",
            gettext_lazy("Add participation"),
            gettext_lazy("Participation"),
            gettext_lazy("The participation is registered."),
            SCHEMES,
            (
                _date("from", gettext_lazy("From date"), True),
                _date("to", gettext_lazy("To date"), True),
                FieldSpec("hours", gettext_lazy("Number of hours"), "decimal", True),
            ),
        ),
        Kind(
            kinds.get("measures"),
            "deltakelse",
            gettext_lazy("Add measure"),
            gettext_lazy("Measure"),
            gettext_lazy("The measure is registered."),
            SCHEMES,
            (
                FieldSpec("measure", gettext_lazy("Measure"), "select", True, "measure", grouped=True),
                _date("from", gettext_lazy("From date"), True),
                _date("to", gettext_lazy("To date")),
                FieldSpec("hours_per_week", gettext_lazy("Hours per week"), "decimal", False),
            ),
        ),
        Kind(
            kinds.get("absences"),
            "fravaer",
            gettext_lazy("Add absence or leave"),
            gettext_lazy("Absence and leave"),
            gettext_lazy("The absence or leave is registered."),
            SCHEMES,
            (
                FieldSpec("kind", gettext_lazy("Kind of absence or leave"), "select", True, "absence_kind"),
                _date("from", gettext_lazy("From date"), True),
                _date("to", gettext_lazy("To date"), True),
            ),
        ),
        Kind(
            kinds.get("career_guidance"),
            "karriereveiledning",
            gettext_lazy("Add career guidance"),
            gettext_lazy("Career guidance"),
            gettext_lazy("The career guidance is registered."),
            (),
            (
                _date("date", gettext_lazy("Date"), True),
                FieldSpec("kind", gettext_lazy("Kind of guidance"), "select", True, "career_guidance_kind"),
                FieldSpec(
                    "recommended_final_goal",
                    gettext_lazy("Recommended final goal"),
                    "select",
                    False,
                    "final_goal",
                    grouped=True,
                    all_codes=True,
                ),
                FieldSpec("organisation", gettext_lazy("Career centre"), "text", False, max_length=40),
            ),
        ),
        Kind(
            kinds.get("competence_mappings"),
            "kartlegging",
            gettext_lazy("Add competence mapping"),
            gettext_lazy("Competence mapping"),
            gettext_lazy("The competence mapping is registered."),
            (),
            (
                _date("date", gettext_lazy("Date"), True),
                FieldSpec("kind", gettext_lazy("Kind of mapping"), "select", True, "competence_mapping_kind"),
                FieldSpec("organisation", gettext_lazy("Carried out by"), "text", False, max_length=40),
            ),
        ),
        Kind(
            kinds.get("exams"),
            "prover",
            gettext_lazy("Add test result"),
            gettext_lazy("Test"),
            gettext_lazy("The test result is registered."),
            (),
            (
                FieldSpec("type", gettext_lazy("Test"), "select", True, "exam_type", grouped=True),
                _date("date", gettext_lazy("Test date"), True),
                FieldSpec("result", gettext_lazy("Result"), "select", True, "exam_result"),
                FieldSpec(
                    "level",
                    gettext_lazy("Level"),
                    "text",
                    False,
                    hint=gettext_lazy("The level reached on a Norwegian test: A1, A2, B1, B2 or C1"),
                    max_length=2,
                ),
                FieldSpec("organisation", gettext_lazy("Test centre"), "text", False, max_length=40),
            ),
        ),
        # The grants' facts (grants.md A.1.1).
        Kind(
            kinds.get("family_reunification"),
            "tilskudd",
            gettext_lazy("Add family reunification"),
            gettext_lazy("Family reunification"),
            gettext_lazy("The family reunification is registered."),
            (),
            (
                FieldSpec(
                    "reference_person", gettext_lazy("Reference person (DUF number)"), "text", False, max_length=12
                ),
                FieldSpec(
                    "reference_basis_at_grant",
                    gettext_lazy("Reference person's permit when the family permit was granted"),
                    "select",
                    False,
                    "permit_basis",
                    all_codes=True,
                ),
                _date("reference_first_settlement_date", gettext_lazy("Reference person's first settlement")),
                _date("application_date", gettext_lazy("Application date")),
                FieldSpec(
                    "reference_nordic_citizen",
                    gettext_lazy("Reference person is a Norwegian or Nordic citizen"),
                    "yesno",
                    False,
                ),
                FieldSpec(
                    "reference_is_family_immigrant",
                    gettext_lazy("Reference person came by family immigration"),
                    "yesno",
                    False,
                ),
            ),
        ),
        Kind(
            kinds.get("upper_secondary_enrolments"),
            "tilskudd",
            gettext_lazy("Add upper-secondary education"),
            gettext_lazy("Upper-secondary education"),
            gettext_lazy("The upper-secondary education is registered."),
            (),
            (
                _date("from", gettext_lazy("From date"), True),
                _date("to", gettext_lazy("To date")),
                FieldSpec("full_time", gettext_lazy("Full time"), "yesno", True),
                FieldSpec("county", gettext_lazy("County number"), "text", True, max_length=2),
            ),
        ),
        Kind(
            kinds.get("reception_stays"),
            "tilskudd",
            gettext_lazy("Add reception centre stay"),
            gettext_lazy("Reception centre stay"),
            gettext_lazy("The reception centre stay is registered."),
            (),
            (
                FieldSpec("centre", gettext_lazy("Reception centre"), "text", True, max_length=100),
                FieldSpec("host_municipality", gettext_lazy("Host municipality number"), "text", True, max_length=4),
                _date("from", gettext_lazy("From date"), True),
                _date("to", gettext_lazy("To date")),
            ),
        ),
        Kind(
            kinds.get("extra_grant_cases"),
            "tilskudd",
            gettext_lazy("Add extra grant application"),
            gettext_lazy("Extra grant application"),
            gettext_lazy("The extra grant application is registered."),
            (),
            (
                FieldSpec("type", gettext_lazy("Extra grant"), "select", True, "extra_grant_type"),
                FieldSpec("grant_year", gettext_lazy("Grant year"), "int", True),
                _date("applied_at", gettext_lazy("Application date")),
                FieldSpec("amount_applied", gettext_lazy("Amount applied for"), "decimal", False),
                FieldSpec("amount_granted", gettext_lazy("Amount granted"), "decimal", False),
                _date("decided_at", gettext_lazy("Decision date")),
            ),
        ),
    )
}


# --- options ----------------------------------------------------------------------------------


def group_label(group: str) -> str:
    """A code list's group as NIR shows it (the data spell «sluttmaal» the old ASCII way)."""
    return group.replace("sluttmaal", "sluttmål").replace("Sluttmaal", "Sluttmål")


def options(f: FieldSpec, scheme: str | None, day: dt.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The select's options as [(group label or "", [(code, label), …]), …]: the codes valid on
    ``day`` (every code where ``all_codes``), decision types only of the scheme."""
    cl = codes.code_list(f.code_list)
    chosen = [c for c in cl.codes if f.all_codes or c.valid_on(day)]
    if f.code_list == "decision_type" and scheme:
        chosen = [c for c in chosen if scheme in (c.attrs.get("schemes") or [scheme])]
    # codes sharing a label (three permit bases are «Utlendingsloven 2008 kap. 6») are told apart by description
    shared = {c.label for c in chosen if sum(o.label == c.label for o in chosen) > 1}
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for c in chosen:
        label = group_label(c.group) if f.grouped else ""
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        text = f"{c.label} – {c.description}" if c.label in shared and c.description else c.label
        groups[-1][1].append((c.code, text))
    return groups


# --- reading a posted form ----------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def to_iso_date(raw: str) -> str:
    """dd.mm.åååå (or d.m.åååå) → ÅÅÅÅ-MM-DD, also for a day that does not exist (31.02.2026 →
    2026-02-31: the parser then says «31.02.2026 finnes ikke»); anything else unchanged (the parser
    judges it)."""
    match = _DMY.match(raw)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return raw


def _convert(f: FieldSpec, raw: str) -> Any:
    if raw == "":
        return None
    if f.kind == "date":
        return to_iso_date(raw)
    if f.kind == "decimal":
        return raw.replace(" ", "").replace(",", ".")
    if f.kind == "int":
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else raw
    if f.kind == "yesno":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


@dataclass
class FormError:
    field: str  # the form field (its name), or "" for the form as a whole
    label: str  # the field's label (or the kind's subject)
    message: str
    rule: str = ""


@dataclass
class Submission:
    kind: Kind
    scheme: str | None
    raw: dict[str, str]  # what was typed, to show again
    values: dict[str, Any] | None = None  # model values, when they parsed
    errors: list[FormError] = field(default_factory=list)


def _fact_day(kind: Kind, values: dict[str, Any]) -> dt.date | None:
    for fname in ("decision_date", "termination_date", "start_date"):
        day = values.get(fname)
        if isinstance(day, dt.date):
            return day
    return None


def read_submission(kind: Kind, scheme: str | None, data, follow_ups: list[m.FollowUp]) -> Submission:
    """Parse a posted form (``request.POST``) with the interchange parser; the scheme and the
    follow-up municipality/district are filled in. Errors name the field in the form."""
    raw = {f.name: str(data.get(f.name, "")).strip() for f in kind.fields}
    obj: dict[str, Any] = {f.name: _convert(f, raw[f.name]) for f in kind.fields}
    spec_keys = {j for j, *_ in kind.spec}
    if "scheme" in spec_keys and scheme:
        obj["scheme"] = scheme
    problems: list[Problem] = []
    values = parse_fields(obj, kind.spec, kind.key, problems)
    sub = Submission(kind, scheme, raw)
    if problems:
        sub.errors = [error_for(kind, p) for p in problems]
        return sub
    values = kind.registration.with_defaults(values)  # a select left empty (Resultat: Vedtak fattet)
    if "follow_up_municipality" in spec_keys:
        fu = follow_up_on(follow_ups, _fact_day(kind, values) or timezone.localdate()) or follow_up_on(
            follow_ups, timezone.localdate()
        )
        values["follow_up_municipality"] = fu.municipality if fu else ""
        if "follow_up_district" in spec_keys:
            values["follow_up_district"] = fu.district if fu else ""
    sub.values = values
    return sub


def error_for(kind: Kind, problem: Problem) -> FormError:
    """A problem of the parser, the register's validation or the Regelmotor, on the form's field.

    Fields are named ``decisions.type`` (the parser: interchange keys), ``decisions.decision_type``
    (validation: model fields), ``final_goal``/``extension_months`` (plain values) or
    ``decisions.decisions[1]`` (the Regelmotor: the registration as a whole). A problem with no
    field of the form (the Regelmotor's, or one of a filled-in value) is shown on the first field:
    what the caseworker chose is what was refused.
    """
    name = problem.field
    for prefix in (f"{kind.key}.", f"{kind.model.FACT_KEY}."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    name = name.split(".")[0]
    to_key = {f: j for j, f, _k, _r in kind.spec}
    name = {"extension_months": "months", "goal": "final_goal"}.get(name, to_key.get(name, name))
    by_name = {f.name: f for f in kind.fields}
    f = by_name.get(name)
    message = problem.message
    if f is not None and f.kind == "date" and problem.rule == "type":
        message = _("must be a date written as dd.mm.yyyy, e.g. 05.01.2026")
    if f is None:
        f = kind.fields[0]
    return FormError(f.name, str(f.label), message, problem.rule)


def field_context(kind: Kind, scheme: str | None, sub: Submission | None, form_id: str) -> list[dict]:
    """What the template needs for each field: id, label, value, options, errors."""
    today = timezone.localdate()
    out = []
    for f in kind.fields:
        value = sub.raw.get(f.name, "") if sub is not None else kind.default(f.name)
        errors = [e.message for e in (sub.errors if sub is not None else []) if e.field == f.name]
        out.append(
            {
                "name": f.name,
                "id": f"{form_id}-{f.name}",
                "label": f.label,
                "kind": "select" if f.kind == "yesno" else f.kind,
                "required": f.required,
                "hint": f.hint,
                "value": value,
                "errors": errors,
                "options": (
                    options(f, scheme, today)
                    if f.kind == "select"
                    else [("", [("true", _("Yes")), ("false", _("No"))])]
                    if f.kind == "yesno"
                    else None
                ),
                "max_length": f.max_length,
                "inputmode": "decimal" if f.kind == "decimal" else "numeric" if f.kind == "int" else "",
            }
        )
    return out
