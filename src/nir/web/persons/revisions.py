"""«Rett» and «Slett (annuller)»: the forms that correct or annul a registration of any kind.

A correction form is the kind's «+ Legg til» form (``forms.KINDS``: the same fields, parsers and
error placement) pre-filled with the registration's current values, plus a required reason
(begrunnelse); the scheme and the follow-up municipality/district keep the registration's values. A
kind without an add form (oppholdstillatelse, adresse, oppfølging, bosetting) gets
a form from the registry's input spec (``nir.register.kinds``), labelled with the model's field names.
What the caseworker typed is parsed with the interchange parser over the registration's current
values, as the API does; everything else is judged by the action (``nir.actions.correct_registration``).

URLs: ``/personer/<duf>/rett/<slug>/<id>/`` and ``/personer/<duf>/slett/<slug>/<id>/``; ``<slug>`` is
the add form's slug, or one of ``EXTRA_SLUGS``. The person's own details (``personopplysninger``)
are corrected only: no «Slett».
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nir.register import kinds
from nir.register import models as m
from nir.register.errors import Problem
from nir.register.interchange import parse_fields
from nir.web.persons.forms import (
    _DATE_HINT,
    AUTO_KEYS,
    KINDS,
    FieldSpec,
    FormError,
    Kind,
    error_for,
    options,
    to_iso_date,
)

# The URL slugs of the kinds without an add form.
EXTRA_SLUGS = {
    "permits": "oppholdstillatelse",
    "residences": "adresse",
    "follow_up": "oppfolging",
    "settlements": "bosetting",
    "details": "personopplysninger",  # the person's own details: corrected, never annulled
}
REASON = "begrunnelse"  # the reason's form field


def _generic_field(model: type[m.Registration], json_key: str, fname: str, kind: str, required: bool) -> FieldSpec:
    label = capfirst(model._meta.get_field(fname).verbose_name)
    if kind == "date":
        return FieldSpec(json_key, label, "date", required, hint=_DATE_HINT)
    if kind.startswith("code:"):
        return FieldSpec(json_key, label, "select", required, kind[5:], all_codes=True)
    if kind in ("bool", "nullbool"):
        return FieldSpec(json_key, label, "yesno", required)
    if kind in ("decimal", "int"):
        return FieldSpec(json_key, label, kind, required)
    max_length = model._meta.get_field(fname).max_length
    return FieldSpec(json_key, label, "text", required, max_length=max_length)


def _generic_kind(registration: kinds.RegistrationKind) -> Kind:
    model = registration.model
    fields = tuple(
        _generic_field(model, j, f, k, r and j not in registration.defaults)
        for j, f, k, r in registration.spec
        if j not in AUTO_KEYS
    )
    name = capfirst(model._meta.verbose_name)
    return Kind(registration, "", name, name, gettext_lazy("The correction is saved."), (), fields)


def _form_kind(registration: kinds.RegistrationKind) -> tuple[str, Kind]:
    if registration.slug and registration.slug in KINDS:
        return registration.slug, KINDS[registration.slug]
    return EXTRA_SLUGS[registration.name], _generic_kind(registration)


# slug -> the form's kind, for every registration kind
REVISION_KINDS: dict[str, Kind] = dict(_form_kind(k) for k in kinds.REVISABLE)
SLUG_BY_MODEL: dict[type[m.Registration], str] = {k.model: slug for slug, k in REVISION_KINDS.items()}


def revise_urls(duf: str, row: m.Registration) -> dict[str, str]:
    """The «Rett» and «Slett» URLs of a current registration ({} for one that is not current)."""
    slug = SLUG_BY_MODEL.get(type(row))
    if slug is None or row.superseded_at is not None or row.operation == m.Operation.ANNUL:
        return {}
    day = next((v for f in row.FACT_FIELDS if isinstance(v := getattr(row, f), dt.date)), None)
    label = capfirst(row._meta.verbose_name) + (f" {day.strftime('%d.%m.%Y')}" if day else "")
    urls = {
        "correct": reverse("person_correct", args=[duf, slug, row.pk]),
        "annul": reverse("person_annul", args=[duf, slug, row.pk]),
        "label": label,  # for screen readers: which registration the link is about
    }
    if not REVISION_KINDS[slug].registration.annullable:
        del urls["annul"]
    return urls


def section_id(kind: Kind, row: m.Registration) -> str:
    """The person page's section showing the registration ("" for a kind the page does not list)."""
    if not kind.section:
        return ""
    return kind.section_id(getattr(row, "scheme", None) if kind.schemes else None)


# --- the values shown and read ----------------------------------------------------------------


def _shown(f: FieldSpec, value: Any) -> str:
    """A registration's value as the form shows it (as a caseworker would type it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    return str(value)


def current_raw(kind: Kind, row: m.Registration) -> dict[str, str]:
    spec = {j: f for j, f, _k, _r in kind.spec}
    return {f.name: _shown(f, getattr(row, spec[f.name])) for f in kind.fields}


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


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


@dataclasses.dataclass
class Correction:
    kind: Kind
    raw: dict[str, str]  # what was typed (or the current values), to show again
    reason: str
    changes: dict[str, Any] | None = None  # model values, when they parsed
    errors: list[FormError] = dataclasses.field(default_factory=list)


def read_correction(kind: Kind, row: m.Registration, data) -> Correction:
    """The posted correction form (``request.POST``): the fields typed, parsed over the registration's
    current values with the interchange parser and the kind's defaults; errors name the form's field."""
    raw = {f.name: str(data.get(f.name, "")).strip() for f in kind.fields}
    reason = str(data.get(REASON, "")).strip()
    obj = {j: _json(getattr(row, fname)) for j, fname, _k, _r in kind.spec}
    obj.update({f.name: _convert(f, raw[f.name]) for f in kind.fields})
    problems: list[Problem] = []
    values = parse_fields(obj, kind.spec, kind.key, problems)
    sub = Correction(kind, raw, reason)
    sub.errors = [error_for(kind, p) for p in problems]
    if not reason:
        sub.errors.append(reason_error(_("a correction must have a reason")))
    if not sub.errors:
        sub.changes = kind.registration.with_defaults(values)
    return sub


def reason_error(message: str, rule: str = "reason_required") -> FormError:
    return FormError(REASON, str(_("Reason")), message, rule)


def refusal_errors(kind: Kind, problems: list[Problem]) -> list[FormError]:
    """The action's refusal on the form: the reason, the form as a whole (a stale version, no change)
    or the field (``forms.error_for``, as for a new registration)."""
    out = []
    for p in problems:
        if p.field == "reason":
            out.append(reason_error(p.message, p.rule))
        elif p.field in ("id", "values"):
            out.append(FormError("", "", p.message, p.rule))
        else:
            out.append(error_for(kind, p))
    return out


def field_context(kind: Kind, scheme: str | None, raw: dict[str, str], errors: list[FormError], form_id: str):
    """What the template needs for each field: id, label, value, options (every code: the
    registration may hold one no longer valid today), errors."""
    today = timezone.localdate()
    out = []
    for f in kind.fields:
        opts = None
        if f.kind == "select":
            opts = options(dataclasses.replace(f, all_codes=True), scheme, today)
        elif f.kind == "yesno":
            opts = [("", [("true", _("Yes")), ("false", _("No"))])]
        out.append(
            {
                "name": f.name,
                "id": f"{form_id}-{f.name}",
                "label": f.label,
                "kind": "select" if f.kind == "yesno" else f.kind,
                "required": f.required,
                "hint": f.hint,
                "value": raw.get(f.name, ""),
                "errors": [e.message for e in errors if e.field == f.name],
                "options": opts,
                "max_length": f.max_length,
                "inputmode": "decimal" if f.kind == "decimal" else "numeric" if f.kind == "int" else "",
            }
        )
    return out
