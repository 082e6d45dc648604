"""The Regelmotor pages: the rules, their parameters and code lists, the re-evaluation status, and
"explain this person".

    /regelmotor/                       every rule (id, title, legal source, verified or not), every
                                       parameter with its versions (nir.rules.parameters), the code lists
                                       the rules read (nir.codes), and how many current derived rows were
                                       derived by the rules in force; a form «Forklar en person»
    /regelmotor/?duf=…                 the form's GET: redirects to the explanation
    /regelmotor/forklar/<duf>/         one person's derived values and the chain of rules and facts
                                       behind each (the same as ``nir rules explain DUF``), audited

The rules are listed from the engine's own catalogue (``nir.rules.catalogue``, generated from the rule
declarations: grouped by legal section, each with its Lovdata link), the parameters and code lists from
the engine's data (``parameters.default()``, ``codes.all_lists()``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Count, Max, Min
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nir import codes, rules
from nir.access import audit, policy
from nir.access.persons import PersonNotFound, find_person, is_duf
from nir.isodates import parse_typed_date
from nir.register import models as m
from nir.register.derivation import evaluate_person, person_facts
from nir.register.explain import KEY_LABELS, value_label
from nir.rules import catalogue, parameters
from nir.rules.version import RULES_VERSION
from nir.web import explanations
from nir.web.persons.moves import elsewhere_or_not_found

# The code lists the rules read (docs/rules.md «Parameters»): shown first, open.
RULE_CODE_LISTS = (
    "final_goal",
    "permit_basis",
    "absence_kind",
    "decision_type",
    "termination_type",
    "termination_reason",
)

PARAMETER_FILES = {
    "law.yaml": gettext_lazy("Which act applies"),
    "intro.yaml": gettext_lazy("Introduction programme"),
    "final_goals.yaml": gettext_lazy("Final goals: duration and extension"),
    "norwegian.yaml": gettext_lazy("Norwegian and social studies"),
    "introduksjonsloven.yaml": gettext_lazy("Introduksjonsloven (repealed act)"),
    "plausibility.yaml": gettext_lazy("Plausibility of registrations"),
}
UNITS = {
    "year": gettext_lazy("years"),
    "month": gettext_lazy("months"),
    "workdays": gettext_lazy("workdays"),
    "hours per week": gettext_lazy("hours per week"),
    "date": gettext_lazy("date"),
}
# --- formatting ---------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    """A parameter value as the pages show it: dates dd.mm.yyyy, Ja/Nei, lists joined."""
    return explanations.value_text(value)


# --- the rules page ---------------------------------------------------------------------------


def parameter_groups(today: dt.date) -> list[dict]:
    """Every parameter of the shipped set with its versions, grouped by file (``parameters.default()``)."""
    params = parameters.default()
    groups: dict[str, dict] = {}
    for name in params.names():
        p = params.parameter(name)
        in_force = p.at(today)
        versions = [
            {
                "value": _value_text(v.value),
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
                "source": v.source,
                "legal_source": explanations.legal_source(v.source),
                "verified": v.verified,
                "note": v.note,
                "pending": v.valid_from is None,
                "in_force": v is in_force,
            }
            for v in sorted(p.versions, key=lambda v: (v.valid_from is None, v.valid_from or dt.date.min))
        ]
        group = groups.setdefault(
            p.file, {"file": p.file, "title": PARAMETER_FILES.get(p.file, p.file), "parameters": []}
        )
        group["parameters"].append(
            {
                "name": name,
                "label": explanations.parameter_label(name),
                "description": p.description,
                "unit": "" if p.unit == "date" else UNITS.get(p.unit, p.unit),
                "versions": versions,
            }
        )
    order = list(PARAMETER_FILES)
    return sorted(
        groups.values(), key=lambda g: (order.index(g["file"]) if g["file"] in order else len(order), g["file"])
    )


def code_lists() -> list[dict]:
    """The code lists (``nir.codes``), those the rules read first."""
    lists = codes.all_lists()
    names = [n for n in RULE_CODE_LISTS if n in lists] + sorted(n for n in lists if n not in RULE_CODE_LISTS)
    return [
        {
            "name": n,
            "title": lists[n].title,
            "source": lists[n].source,
            "legal_source": explanations.legal_source(lists[n].source or ""),
            "used_by_rules": n in RULE_CODE_LISTS,
            "codes": lists[n].codes,
        }
        for n in names
    ]


def reevaluation_status() -> dict:
    """How many current DerivedStatus rows each rules version derived: one GROUP BY query."""
    rows = list(
        m.DerivedStatus.objects.current()
        .order_by()
        .values("rules_version")
        .annotate(n=Count("id"), oldest=Min("as_of"), newest=Max("as_of"))
    )
    for row in rows:
        row["current"] = row["rules_version"] == RULES_VERSION
    rows.sort(key=lambda r: (not r["current"], -r["n"], r["rules_version"]))
    current = sum(r["n"] for r in rows if r["current"])
    total = sum(r["n"] for r in rows)
    return {
        "version": RULES_VERSION,
        "rows": rows,
        "total": total,
        "current": current,
        "older": total - current,
        "oldest": min((r["oldest"] for r in rows), default=None),
        "newest": max((r["newest"] for r in rows), default=None),
    }


@never_cache
@require_GET
def rules_page(request):
    duf = request.GET.get("duf", "").strip()
    error = ""
    if "duf" in request.GET:
        if is_duf(duf):
            return redirect("rules_explain", duf=duf)
        error = _("Enter a DUF number (up to 12 digits).")
    today = timezone.localdate()
    context = {
        "rule_sections": rule_sections(explanations.shows_detail(request.user), today),
        "rule_count": len(catalogue.rule_ids()),
        "parameter_groups": parameter_groups(today),
        "code_lists": code_lists(),
        "status": reevaluation_status(),
        "today": today,
        "duf": duf,
        "duf_error": error,
        "may_explain": _may_explain(request.user),
        "detail": explanations.shows_detail(request.user),
    }
    return render(request, "web/rules/rules.html", context, status=400 if error else 200)


_PARAMETER_KEY = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b")
_IDENTIFIER_ASIDE = re.compile(r",? ?(?:\(|se )[^()]*\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b[^()]*\)?(?=[).,;:]|$)\)?")


def plain_title(title: str, today: dt.date) -> str:
    """A rule's title for caseworkers: a parameter key by its value in force (``intro.ch6a.ordinary_rules_from``
    → 01.01.2026), an aside naming a table or another rule by its id left out (the ids are for
    fagansvarlige)."""
    params = parameters.default()

    def value(m: re.Match) -> str:
        name = m.group(0)
        found = params.find(name, today) if name in params else None
        return _value_text(found.value) if found is not None else name

    text = _PARAMETER_KEY.sub(value, title)
    return re.sub(r"\s+([.,;:])", r"\1", _IDENTIFIER_ASIDE.sub("", text)).strip()


def rule_sections(detail: bool = True, today: dt.date | None = None) -> list[dict]:
    """The catalogue's sections (one per legal section, ``nir.rules.catalogue.SECTIONS``) for the page."""
    today = today or timezone.localdate()
    return [
        {
            "key": section.key,
            "title": section.title,
            # for caseworkers the act written out; the register's own rules (the specification) by name
            "legal_title": explanations.legal_source(section.title) or _("The register's own rules"),
            "url": section.url,
            "rules": [
                {
                    "ids": e.ids,
                    "title": e.title if detail else plain_title(e.title, today),
                    "source": e.source,
                    "legal_source": explanations.legal_source(e.source),
                    "status": e.status,
                    "module": e.module,
                }
                for e in section.entries
            ],
        }
        for section in catalogue.SECTIONS
    ]


def _may_explain(user) -> bool:
    return policy.page_allowed(user, "rules_explain")


# --- explain one person -----------------------------------------------------------------------


def explanation_sections(
    result: rules.Result, facts: dict[str, Any] | None = None, detail: bool = False
) -> tuple[list[dict], list[dict]]:
    """The derived values with their steps (as ``nir.register.explain.explain_lines``), and the rule errors,
    rendered by ``nir.web.explanations`` (plain Norwegian; the technical detail with ``detail``)."""
    doc = result.to_json()
    values = {
        "law": doc["law"],
        **{f"intro.{k}": v for k, v in doc["intro"].items()},
        **{f"norwegian.{k}": v for k, v in doc["norwegian"].items()},
        "deviations": doc["deviations"],
    }
    doc_explanations = doc["explanations"]
    keys = list(KEY_LABELS) + [k for k in doc_explanations if k not in KEY_LABELS and k != "errors"]
    sections = []
    for key in keys:
        steps = explanations.steps(doc_explanations, (key,), facts, detail)
        sections.append(
            {
                "key": key,
                "label": KEY_LABELS.get(key, key),
                "value": value_label(key, values.get(key)),
                "steps": steps,
                "verified": all(s["verified"] for s in steps),
                "unverified": _unverified(result, key, detail),
            }
        )
    errors = explanations.steps(doc_explanations, ("errors",), facts, detail)
    return sections, errors


def _unverified(result: rules.Result, key: str, detail: bool) -> dict | None:
    """A value derived through an unverified rule or parameter (``Result.unverified``): the sources it
    rests on, written out for caseworkers (``web/rules/_unverified.html``)."""
    if key not in result.unverified:
        return None
    sources = result.unverified_sources(key)
    if not detail:
        sources = [explanations.legal_source(s) for s in sources]
    return {"key": key, "sources": "; ".join(dict.fromkeys(s for s in sources if s))}


def _person_url(duf: str) -> str:
    return reverse("person", args=[duf])


@never_cache
@require_GET
def explain_person(request, duf: str):
    try:
        person = find_person(request.user, duf)
    except PersonNotFound as e:  # as the person page: «followed up by another municipality», audited
        return elsewhere_or_not_found(request, duf, e)
    today = timezone.localdate()
    raw = request.GET.get("as_of", "").strip()
    error = ""
    as_of = today
    if raw:
        try:
            as_of = parse_typed_date(raw)
        except ValueError:
            error = _('The assessment date must be a date (dd.mm.yyyy), not "%(value)s".') % {"value": raw[:40]}
    details = m.PersonDetails.objects.current().filter(person=person).only("first_name", "last_name").first()
    context = {
        "person": person,
        "details": details,
        "as_of": as_of,
        "as_of_raw": raw,
        "today": today,
        "person_url": _person_url(person.duf),
        "error": error,
        "detail": explanations.shows_detail(request.user),
        "rules_version": RULES_VERSION,
    }
    # Audit log: one event, the person explained — also when the page only shows the person (name and
    # DUF number) with an error; a failure fails the request.
    audit.record(
        request=request,
        action="read",
        channel="web",
        what="explain",
        persons=[person],
        filters={"duf": person.duf, "as_of": as_of},
    )
    if error:
        return render(request, "web/rules/explain.html", context, status=400)
    try:
        result = evaluate_person(person, as_of=as_of)
    except rules.InvalidFacts as e:
        context["error"] = _("The registered facts cannot be evaluated: %(problem)s") % {"problem": e}
        return render(request, "web/rules/explain.html", context, status=200)
    # what the explanations' references (settlements[0], …) point into: the facts just evaluated
    sections, errors = explanation_sections(result, person_facts(person), context["detail"])
    context.update({"result": result, "sections": sections, "errors": errors})
    return render(request, "web/rules/explain.html", context)
