"""The registry of registration kinds (``nir.register.kinds``): every kind is reachable wherever it
says it is — the person page's «+ Legg til» form (its Norwegian slug), the API (its path segment)
and the interchange format (its key) — and no form or endpoint exists that the registry does not
declare. A new kind is declared once, in the registry."""

from __future__ import annotations

import re

import pytest

from nir import codes
from nir.register import kinds
from nir.register.interchange import parse_line
from nir.web.persons import forms

pytestmark = pytest.mark.django_db

REGISTRATION_KINDS = [k for k in kinds.KINDS if k.slug or k.segment]


def test_the_registration_kinds_and_their_channels():
    """The kinds registered one at a time, with their slug and API segment. The extension is
    registered on the page only (the API's final goal carries no months); the other kinds of the
    interchange format (permits, residences, …) come from case systems through ``nir import`` and
    the batch endpoint's import lines only."""
    assert {k.name: (k.slug, k.segment) for k in REGISTRATION_KINDS} == {
        "decisions": ("vedtak", "decisions"),
        "final_goal": ("sluttmaal", "final-goals"),
        "extension": ("utvidelse", ""),
        "participation": ("deltakelse", "participation"),
        "measures": ("tiltak", "measures"),
        "absences": ("fravaer", "absences"),
        "terminations": ("avslutning", "terminations"),
        "career_guidance": ("karriereveiledning", "career-guidance"),
        # on the person page only (issue 16 § 4): the API registers them through batches of import lines
        "competence_mappings": ("kartlegging", ""),
        "exams": ("prove", ""),
        # the grants' facts (grants.md A.1.1, issue 20)
        "family_reunification": ("familieinnvandring", "family-reunifications"),
        "upper_secondary_enrolments": ("videregaende", "upper-secondary-enrolments"),
        "reception_stays": ("mottaksopphold", "reception-stays"),
        "extra_grant_cases": ("ekstratilskudd", "extra-grant-cases"),
    }
    assert len({k.model for k in kinds.KINDS}) == len(kinds.KINDS)  # one kind per model


# --- the web form -----------------------------------------------------------------------------------


def test_the_web_forms_are_the_registry_kinds_with_a_slug():
    assert set(forms.KINDS) == set(kinds.BY_SLUG)
    for slug, kind in forms.KINDS.items():
        assert kind.registration is kinds.BY_SLUG[slug]
        spec_keys = {j for j, *_ in kind.spec}
        assert {f.name for f in kind.fields} <= spec_keys, slug  # the form posts the interchange keys


@pytest.mark.parametrize("kind", [k for k in REGISTRATION_KINDS if k.slug], ids=lambda k: k.name)
def test_every_kind_with_a_slug_has_its_form(world, as_user, kind):
    form = forms.KINDS[kind.slug]
    scheme = form.schemes[0] if form.schemes else None
    r = as_user("trondheim").get(
        f"/personer/{world['anne'].duf}/ny/{kind.slug}/" + (f"?ordning={scheme}" if scheme else "")
    )
    assert r.status_code == 200
    html = r.content.decode()
    for f in form.fields:
        assert re.search(rf'name="{f.name}"', html), (kind.slug, f.name)
    for json_key, default in kind.defaults.items():  # a default shown in the form is the registry's
        if json_key in {f.name for f in form.fields}:
            assert re.search(rf'<option value="{default}"[^>]*selected', html), (kind.slug, json_key)


# --- the API ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi():
    from django.test import Client

    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def _resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_the_api_endpoints_are_the_registry_kinds_with_a_segment(openapi):
    prefix = "/api/v1/persons/{duf}/"
    posted = {
        path[len(prefix) :]
        for path, ops in openapi["paths"].items()
        if path.startswith(prefix) and "post" in ops and "/{id}/" not in path
    }
    # … and moves: a move is not one registration kind but an act on two (follow-up and residence; issue 16 § 2);
    # and «Kontrollert» of a plausibility warning, which registers nothing (issue 16 § 3)
    assert posted == set(kinds.BY_SEGMENT) | {"moves", "warnings/{warning_id}/acknowledgements"}


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_can_be_corrected_and_annulled_through_the_api(openapi, kind):
    base = f"/api/v1/persons/{{duf}}/{kind.resource}/{{id}}"
    correction = _resolve(
        openapi, openapi["paths"][f"{base}/corrections"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    )
    assert set(correction["required"]) == {"reason", "values"}
    values = _resolve(openapi, correction["properties"]["values"])
    assert list(values["properties"]) == [j for j, *_ in kind.spec] and not values.get("required")
    annulment = openapi["paths"][f"{base}/annulments"]["post"]["requestBody"]["content"]["application/json"]
    assert list(_resolve(openapi, annulment["schema"])["properties"]) == ["reason"]


@pytest.mark.parametrize("kind", [k for k in REGISTRATION_KINDS if k.segment], ids=lambda k: k.name)
def test_every_kind_with_a_segment_has_its_endpoint(openapi, kind):
    op = openapi["paths"][f"/api/v1/persons/{{duf}}/{kind.segment}"]["post"]
    body = _resolve(openapi, op["requestBody"]["content"]["application/json"]["schema"])
    assert list(body["properties"]) == [j for j, *_ in kind.spec]  # the interchange keys, in order
    required = {j for j, _f, _k, req in kind.spec if req and j not in kind.defaults}
    assert set(body.get("required", [])) == required
    for json_key, default in kind.defaults.items():
        assert body["properties"][json_key].get("default") == default, json_key


# --- the interchange format ---------------------------------------------------------------------------


def _sample(kind: str):
    """A valid value of an interchange field of ``kind``."""
    if kind == "date":
        return "2026-02-02"
    if kind == "code:scheme":
        return "intro"
    if kind.startswith("code:"):
        return codes.code_list(kind[5:]).codes[0].code
    return {"municipality": "5001", "district": "", "decimal": 7.5, "int": 3, "bool": True, "nullbool": None}.get(
        kind, "x"
    )


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda k: k.name)
def test_every_kind_has_its_interchange_key(kind):
    if kind.listed:
        value = [{j: _sample(k) for j, _f, k, required in kind.spec if required}]
    else:  # a plain value: the final goal's code, the extension's months
        value = _sample(kind.spec[0][2])
    parsed = parse_line(
        {
            "duf": "123456789012",
            "first_name": "Test",
            "last_name": "Testesen",
            "facts": {"birth_date": "1990-01-01", kind.interchange: value},
        }
    )
    assert parsed.problems == []
    [item] = parsed.items
    assert item.model is kind.model
    for json_key, default in kind.defaults.items():  # absent: the registry's default
        assert item.values[kind.model_field(json_key)] == default, json_key


def test_permit_basis_options_tell_shared_labels_apart():
    """Three permit bases are «Utlendingsloven 2008 kap. 6» (family immigration): the select shows their
    descriptions, so family_of_worker (issue 19) can be chosen; the others show the label alone."""
    import datetime as dt

    spec = forms.FieldSpec("basis", "Hjemmel", "select", True, code_list="permit_basis")
    opts = dict(o for _group, items in forms.options(spec, None, dt.date(2026, 12, 1)) for o in items)
    fam = "Utlendingsloven 2008 kap. 6 – Familieinnvandring med arbeidsinnvandrer som referanseperson"
    assert opts["family_of_worker"] == fam
    assert opts["family_of_norwegian"].endswith("Familieinnvandring med norsk eller nordisk referanseperson")
    assert opts["utl_34"] == codes.label("permit_basis", "utl_34")
