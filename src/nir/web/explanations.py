"""The Regelmotor's explanations as the pages show them — the one renderer, used by the person page
(*NIR - Kategori*, *Gjennomføringsfrist*, the registrations not taken into account) and by
``/regelmotor/forklar/<duf>/``.

A caseworker sees the law and the facts in plain Norwegian: the step's text with codes and municipality
numbers replaced by their names, the legal source with the acts written out («Integreringsloven § 8
første ledd»; the specification's own references, ``regelmotor.md § 4``, left out), the facts as
labelled values, a reference to a registration (``settlements[0]``) as what it is («bosatt i Trondheim
01.02.2024, etter avtale»), and the parameters by what they mean («Øvre aldersgrense …: 55 år»).

IMDi's fagansvarlige (``Permission.RULES_DETAIL``) also get the technical detail of each step under
«For fagansvarlige»: the rule id, the source as written in the rules, the facts by key and path, and the
parameters by key with their validity. ``detail`` is decided by the caller from the user
(``shows_detail``); the plain rendering never contains it.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nir import codes
from nir.access import policy
from nir.access.read import place_names
from nir.register.explain import CATEGORY_LABELS, LAW_LABELS
from nir.reports.worklist import ERROR_LABELS
from nir.rules import parameters

# The facts named in the engine's explanations (nir.rules: Explanation.facts).
FACT_LABELS = {
    "age_at_decision": gettext_lazy("Age when the permit was granted"),
    "allowed_months": gettext_lazy("Extension allowed (months)"),
    "applied_from_abroad": gettext_lazy("Applied from abroad"),
    "applied_from_abroad_inferred": gettext_lazy("Applied from abroad (inferred)"),
    "arrival_date": gettext_lazy("Arrival in Norway"),
    "basis": gettext_lazy("Basis of the permit"),
    "birth_date": gettext_lazy("Date of birth"),
    "by_agreement": gettext_lazy("Settled by agreement"),
    "category": gettext_lazy("Category"),
    "closed_on": gettext_lazy("Closed on"),
    "collective_protection_permit": gettext_lazy("Permit under collective protection"),
    "current_permit": gettext_lazy("Current permit"),
    "deadline_before": gettext_lazy("Deadline before the extension"),
    "decision_date": gettext_lazy("Decision date"),
    "decisions": gettext_lazy("Decisions"),
    "education": gettext_lazy("Education"),
    "end_date": gettext_lazy("End date"),
    "ended": gettext_lazy("Ended"),
    "extension_months": gettext_lazy("Extension (months)"),
    "final_goal": gettext_lazy("Final goal"),
    "il_9_letter": gettext_lazy("Letter of il. section 9"),
    "leave_workdays": gettext_lazy("Leave (workdays)"),
    "lives_in_municipality_from": gettext_lazy("Lives in a municipality from"),
    "not_counted": gettext_lazy("Not counted"),
    "participation": gettext_lazy("Decision on participation"),
    "periods": gettext_lazy("Periods"),
    "permit": gettext_lazy("Permit"),
    "result": gettext_lazy("Result"),
    "scheme": gettext_lazy("Scheme"),
    "settlement": gettext_lazy("Settlement"),
    "settlement_date": gettext_lazy("Settlement date"),
    "start": gettext_lazy("Start"),
    "start_date": gettext_lazy("Start date"),
    "type": gettext_lazy("Decision type"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_to": gettext_lazy("Valid to"),
    "window_start": gettext_lazy("Two-year window from"),
    "workdays": gettext_lazy("Workdays"),
}
# Facts whose values are codes of a code list (shown with the list's label).
FACT_CODE_LISTS = {
    "basis": "permit_basis",
    "type": "decision_type",
    "scheme": "scheme",
    "result": "decision_result",
    "education": "education",
    "final_goal": "final_goal",
    "kind": "absence_kind",
}
# The code lists whose codes may appear in an explanation's text.
TEXT_CODE_LISTS = ("permit_basis", "decision_type", "scheme", "final_goal", "absence_kind", "education")

UNITS = {
    "year": gettext_lazy("years"),
    "month": gettext_lazy("months"),
    "workdays": gettext_lazy("workdays"),
    "hours per week": gettext_lazy("hours per week"),
}

# The acts and sources as the rules abbreviate them, written out (Norwegian names: legal sources).
ACTS = (
    ("il. ", "Integreringsloven "),
    ("if. ", "Integreringsforskriften "),
    ("utl. ", "Utlendingsloven "),
    ("introduksjonsloven ", "Introduksjonsloven "),
    ("introl. ", "Introduksjonsloven "),
    ("004", "IMDi: endringer i NIR fra 1.1.2026"),
)
# Parts of a source that refer to the specification, not to the law: left out for caseworkers.
SPEC_REFERENCE = re.compile(r"^regelmotor\.md\b")
PATH = re.compile(r"^(?:facts\.)?(permits|settlements|residences|decisions|absences)\[(\d+)\]$")
TEXT_CODE = re.compile(r"'([a-z][a-z0-9_]*)'|\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")


def shows_detail(user) -> bool:
    """Whether ``user`` sees the technical detail «For fagansvarlige» (IMDi)."""
    return policy.allows(user, policy.Permission.RULES_DETAIL)


# --- values ------------------------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def value_text(value: Any) -> str:
    """A value as the pages show it: dates dd.mm.yyyy, Ja/Nei, lists joined, nothing as «–»."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    day = _date(value)
    if day is not None:
        return day.strftime("%d.%m.%Y")
    if isinstance(value, dict):
        return ", ".join(value_text(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) or _("none")
    return str(value)


def _label(list_name: str, code: Any) -> str:
    if not isinstance(code, str) or not code:
        return value_text(code)
    return codes.label(list_name, code)


@cache
def _text_codes() -> dict[str, str]:
    out: dict[str, str] = {}
    for scheme in ("intro", "norwegian"):  # the categories («personens kategori er 'may_be_offered'»)
        for code, label in CATEGORY_LABELS[scheme].items():
            out.setdefault(code, label)
    for name in TEXT_CODE_LISTS:
        for c in codes.code_list(name).codes:
            out.setdefault(c.code, c.label)
    return out


def _municipality(number: Any) -> str:
    if not number:
        return "–"
    return place_names().get(str(number), str(number))


# --- what a fact reference (``settlements[0]``) is --------------------------------------------


def registration_phrase(path: Any, facts: dict[str, Any] | None) -> str:
    """The registration a fact path refers to, in words: «bosatt i Trondheim 01.02.2024, etter avtale».
    An unknown path (or no facts to look in) is «en registrering»."""
    match = PATH.match(str(path)) if isinstance(path, str) else None
    if not match or not facts:
        return _("a registration")
    key, index = match.group(1), int(match.group(2))
    items = facts.get(key) or []
    if index >= len(items) or not isinstance(items[index], dict):
        return _("a registration")
    f = items[index]
    if key == "permits":
        return _("permit %(basis)s granted %(date)s") % {
            "basis": _label("permit_basis", f.get("basis")),
            "date": value_text(f.get("decision_date")),
        }
    if key == "settlements":
        text = _("settled in %(place)s %(date)s") % {
            "place": _municipality(f.get("municipality")),
            "date": value_text(f.get("date")),
        }
        return text + (", " + _("by agreement") if f.get("by_agreement") is True else "")
    if key == "residences":
        return _("lives in %(place)s from %(date)s") % {
            "place": _municipality(f.get("municipality")),
            "date": value_text(f.get("from")),
        }
    if key == "decisions":
        return _("decision %(type)s %(date)s") % {
            "type": f"«{_label('decision_type', f.get('type'))}»",
            "date": value_text(f.get("decision_date")),
        }
    return _("%(kind)s from %(start)s to %(end)s") % {
        "kind": _label("absence_kind", f.get("kind")),
        "start": value_text(f.get("from")),
        "end": value_text(f.get("to")),
    }


def _fact_value(key: str, value: Any, facts: dict[str, Any] | None) -> str:
    if isinstance(value, str) and PATH.match(value):
        return registration_phrase(value, facts)
    if isinstance(value, dict) and "path" in value:
        return registration_phrase(value["path"], facts)
    if isinstance(value, list) and value and all(isinstance(v, (dict, str)) for v in value):
        if all(isinstance(v, dict) or PATH.match(v) for v in value):
            return "; ".join(_fact_value(key, v, facts) for v in value)
    list_name = FACT_CODE_LISTS.get(key)
    if list_name and isinstance(value, str) and value:
        return codes.label(list_name, value)
    if isinstance(value, str) and value in _text_codes():  # a category, or a code of another list
        return _text_codes()[value]
    return value_text(value)


# --- the law, and the text ------------------------------------------------------------------------


def legal_source(source: str) -> str:
    """A rule's legal source for caseworkers: the acts written out, the specification's references
    left out. «il. § 32; regelmotor.md § 4 (…)» → «Integreringsloven § 32»."""
    parts = []
    for part in (p.strip() for p in (source or "").split(";")):
        if not part or SPEC_REFERENCE.match(part):
            continue
        for short, long in ACTS:
            if part.startswith(short):
                part = long + part[len(short) :]
                break
        parts.append(part)
    return "; ".join(parts)


def plain_text(text: str, step_facts: dict[str, Any] | None, facts: dict[str, Any] | None) -> str:
    """A step's text with the codes in it by their labels and the municipality numbers of the
    registrations it refers to by their names."""
    for value in _referenced(step_facts):
        match = PATH.match(value)
        if match and facts and match.group(1) in ("settlements", "residences"):
            items = facts.get(match.group(1)) or []
            index = int(match.group(2))
            number = items[index].get("municipality") if index < len(items) else None
            if number:
                text = re.sub(rf"\b{re.escape(str(number))}\b", _municipality(number), text)
    known = _text_codes()

    def replace(m: re.Match) -> str:
        code = m.group(1) or m.group(2)
        label = known.get(code)
        if label is None:
            return m.group(0)
        return f"«{label}»" if m.group(1) else label

    return TEXT_CODE.sub(replace, text)


def _referenced(step_facts: dict[str, Any] | None) -> list[str]:
    out = []
    for value in (step_facts or {}).values():
        if isinstance(value, str) and PATH.match(value):
            out.append(value)
        elif isinstance(value, list):
            out += [v["path"] for v in value if isinstance(v, dict) and isinstance(v.get("path"), str)]
            out += [v for v in value if isinstance(v, str) and PATH.match(v)]
    return out


def parameter_label(name: str) -> str:
    """What a parameter means: its description, for a final goal's parameters with the goal's name."""
    try:
        description = parameters.default().parameter(name).description
    except KeyError:
        return _("A value of the rules")
    # a description may name the parameter file's own field; a caseworker reads the page's column title
    description = description.replace("valid_from", "«gyldig fra»").rstrip(".")
    parts = name.split(".")
    if len(parts) == 4 and parts[:2] == ["intro", "final_goal"]:
        return f"{codes.label('final_goal', parts[2])}: {description}"
    return description


def _parameter_unit(name: str) -> str:
    try:
        unit = parameters.default().parameter(name).unit
    except KeyError:
        return ""
    return str(UNITS.get(unit, ""))


# --- steps ---------------------------------------------------------------------------------------


def step(raw: dict[str, Any], facts: dict[str, Any] | None, detail: bool) -> dict[str, Any]:
    """One explanation step (``Explanation.to_json()`` or ``RuleError.to_json()``) for the pages."""
    step_facts = {k: v for k, v in (raw.get("facts") or {}).items() if k != "path"}
    params = raw.get("parameters") or []
    subject = raw.get("subject") or (raw.get("facts") or {}).get("path") or ""
    out: dict[str, Any] = {
        "text": plain_text(raw.get("text", ""), raw.get("facts"), facts),
        "source": legal_source(raw.get("source", "")),
        "verified": bool(raw.get("verified", True)),
        "facts": [
            {"label": FACT_LABELS[k], "value": _fact_value(k, v, facts)}
            for k, v in step_facts.items()
            if k in FACT_LABELS  # a fact without a label is for the fagansvarlige only
        ],
        "parameters": [
            {
                "label": parameter_label(p["name"]),
                "value": value_text(p["value"]),
                "unit": _parameter_unit(p["name"]),
                "source": legal_source(p.get("source", "")),
                "verified": p.get("verified", True),
            }
            for p in params
        ],
        "subject": registration_phrase(subject, facts) if subject else "",
        "detail": None,
    }
    if detail:
        out["detail"] = {
            "rule": raw.get("rule", ""),
            "source": raw.get("source", ""),
            "text": raw.get("text", ""),
            "subject": subject,
            "facts": [{"key": k, "value": value_text(v)} for k, v in (raw.get("facts") or {}).items()],
            "parameters": [
                {
                    "name": p["name"],
                    "value": value_text(p["value"]),
                    "source": p.get("source", ""),
                    "valid_from": _date(p.get("valid_from")),
                    "valid_to": _date(p.get("valid_to")),
                }
                for p in params
            ],
        }
    return out


def steps(
    explanations: dict[str, list[dict[str, Any]]], keys, facts: dict[str, Any] | None, detail: bool
) -> list[dict[str, Any]]:
    """The steps of the explanation ``keys`` (``intro.deadline``, …) of a result document, in order."""
    return [step(s, facts, detail) for key in keys for s in explanations.get(key, [])]


def derived_status_text(field_name: str, value: Any) -> str | None:
    """A stored DerivedStatus value the history shows in words (the act by name, the rule errors by
    what they mean instead of their rule ids); None for a value shown as it is."""
    if field_name == "law" and value:
        return LAW_LABELS.get(value, value)
    if field_name == "errors" and isinstance(value, list):
        return "; ".join(str(ERROR_LABELS.get(rule, _("a registration that breaks a rule"))) for rule in value)
    return None
