"""The Regelmotor pages: the rules, their parameters and code lists, the re-evaluation status, and
"explain this person".

    /regelmotor/                       every rule (id, title, legal source, verified or not), every
                                       parameter with its versions (nir.rules.parameters), the code lists
                                       the rules read (nir.codes), and how many current derived rows were
                                       derived by the rules in force; a form «Forklar en person»
    /regelmotor/?duf=…                 the form's GET: redirects to the explanation
    /regelmotor/forklar/<duf>/         one person's derived values and the chain of rules and facts
                                       behind each (the same as ``nir rules explain DUF``), audited

The engine has no machine-readable list of its rules: its rules are functions that name their rule id,
source and status in the explanations they return, and ``docs/rules.md`` is the catalogue. ``RULES``
below is that catalogue in bokmål (title per rule id); ``tests/web/test_rules_page.py`` checks that it
lists exactly the rule ids of docs/rules.md, with the same status, so the two cannot drift apart.
Parameters and code lists are read from the engine (``parameters.default()``, ``codes.all_lists()``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min
from django.http import Http404
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
from nir.register import models as m
from nir.register.derivation import evaluate_person
from nir.register.explain import KEY_LABELS, value_label
from nir.rules import parameters
from nir.rules.version import RULES_VERSION
from nir.web.dates import parse_date

V, U, PARTLY = "V", "U", "V/U"  # verified, unverified, verified in part (docs/rules.md «status»)


@dataclass(frozen=True)
class RuleEntry:
    ids: tuple[str, ...]
    title: str
    source: str
    status: str

    @property
    def verified(self) -> bool:
        return self.status == V


def _r(ids: str, title: str, source: str, status: str = V) -> RuleEntry:
    return RuleEntry(tuple(i.strip() for i in ids.split(",")), title, source, status)


# The rules of docs/rules.md («Rules»), in bokmål. Titles are domain text (like the engine's own
# explanations and code-list labels), written in Norwegian here rather than through the catalogue.
RULES: tuple[tuple[str, tuple[RuleEntry, ...]], ...] = (
    ("Hvilken lov gjelder (if. § 72)", (
        _r("law_split", "Første tillatelse som gir rettigheter eller plikter (ikke nordisk/EØS), innvilget før "
           "01.01.2021, gir introduksjonsloven; ellers gjelder integreringsloven.", "if. §§ 71, 72"),
        _r("law_split_applied_from_abroad", "Tillatelse innvilget før 2021, men søkt fra utlandet og ankommet "
           "01.01.2021 eller senere: integreringsloven (søkt fra utlandet utledes av ankomstdatoen).",
           "if. § 72", PARTLY),
    )),
    ("Introduksjonsprogram: hvem (il. § 8, kap. 6A, if. § 43h)", (
        _r("s08_right_and_duty", "Tillatelse etter § 9 bokstav a–e, 18–55 år på tillatelsens vedtaksdato og bosatt "
           "etter avtale: rett og plikt.", "il. § 8 første ledd"),
        _r("s08_right_and_duty_f_g", "Tillatelse etter § 9 bokstav f eller g: bosetting etter avtale kreves ikke, "
           "men personen må bo i en kommune.", "il. § 8 andre ledd"),
        _r("s08_under_age", "Under 18 år da tillatelsen ble innvilget: ingen rett eller plikt (man kan ikke vokse "
           "inn i gruppen).", "il. § 8 første ledd"),
        _r("s08_over_age", "Over øvre aldersgrense: kan-gruppe når personen bor i en kommune, ellers ingen.",
           "il. § 8 tredje ledd", U),
        _r("s08_settled_without_agreement", "Tillatelse etter § 9 bokstav a–e, bosatt uten avtale: kan-gruppe.",
           "il. § 8 tredje ledd", U),
        _r("s08_not_settled, s08_not_resident", "Ikke bosatt i en kommune: ingen rett eller plikt.",
           "il. § 8 første ledd"),
        _r("s08_family_of_others", "Familieinnvandrer med annen referanseperson enn i § 9 bokstav f, 18 år eller "
           "eldre og bosatt i en kommune: kan-gruppe, ellers ingen.", "il. § 8 tredje ledd", U),
        _r("s08_eea, s08_no_s9_permit, s08_no_permit", "Nordiske borgere og EØS-borgere, arbeidstillatelse eller "
           "ingen tillatelse: ingen rett eller plikt.", "il. § 8 femte ledd; § 8"),
        _r("ch6a_right", "Første tillatelse etter utl. § 34 innvilget før 01.01.2026: rett (kap. 6A), på vilkårene "
           "om alder og bosetting i § 8.", "il. kap. 6A; 004"),
        _r("ch6a_repealed_right_and_duty", "Tillatelse etter utl. § 34 innvilget 01.01.2026 eller senere: de "
           "ordinære reglene i § 8.", "004 (Opphevelse …)"),
        _r("s43h_intro", "Tidligere tillatelse etter utl. § 34 (før 2026) med vedtak om deltakelse før 01.01.2026, "
           "nå en annen tillatelse: rett når vedtaket gjaldt introduksjonsprogram, ellers ingen.",
           "if. § 43h; 004"),
        _r("ch6a_superseded", "Tillatelse etter utl. § 34 før 2026 uten slikt vedtak, deretter en annen "
           "tillatelse: den nye tillatelsen vurderes etter de ordinære reglene.", "if. § 43h (motsetningsvis)", U),
        _r("loss_due_to_work_closes", "Gyldig vedtak om bortfall av rett og plikt pga. arbeid uten vedtak om "
           "deltakelse: ingen; avsluttet av Regelmotor (Avbrutt, vedtaksdatoen).", "il. § 8 fjerde ledd; 004"),
        _r("loss_due_to_work_right_returned", "Gyldig vedtak om deltakelse datert etter bortfallet: kategorien som "
           "uten bortfallet, ingen avslutning.", "il. § 8 fjerde ledd andre punktum; 004", U),
    )),
    ("Introduksjonsprogram: hvor lenge (il. §§ 13–14, if. §§ 10, 17–19)", (
        _r("s13_14_deadline", "Gjennomføringsfrist: startdato i første vedtak om deltakelse + antall måneder for "
           "sluttmålet − 1 dag.", "il. §§ 13–14; 004", PARTLY),
        _r("s13_14_extension", "Registrert forlengelse: fristen regnes med sluttmålets måneder + forlengelsen.",
           "il. § 14; 004", PARTLY),
        _r("if_s10_s19_absence_workdays", "Virkedager (mandag–fredag unntatt helligdager) med gyldig fravær, fri og "
           "permisjon, slått sammen slik at en dag teller én gang.", "if. §§ 10, 19; 004"),
        _r("if_s10_s19_absence_extension", "Over terskelen (10 virkedager): alle dagene legges til fristen som "
           "virkedager.", "if. §§ 10, 19; 004"),
        _r("intro_deadline_none", "Ingen frist: avsluttet, uten vedtak om deltakelse eller uten sluttmål.",
           "regelmotor.md § 4"),
    )),
    ("Opplæring i norsk og samfunnskunnskap (il. §§ 26–28, 32)", (
        _r("s27_right_and_duty", "Tillatelse etter § 9 bokstav a–g (unntatt utl. § 34) eller familie til norske, "
           "18 år eller eldre og under 67 år ved innvilgelse: rett og plikt.", "il. §§ 26, 27", U),
        _r("s28_duty", "Arbeidstillatelse: plikt.", "il. §§ 26, 28", U),
        _r("ch6a_norwegian_right", "Tillatelse etter utl. § 34: rett (beholdes etter 01.01.2026).",
           "il. kap. 6A; 004"),
        _r("ch6a_norwegian_right_kept, s43h_norwegian", "Overgang fra utl. § 34 til en annen tillatelse med vedtak "
           "om norskopplæring fattet under utl. § 34 (eller § 43h): rett.", "004; if. § 43h"),
        _r("s26_under_age, s26_over_age, s26_ended_at_67", "Under 18 år eller 67 år eller eldre ved innvilgelse: "
           "ingen; fra 67-årsdagen: ingen.", "il. § 26"),
        _r("s26_eea, s26_no_permit", "Nordiske borgere og EØS-borgere, eller ingen tillatelse: ingen.", "il. § 26"),
        _r("s32_deadline", "Frist: 36 måneder (18 med videregående eller høyere utdanning) fra tillatelsens "
           "vedtaksdato, eller ankomst om den er senere, − 1 dag.", "il. § 32", PARTLY),
        _r("norwegian_leave_workdays, s32_leave_extension", "Bare permisjon forlenger fristen, regnet fra første "
           "virkedag og uten terskel.", "il. § 32; 004"),
        _r("s26_deadline_capped_at_67", "Fristen går aldri forbi dagen før 67-årsdagen.", "il. § 26", U),
    )),
    ("Avvik (rapporten om avvik i registrering av sluttmål, 004)", (
        _r("final_goal_missing", "Vedtak om deltakelse, men ikke registrert sluttmål.", "004"),
        _r("final_goal_2026_before_2026_start", "Programmet startet før sluttmålkodens gyldig fra-dato (en "
           "2026-kode før 01.01.2026).", "004"),
        _r("final_goal_expired", "Programmet startet etter sluttmålkodens gyldig til-dato (gamle koder: etter "
           "31.12.2025).", "004"),
    )),
    ("Regelbrudd (registreringer som ikke legges til grunn)", (
        _r("loss_due_to_work_after_participation", "Vedtak om bortfall pga. arbeid når det finnes vedtak om "
           "deltakelse (samme dag eller tidligere).", "004"),
        _r("loss_due_to_work_not_in_force", "Vedtak om bortfall pga. arbeid datert før regelen gjaldt "
           "(01.01.2026).", "il. § 8 fjerde ledd"),
        _r("loss_due_to_work_not_in_target_group", "Vedtak om bortfall pga. arbeid for en person uten rett og plikt.",
           "il. § 8 fjerde ledd"),
        _r("participation_after_two_years", "Vedtak om deltakelse to år eller mer etter at personen ble bosatt med "
           "tillatelse etter § 9.", "il. § 8 første ledd tredje punktum, tredje ledd"),
        _r("participation_without_start_date", "Vedtak om deltakelse uten startdato.", "regelmotor.md § 4"),
        _r("decision_type_unknown, decision_type_not_in_scheme, decision_type_not_valid_on_date, "
           "decision_end_before_start", "Generelle regler for vedtak (kodeverket Vedtakstype).",
           "regelmotor.md § 5"),
        _r("extension_not_allowed, extension_exceeds_maximum, extension_without_final_goal", "Forlengelse på et "
           "sluttmål som ikke kan forlenges, utover tabellen eller uten sluttmål (forlengelsen legges ikke til "
           "grunn).", "il. §§ 13–14"),
        _r("final_goal_unknown", "Sluttmålkoden finnes ikke i kodeverket.", "regelmotor.md § 4"),
        _r("absence_kind_unknown, absence_end_before_start, absence_date_out_of_range", "Ugyldig periode med "
           "fravær, fri eller permisjon (legges ikke til grunn).", "regelmotor.md § 4"),
    )),
    ("Introduksjonsloven (opphevet, gjelder etter if. § 72)", (
        _r("introduksjonsloven_s2_target_group", "Målgruppe som il. § 8, med introduksjonslovens aldersgrenser.",
           "introduksjonsloven § 2", U),
        _r("introduksjonsloven_s5_deadline", "Frist: 24 måneder + forlengelse inntil 12 + godkjent permisjon i "
           "virkedager, uten terskel.", "introduksjonsloven § 5", U),
        _r("introduksjonsloven_s17_norwegian", "Rett og plikt eller plikt til norskopplæring, 16 år eller eldre og "
           "under 67 år; ingen frist beregnes.", "introduksjonsloven § 17", U),
    )),
)

# The code lists the rules read (docs/rules.md «Parameters»): shown first, open.
RULE_CODE_LISTS = ("final_goal", "permit_basis", "absence_kind", "decision_type", "termination_type",
                   "termination_reason")

PARAMETER_FILES = {
    "law.yaml": gettext_lazy("Which act applies"),
    "intro.yaml": gettext_lazy("Introduction programme"),
    "final_goals.yaml": gettext_lazy("Final goals: duration and extension"),
    "norwegian.yaml": gettext_lazy("Norwegian and social studies"),
    "introduksjonsloven.yaml": gettext_lazy("Introduksjonsloven (repealed act)"),
}
UNITS = {
    "year": gettext_lazy("years"),
    "month": gettext_lazy("months"),
    "workdays": gettext_lazy("workdays"),
    "hours per week": gettext_lazy("hours per week"),
    "date": gettext_lazy("date"),
}
# The facts named in the engine's explanations (nir.rules: Explanation.facts), in bokmål.
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
FACT_CODE_LISTS = {"basis": "permit_basis", "type": "decision_type", "scheme": "scheme",
                   "result": "decision_result", "education": "education", "final_goal": "final_goal"}


# --- formatting ---------------------------------------------------------------------------------

def _value_text(value: Any) -> str:
    """A parameter or fact value as the pages show it: dates dd.mm.yyyy, Ja/Nei, lists joined."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return value_label("", value)  # nir.register.explain's formatting: ISO dates, lists, None as «–»


def _fact_text(key: str, value: Any) -> str:
    list_name = FACT_CODE_LISTS.get(key)
    if list_name and isinstance(value, str) and value:
        label = codes.label(list_name, value)
        return label if label == value else f"{label} ({value})"
    return _value_text(value)


# --- the rules page ---------------------------------------------------------------------------

def parameter_groups(today: dt.date) -> list[dict]:
    """Every parameter of the shipped set with its versions, grouped by file (``parameters.default()``)."""
    params = parameters.default()
    groups: dict[str, dict] = {}
    for name in params.names():
        p = params.parameter(name)
        in_force = p.at(today)
        versions = [{
            "value": _value_text(v.value), "valid_from": v.valid_from, "valid_to": v.valid_to, "source": v.source,
            "verified": v.verified, "note": v.note, "pending": v.valid_from is None, "in_force": v is in_force,
        } for v in sorted(p.versions, key=lambda v: (v.valid_from is None, v.valid_from or dt.date.min))]
        group = groups.setdefault(p.file, {"file": p.file, "title": PARAMETER_FILES.get(p.file, p.file),
                                           "parameters": []})
        group["parameters"].append({"name": name, "description": p.description,
                                    "unit": "" if p.unit == "date" else UNITS.get(p.unit, p.unit),
                                    "versions": versions})
    order = list(PARAMETER_FILES)
    return sorted(groups.values(), key=lambda g: (order.index(g["file"]) if g["file"] in order else len(order),
                                                  g["file"]))


def code_lists() -> list[dict]:
    """The code lists (``nir.codes``), those the rules read first."""
    lists = codes.all_lists()
    names = [n for n in RULE_CODE_LISTS if n in lists] + sorted(n for n in lists if n not in RULE_CODE_LISTS)
    return [{"name": n, "title": lists[n].title, "source": lists[n].source, "used_by_rules": n in RULE_CODE_LISTS,
             "codes": lists[n].codes} for n in names]


def reevaluation_status() -> dict:
    """How many current DerivedStatus rows each rules version derived: one GROUP BY query."""
    rows = list(m.DerivedStatus.objects.current().order_by().values("rules_version")
                .annotate(n=Count("id"), oldest=Min("as_of"), newest=Max("as_of")))
    for row in rows:
        row["current"] = row["rules_version"] == RULES_VERSION
    rows.sort(key=lambda r: (not r["current"], -r["n"], r["rules_version"]))
    current = sum(r["n"] for r in rows if r["current"])
    total = sum(r["n"] for r in rows)
    return {"version": RULES_VERSION, "rows": rows, "total": total, "current": current, "older": total - current,
            "oldest": min((r["oldest"] for r in rows), default=None),
            "newest": max((r["newest"] for r in rows), default=None)}


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
        "rule_sections": [{"title": title, "rules": entries} for title, entries in RULES],
        "rule_count": sum(len(e.ids) for _t, entries in RULES for e in entries),
        "parameter_groups": parameter_groups(today),
        "code_lists": code_lists(),
        "status": reevaluation_status(),
        "today": today,
        "duf": duf,
        "duf_error": error,
        "may_explain": _may_explain(request.user),
    }
    return render(request, "web/rules/rules.html", context, status=400 if error else 200)


def _may_explain(user) -> bool:
    return policy.page_allowed(user, "rules_explain")


# --- explain one person -----------------------------------------------------------------------

def _step(step: dict) -> dict:
    facts = [{"key": k, "label": FACT_LABELS.get(k, k), "known": k in FACT_LABELS, "value": _fact_text(k, v)}
             for k, v in (step.get("facts") or {}).items() if k != "path"]
    params = [{"name": p["name"], "value": _value_text(p["value"]), "source": p["source"],
               "verified": p.get("verified", True),
               "valid_from": dt.date.fromisoformat(p["valid_from"]) if p.get("valid_from") else None,
               "valid_to": dt.date.fromisoformat(p["valid_to"]) if p.get("valid_to") else None}
              for p in step.get("parameters", [])]
    return {"text": step["text"], "rule": step["rule"], "source": step["source"],
            "verified": step.get("verified", True), "subject": step.get("subject", ""), "facts": facts,
            "parameters": params}


def explanation_sections(result: rules.Result) -> tuple[list[dict], list[dict]]:
    """The derived values with their steps (as ``nir.register.explain.explain_lines``), and the rule errors."""
    doc = result.to_json()
    values = {
        "law": doc["law"],
        **{f"intro.{k}": v for k, v in doc["intro"].items()},
        **{f"norwegian.{k}": v for k, v in doc["norwegian"].items()},
        "deviations": doc["deviations"],
    }
    explanations = doc["explanations"]
    keys = list(KEY_LABELS) + [k for k in explanations if k not in KEY_LABELS and k != "errors"]
    sections = []
    for key in keys:
        steps = [_step(s) for s in explanations.get(key, [])]
        sections.append({"key": key, "label": KEY_LABELS.get(key, key),
                         "value": value_label(key, values.get(key)), "steps": steps,
                         "verified": all(s["verified"] for s in steps)})
    errors = [_step(e) for e in explanations.get("errors", [])]
    return sections, errors


def _person_url(duf: str) -> str:
    return reverse("person", args=[duf])


@never_cache
@require_GET
def explain_person(request, duf: str):
    try:
        person = find_person(request.user, duf)
    except PersonNotFound:
        raise Http404(_("No person with this DUF number that you have access to.")) from None
    today = timezone.localdate()
    raw = request.GET.get("as_of", "").strip()
    error = ""
    as_of = today
    if raw:
        try:
            as_of = parse_date(raw)
        except ValueError:
            error = _("The assessment date must be a date (dd.mm.yyyy), not \"%(value)s\".") % {"value": raw[:40]}
    details = m.PersonDetails.objects.current().filter(person=person).only("first_name", "last_name").first()
    context = {"person": person, "details": details, "as_of": as_of, "as_of_raw": raw, "today": today,
               "person_url": _person_url(person.duf), "error": error, "rules_version": RULES_VERSION}
    if error:
        return render(request, "web/rules/explain.html", context, status=400)
    try:
        result = evaluate_person(person, as_of=as_of)
    except rules.InvalidFacts as e:
        context["error"] = _("The registered facts cannot be evaluated: %(problem)s") % {"problem": e}
        return render(request, "web/rules/explain.html", context, status=200)
    sections, errors = explanation_sections(result)
    # Audit log: one event, the person explained; a failure fails the request.
    audit.record(request=request, action="read", channel="web", what="explain", persons=[person],
                 filters={"duf": person.duf, "as_of": as_of})
    context.update({"result": result, "sections": sections, "errors": errors})
    return render(request, "web/rules/explain.html", context)
