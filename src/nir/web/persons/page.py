"""The person page as data: Grunndata, NIR - Kategori, avvik, and per scheme the Gjennomføringsfrist
and the sections Vedtak, Sluttmål, Avslutning, Deltakelse og tiltak, Fravær og permisjon; and
Kompetansekartlegging, Prøver (the Norwegian and social studies tests with their results) and
Karriereveiledning. Built from one ``nir.access.read.PersonRead`` (the current rows and the Regelmotor's
result) and one read of the registering users; the templates only lay it out.

Each section has a stable id (``vedtak-intro``, ``sluttmaal-intro``, ``avslutning-norwegian``,
``kategori``, ``frist-intro``, …): the anchor on the page, the htmx target and the name in
``/personer/<duf>/seksjon/<id>/``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nir import codes
from nir.access import policy
from nir.access.read import PersonRead, place_label, registered_by, registering_users
from nir.register import models as m
from nir.register.derivation import ENGINE_MODELS, facts_from_rows
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.web import explanations
from nir.web.persons.forms import INTRO, KINDS, NORWEGIAN, SCHEMES
from nir.web.persons.revisions import revise_urls

SCHEME_TITLES = {
    INTRO: gettext_lazy("Introduction programme"),
    NORWEGIAN: gettext_lazy("Training in Norwegian and social studies"),
}

# section kind → (title, help key, template, schemes it exists for; () = one section without scheme)
SECTION_KINDS: dict[str, tuple[Any, str, str, tuple[str, ...]]] = {
    "frist": (gettext_lazy("Completion deadline"), "person.frist", "web/persons/sections/frist.html", SCHEMES),
    "vedtak": (gettext_lazy("Decisions"), "person.vedtak", "web/persons/sections/vedtak.html", SCHEMES),
    "sluttmaal": (gettext_lazy("Final goal"), "person.sluttmaal", "web/persons/sections/sluttmaal.html", (INTRO,)),
    "avslutning": (gettext_lazy("Termination"), "person.avslutning", "web/persons/sections/avslutning.html", SCHEMES),
    "deltakelse": (
        gettext_lazy("Participation and measures"),
        "person.deltakelse",
        "web/persons/sections/deltakelse.html",
        SCHEMES,
    ),
    "fravaer": (gettext_lazy("Absence and leave"), "person.fravaer", "web/persons/sections/fravaer.html", SCHEMES),
    "kartlegging": (
        gettext_lazy("Competence mapping"),
        "person.kartlegging",
        "web/persons/sections/kartlegging.html",
        (),
    ),
    "prover": (
        gettext_lazy("Tests in Norwegian and social studies"),
        "person.prover",
        "web/persons/sections/prover.html",
        (),
    ),
    "karriereveiledning": (
        gettext_lazy("Career guidance"),
        "person.karriereveiledning",
        "web/persons/sections/karriereveiledning.html",
        (),
    ),
    "tilskudd": (
        gettext_lazy("Facts for grants"),
        "person.tilskudd",
        "web/persons/sections/tilskudd.html",
        (),
    ),
    "grunndata": (gettext_lazy("Basic data"), "person.grunndata", "web/persons/sections/grunndata.html", ()),
    "kategori": (gettext_lazy("NIR - Category"), "person.kategori", "web/persons/sections/kategori.html", ()),
    "avvik": (gettext_lazy("Deviations"), "person.avvik", "web/persons/sections/avvik.html", ()),
}
# The order of a scheme's sections on the page.
SCHEME_SECTIONS = ("frist", "vedtak", "sluttmaal", "avslutning", "deltakelse", "fravaer")
# What the Regelmotor derives: re-rendered (htmx out-of-band) after every registration.
DERIVED_SECTIONS = ("kategori", "avvik", "frist-intro", "frist-norwegian", "avslutning-intro")
# «+ Legg til» per section kind: the registration kinds (forms.KINDS) it offers.
SECTION_ADDS = {
    "vedtak": ("vedtak",),
    "sluttmaal": ("sluttmaal", "utvidelse"),
    "avslutning": ("avslutning",),
    "deltakelse": ("deltakelse", "tiltak"),
    "fravaer": ("fravaer",),
    "karriereveiledning": ("karriereveiledning",),
    "kartlegging": ("kartlegging",),
    "prover": ("prove",),
    "tilskudd": ("familieinnvandring", "videregaende", "mottaksopphold", "ekstratilskudd"),
}
# The Regelmotor's explanation steps shown with each deadline.
DEADLINE_STEPS = {
    INTRO: ("intro.deadline", "intro.absence_workdays"),
    NORWEGIAN: ("norwegian.deadline", "norwegian.leave_workdays"),
}
CATEGORY_STEPS = ("law", "intro.category", "norwegian.category")


def section_ids() -> list[str]:
    out = []
    for kind, (_t, _h, _tpl, schemes) in SECTION_KINDS.items():
        out += [f"{kind}-{s}" for s in schemes] if schemes else [kind]
    return out


SECTION_IDS = frozenset(section_ids())


def split_section(section_id: str) -> tuple[str, str | None]:
    kind, _sep, scheme = section_id.partition("-")
    return kind, (scheme or None)


def _d(value):
    """An ISO date of a result document → date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class PersonPage:
    """Everything the person page shows for one user."""

    request: Any
    read: PersonRead
    # Section ids showing every version ("Vis all avslutningshistorikk"): avslutning-intro, …
    history: frozenset[str] = frozenset()
    # A message shown at the top of a section re-rendered after a registration.
    saved: dict[str, str] = field(default_factory=dict)
    # The plausibility warnings of that registration (docs/rules.md «Plausibility»): saved, to be checked.
    warnings: dict[str, list[str]] = field(default_factory=dict)
    # The user's area followed the person up before a move (``nir.access.persons.FormerFollowUp``):
    # the page shows what was registered until the transfer, and nothing can be registered.
    former: Any = None

    def __post_init__(self) -> None:
        self.person = self.read.person
        self.duf = self.person.duf
        self.doc = self.read.result.to_json()
        user = self.request.user
        self.may_register = self.former is None and policy.allows(user, policy.Permission.PERSON_WRITE)
        # The Regelmotor's explanations in plain Norwegian; the technical detail only for IMDi's
        # fagansvarlige (nir.web.explanations).
        self.rules_detail = explanations.shows_detail(user)
        self._facts: dict[str, Any] | None = None
        # Every version of the terminations asked for (one statement), before the users are read.
        self.versions: dict[str, list[m.Termination]] = {}
        schemes = [split_section(s)[1] for s in self.history if s.startswith("avslutning-")]
        if schemes:
            every = list(
                m.Termination.objects.filter(person=self.person, scheme__in=schemes).order_by(
                    "-termination_date", "-recorded_at", "-id"
                )
            )
            for s in schemes:
                self.versions[f"avslutning-{s}"] = [r for r in every if r.scheme == s]
        extra = [r for rows in self.versions.values() for r in rows]
        self.users = registering_users([*self.read.rows, *extra])
        self.history_url = reverse("person_history", args=[self.duf])

    # --- helpers --------------------------------------------------------------------------

    def by(self, row: m.Registration) -> str:
        return registered_by(row, self.users)

    def details_url(self, row: m.Registration) -> str:
        return f"{self.history_url}#{row_anchor(row)}"

    def revise(self, row: m.Registration) -> dict[str, str]:
        """The row's «Rett» and «Slett» links, for a user who may register (none otherwise)."""
        return revise_urls(self.duf, row) if self.may_register else {}

    def of(self, model, scheme: str | None = None) -> list:
        rows = self.read.of(model)
        return [r for r in rows if r.scheme == scheme] if scheme else list(rows)

    @property
    def details(self):
        return self.read.details

    @property
    def name(self) -> str:
        d = self.details
        return f"{d.first_name} {d.last_name}" if d else ""

    def add_links(self, section_kind: str, scheme: str | None) -> list[dict]:
        if not self.may_register:
            return []
        section_id = f"{section_kind}-{scheme}" if scheme else section_kind
        out = []
        for slug in SECTION_ADDS.get(section_kind, ()):
            kind = KINDS[slug]
            if kind.schemes and scheme not in kind.schemes:
                continue
            url = reverse("person_add", args=[self.duf, slug])
            if kind.schemes:
                url += f"?ordning={scheme}"
            out.append(
                {
                    "url": url,
                    "slot": f"slot-{section_id}",
                    "slug": slug,
                    "subject": kind.subject,
                    "scheme_title": SCHEME_TITLES.get(scheme, ""),
                    # one kind: «+ Legg til»; two in one section: «+ Legg til tiltak»
                    "named": len(SECTION_ADDS[section_kind]) > 1,
                }
            )
        return out

    # --- sections ---------------------------------------------------------------------------

    def section(self, section_id: str) -> dict:
        kind, scheme = split_section(section_id)
        title, help_key, template, _schemes = SECTION_KINDS[kind]
        s = {
            "id": section_id,
            "kind": kind,
            "scheme": scheme,
            "title": title,
            "help": help_key,
            # the deviations are alerts above the page, not a section with a heading
            "tag": "div" if kind == "avvik" else "section",
            "level": 3 if scheme else 2,
            "template": template,
            "adds": self.add_links(kind, scheme),
            "slot": f"slot-{section_id}",
            "scheme_title": SCHEME_TITLES.get(scheme, ""),
            "saved": self.saved.get(section_id, ""),
            "warnings": self.warnings.get(section_id, []),
        }
        s.update(getattr(self, f"_{kind}")(scheme))
        return s

    def scheme_blocks(self) -> list[dict]:
        return [
            {
                "scheme": s,
                "title": SCHEME_TITLES[s],
                "sections": [self.section(f"{k}-{s}") for k in SCHEME_SECTIONS if s in SECTION_KINDS[k][3]],
            }
            for s in SCHEMES
        ]

    def _grunndata(self, _scheme) -> dict:
        read = self.read
        fu = read.follow_up
        address = read.address
        residence = read.residence
        permits = sorted(read.permits, key=lambda r: (r.decision_date, r.id), reverse=True)
        settlements = sorted(read.settlements, key=lambda r: (r.settlement_date, r.id), reverse=True)
        return {
            "details": self.details,
            "details_revise": self.revise(self.details) if self.details else {},  # «Rett» of the details
            "sex": codes.label("sex", self.details.sex) if self.details and self.details.sex else "",
            "protected": read.protected,
            "lives_in": place_label(residence.municipality, residence.district) if address is not None else "",
            "address": address,
            "address_hidden": read.address_hidden,
            "follow_up": fu,
            "follow_up_place": place_label(fu.municipality, fu.district) if fu else "",
            "permits": [
                {
                    "basis": codes.label("permit_basis", r.basis),
                    "basis_description": (
                        codes.code_list("permit_basis").get(r.basis).description
                        if codes.code_list("permit_basis").get(r.basis)
                        else ""
                    ),
                    "decision_date": r.decision_date,
                    "arrival_date": r.arrival_date,
                    "effectuation_date": r.effectuation_date,
                }
                for r in permits
            ],
            "settlements": [
                {
                    "place": place_label(r.municipality, r.district),
                    "date": r.settlement_date,
                    "by_agreement": r.by_agreement,
                }
                for r in settlements
            ],
        }

    def _kategori(self, _scheme) -> dict:
        doc = self.doc
        intro, nor = doc["intro"]["category"], doc["norwegian"]["category"]
        return {
            "law": LAW_LABELS.get(doc["law"], doc["law"]),
            "badges": [
                {
                    "scheme": INTRO,
                    "code": intro,
                    "label": CATEGORY_LABELS[INTRO].get(intro, intro),
                    "none": intro == "none",
                    "unverified": self._unverified("intro.category"),
                },
                {
                    "scheme": NORWEGIAN,
                    "code": nor,
                    "label": CATEGORY_LABELS[NORWEGIAN].get(nor, nor),
                    "none": nor == "none",
                    "unverified": self._unverified("norwegian.category"),
                },
            ],
            "as_of": self.read.result.as_of,
            "steps": self._steps(CATEGORY_STEPS),
        }

    def _avvik(self, _scheme) -> dict:
        doc = self.doc
        return {
            "deviations": [DEVIATION_LABELS.get(d, d) for d in doc["deviations"]],
            "errors": self._steps(("errors",)),
        }

    def _frist(self, scheme) -> dict:
        part = self.doc[scheme]
        out = {
            "deadline": _d(part.get("deadline")),
            "start_date": _d(part.get("start_date")),
            "months": part.get("months"),
            "as_of": self.read.result.as_of,
            "steps": self._steps(DEADLINE_STEPS[scheme]),
            "explain_url": self._explain_url(),
            "unverified": self._unverified(f"{scheme}.deadline"),
        }
        if scheme == INTRO:
            goal = part.get("final_goal")
            closed = part.get("closed")
            if closed:  # the Regelmotor's own avslutning, and why
                out["steps"] = self._steps(("intro.closed",)) + out["steps"]
            out.update(
                {
                    "base_deadline": _d(part.get("base_deadline")),
                    "workdays": part.get("absence_workdays") or 0,
                    "extension_months": part.get("extension_months") or 0,
                    "final_goal": codes.label("final_goal", goal) if goal else "",
                    "closed": {**closed, "date": _d(closed["date"])} if closed else None,
                }
            )
        else:
            out["workdays"] = part.get("leave_workdays") or 0
        return out

    def _explain_url(self) -> str:
        if not policy.page_allowed(self.request.user, "rules_explain"):
            return ""
        return reverse("rules_explain", args=[self.duf])

    @property
    def facts(self) -> dict[str, Any]:
        """The facts the Regelmotor was given (what an explanation's ``settlements[0]`` points into)."""
        if self._facts is None:
            rows = [r for r in self.read.rows if isinstance(r, ENGINE_MODELS)]
            self._facts = facts_from_rows(self.person, rows)
        return self._facts

    def _steps(self, keys) -> list[dict]:
        explanations_doc = self.doc["explanations"]
        if not any(explanations_doc.get(k) for k in keys):
            return []
        return explanations.steps(explanations_doc, keys, self.facts, self.rules_detail)

    def _unverified(self, key: str) -> dict | None:
        """A value derived through a rule or parameter not verified against the law (three-valued,
        ``Result.unverified``): the page marks it «Ikke verifisert» with the provisions it rests on."""
        result = self.read.result
        if key not in result.unverified:
            return None
        sources = result.unverified_sources(key)
        if not self.rules_detail:
            sources = [explanations.legal_source(s) for s in sources]
        return {"key": key, "sources": "; ".join(dict.fromkeys(s for s in sources if s))}

    def _vedtak(self, scheme) -> dict:
        rows = sorted(self.of(m.Decision, scheme), key=lambda r: (r.decision_date, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "type": codes.label("decision_type", r.decision_type),
                    "result": codes.label("decision_result", r.result),
                    "decision_date": r.decision_date,
                    "start_date": r.start_date,
                    "end_date": r.end_date,
                    "by": self.by(r),
                    "place": place_label(r.follow_up_municipality, r.follow_up_district),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in rows
            ]
        }

    def _sluttmaal(self, scheme) -> dict:
        goals = sorted(self.of(m.FinalGoal, scheme), key=lambda r: (r.recorded_at, r.id), reverse=True)
        extensions = sorted(self.of(m.Extension, scheme), key=lambda r: (r.recorded_at, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "goal": codes.label("final_goal", r.goal),
                    "recorded_at": r.recorded_at,
                    "by": self.by(r),
                    "place": place_label(r.follow_up_municipality),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in goals
            ],
            "extensions": [
                {
                    "id": row_anchor(r),
                    "months": r.months,
                    "decision_date": r.decision_date,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in extensions
            ],
        }

    def _termination(self, r: m.Termination) -> dict:
        return {
            "id": row_anchor(r),
            "type": codes.label("termination_type", r.termination_type),
            "reason": codes.label("termination_reason", r.termination_reason) if r.termination_reason else "",
            "hours": r.hours_work_per_week,
            "date": r.termination_date,
            "by": self.by(r),
            "place": place_label(r.follow_up_municipality),
            "url": self.details_url(r),
            "revise": self.revise(r),
            "recorded_at": r.recorded_at,
            "status": version_status(r),
            "reason_text": r.change_reason,
            "current": r.superseded_at is None and r.operation != m.Operation.ANNUL,
        }

    def _avslutning(self, scheme) -> dict:
        section_id = f"avslutning-{scheme}"
        showing = section_id in self.versions
        if showing:
            rows = self.versions[section_id]
        else:
            rows = sorted(self.of(m.Termination, scheme), key=lambda r: (r.termination_date, r.id), reverse=True)
        base = reverse("person", args=[self.duf])
        section_url = reverse("person_section", args=[self.duf, section_id])
        return {
            "rows": [self._termination(r) for r in rows],
            "showing_history": showing,
            "toggle_url": (f"{base}#{section_id}" if showing else f"{base}?historikk={section_id}#{section_id}"),
            "toggle_hx": section_url if showing else f"{section_url}?historikk=1",
        }

    def _deltakelse(self, scheme) -> dict:
        parts = sorted(self.of(m.Participation, scheme), key=lambda r: (r.from_date, r.id), reverse=True)
        measures = sorted(self.of(m.Measure, scheme), key=lambda r: (r.from_date, r.id), reverse=True)
        return {
            "participation": [
                {
                    "id": row_anchor(r),
                    "from": r.from_date,
                    "to": r.to_date,
                    "hours": r.hours,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in parts
            ],
            "measures": [
                {
                    "id": row_anchor(r),
                    "measure": codes.label("measure", r.measure),
                    "from": r.from_date,
                    "to": r.to_date,
                    "hours": r.hours_per_week,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in measures
            ],
        }

    def _fravaer(self, scheme) -> dict:
        rows = sorted(self.of(m.Absence, scheme), key=lambda r: (r.from_date, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "kind": codes.label("absence_kind", r.kind),
                    "from": r.from_date,
                    "to": r.to_date,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in rows
            ]
        }

    def _karriereveiledning(self, _scheme) -> dict:
        rows = sorted(self.of(m.CareerGuidance), key=lambda r: (r.guidance_date, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "date": r.guidance_date,
                    "kind": codes.label("career_guidance_kind", r.kind),
                    "goal": codes.label("final_goal", r.recommended_final_goal) if r.recommended_final_goal else "",
                    "organisation": r.organisation,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in rows
            ]
        }

    def _kartlegging(self, _scheme) -> dict:
        rows = sorted(self.of(m.CompetenceMapping), key=lambda r: (r.mapping_date, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "date": r.mapping_date,
                    "kind": codes.label("competence_mapping_kind", r.kind),
                    "organisation": r.organisation,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in rows
            ]
        }

    def _prover(self, _scheme) -> dict:
        rows = sorted(self.of(m.Exam), key=lambda r: (r.exam_date, r.id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "date": r.exam_date,
                    "type": codes.label("exam_type", r.exam_type),
                    "result": codes.label("exam_result", r.result),
                    "passed": r.result == "passed",
                    "level": r.level,
                    "organisation": r.organisation,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for r in rows
            ]
        }

    def _tilskudd(self, _scheme) -> dict:
        """The grants' facts (grants.md A.1.1): family reunification, upper-secondary education,
        reception centre stays and extra grant applications, newest first."""
        rows: list[tuple[dt.date | None, str, str, m.Registration]] = []
        for r in self.of(m.FamilyReunification):
            ref = f"{_('reference person')} {r.reference_person}" if r.reference_person else ""
            basis = codes.label("permit_basis", r.reference_basis_at_grant) if r.reference_basis_at_grant else ""
            rows.append((r.application_date, _("Family reunification"), ", ".join(x for x in (ref, basis) if x), r))
        for r in self.of(m.UpperSecondaryEnrolment):
            what = _("full time") if r.full_time else _("part time")
            rows.append((r.from_date, _("Upper-secondary education"), f"{what}, {_('county')} {r.county}", r))
        for r in self.of(m.ReceptionStay):
            rows.append((r.from_date, _("Reception centre stay"), f"{r.centre} ({r.host_municipality})", r))
        for r in self.of(m.ExtraGrantCase):
            rows.append(
                (r.applied_at, codes.label("extra_grant_type", r.grant_type), f"{_('grant year')} {r.grant_year}", r)
            )
        rows.sort(key=lambda x: (x[0] or dt.date.min, x[3].id), reverse=True)
        return {
            "rows": [
                {
                    "id": row_anchor(r),
                    "date": day,
                    "kind": kind,
                    "summary": summary,
                    "by": self.by(r),
                    "url": self.details_url(r),
                    "revise": self.revise(r),
                }
                for day, kind, summary, r in rows
            ]
        }

    # --- the whole page ---------------------------------------------------------------------

    def context(self) -> dict:
        return {
            "page": self,
            "person": self.person,
            "name": self.name,
            "duf": self.duf,
            "avvik": self.section("avvik"),
            "grunndata": self.section("grunndata"),
            "kategori": self.section("kategori"),
            "schemes": self.scheme_blocks(),
            "kartlegging": self.section("kartlegging"),
            "prover": self.section("prover"),
            "tilskudd": self.section("tilskudd"),
            "karriereveiledning": self.section("karriereveiledning"),
            "history_url": self.history_url,
            "may_register": self.may_register,
            "former": self.former,
            "move_url": reverse("person_move", args=[self.duf]) if self.may_register else "",
        }


def row_anchor(row: m.Registration) -> str:
    """The id of a registration on the history page: «reg-decision-17»."""
    return f"reg-{type(row).__name__.lower()}-{row.pk}"


def version_status(row: m.Registration) -> str:
    """A version's state in the register: Gjeldende, Erstattet <when>, or Sletting (an annulment)."""
    from django.utils import formats, timezone

    if row.operation == m.Operation.ANNUL:
        return _("Annulment")
    if row.superseded_at is not None:
        when = formats.date_format(timezone.localtime(row.superseded_at), "d.m.Y H:i")
        return _("Replaced %(when)s") % {"when": when}
    return _("Current")
