"""POST /api/v1/persons/{duf}/details/{id}/corrections: the person's own details corrected through the one
correction action (a reason, validated values, the Regelmotor's judgement, audited); never annulled;
skjermet changed by IMDi only (403 otherwise); the national id never in the logs."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from api_helpers import API, assert_problem

from nir.access.models import AuditEvent
from nir.register import models as m
from nir.testing.builders import synthetic_id

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(f"{API}{path}", json.dumps(body), content_type="application/json")


def details(person) -> m.PersonDetails:
    return m.PersonDetails.objects.current().get(person=person)


def path(person, what="corrections"):
    return f"/persons/{person.duf}/details/{details(person).pk}/{what}"


def test_a_surname_is_corrected(world, as_user, users, caplog):
    tor = world["tor"]
    old = details(tor)
    caplog.set_level(logging.DEBUG)
    r = post(as_user("trondheim"), path(tor), {"reason": "Skrivefeil", "values": {"last_name": "Tangen-Berg"}})
    assert r.status_code == 201, r.content
    reg = r.json()["registration"]
    assert (reg["kind"], reg["operation"], reg["supersedes"], reg["reason"]) == (
        "details",
        "correct",
        old.pk,
        "Skrivefeil",
    )
    assert reg["values"]["last_name"] == "Tangen-Berg" and reg["values"]["first_name"] == "Tor"
    new = details(tor)
    assert (new.last_name, new.national_id, new.birth_date) == ("Tangen-Berg", old.national_id, old.birth_date)
    assert new.registered_by_user_id == users["trondheim"].pk
    event = AuditEvent.objects.filter(action="write").latest("id")
    assert event.what == "details:correct"
    assert old.national_id not in caplog.text


def test_refusals_name_the_field_and_never_log_the_national_id(world, as_user, caplog):
    tor = world["tor"]
    row = details(tor)
    c = as_user("trondheim")
    bad = row.national_id[:-1] + str((int(row.national_id[-1]) + 1) % 10)
    caplog.set_level(logging.DEBUG)
    r = post(c, path(tor), {"reason": "Feil nummer", "values": {"national_id": bad}})
    assert_problem(r, 422, rule="national_id_checksum", field="values.national_id")
    assert bad not in caplog.text and row.national_id not in caplog.text
    born = dt.date(1991, 3, 4)
    r = post(c, path(tor), {"reason": "Feil dato", "values": {"birth_date": born.isoformat()}})
    assert_problem(r, 422, rule="national_id_birth_date_mismatch", field="values.national_id")
    # a birth date after the person's permit (01.10.2025): the plausibility rule date_before_birth
    born = dt.date(2025, 12, 1)
    r = post(
        c, path(tor), {"reason": "Feil dato", "values": {"birth_date": "2025-12-01", "national_id": synthetic_id(born)}}
    )
    assert_problem(r, 422, rule="date_before_birth", field="values.birth_date")
    r = post(c, path(tor), {"reason": "", "values": {"last_name": "X"}})
    assert r.status_code == 422
    assert details(tor).pk == row.pk


def test_a_birth_date_correction_is_judged_by_the_regelmotor(world, as_user):
    anne = world["anne"]
    before = m.DerivedStatus.objects.current().get(person=anne)
    born = dt.date(1963, 1, 15)
    body = {"reason": "Feil fødselsår", "values": {"birth_date": born.isoformat(), "national_id": synthetic_id(born)}}
    r = post(as_user("trondheim"), path(anne), body)
    assert r.status_code == 201, r.content
    after = m.DerivedStatus.objects.current().get(person=anne)
    assert after.supersedes_id == before.pk
    assert r.json()["person"]["status"] != {}


def test_skjermet_is_imdis_to_change(world, as_user):
    tor = world["tor"]
    row = details(tor)
    body = {"reason": "Trusler", "values": {"protected_identity": True}}
    assert_problem(
        post(as_user("trondheim"), path(tor), body),
        403,
        rule="protected_identity_imdi_only",
        field="values.protected_identity",
    )
    assert details(tor).pk == row.pk and not details(tor).protected_identity
    r = post(as_user("imdi"), path(tor), body)
    assert r.status_code == 201, r.content
    assert details(tor).protected_identity


def test_details_are_never_annulled_and_the_county_governor_corrects_nothing(world, as_user):
    tor = world["tor"]
    row = details(tor)
    r = post(as_user("trondheim"), path(tor, "annulments"), {"reason": "Feil"})
    assert r.status_code in (404, 405)
    assert_problem(post(as_user("governor"), path(tor), {"reason": "Feil", "values": {"last_name": "X"}}), 403)
    assert_problem(post(as_user("bergen"), path(tor), {"reason": "Feil", "values": {"last_name": "X"}}), 404)
    assert details(tor).pk == row.pk
