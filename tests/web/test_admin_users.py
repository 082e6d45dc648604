"""Administrering › Brukere: search and filters; one user's roles (added within the user's organisation,
only roles its kind allows, removed), active on/off — CSRF-protected POSTs, PRG, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from nir.access import policy
from nir.access.models import AuditEvent, Organisation, Role, RoleAssignment
from nir.testing.builders import make_user
from nir.web.views_admin import allowed_roles


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "bruker-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "bruker-5001", "k-5001", first_name="Trine", last_name="Tveit"),
        "bergen": make_user(
            django_user_model,
            "bruker-4601",
            "k-4601",
            first_name="Bjarte",
            last_name="Berg",
            roles=["career_counsellor"],
        ),
        "inactive": make_user(django_user_model, "bruker-sluttet", "k-5001", is_active=False),
    }


@pytest.fixture
def admin(client, users):
    client.force_login(users["imdi"])
    return client


def _url(user) -> str:
    return f"/administrering/brukere/{user.pk}/"


def test_search_and_filters(admin, users):
    html = admin.get("/administrering/brukere/", {"q": "tveit"}).content.decode()
    assert "bruker-5001" in html and "bruker-4601" not in html and "1 bruker" in html
    html = admin.get("/administrering/brukere/", {"organisation": "k-4601"}).content.decode()
    assert "bruker-4601" in html and "bruker-5001" not in html
    html = admin.get("/administrering/brukere/", {"role": "career_counsellor"}).content.decode()
    assert "bruker-4601" in html and "bruker-5001" not in html
    html = admin.get("/administrering/brukere/", {"active": "0"}).content.decode()
    assert "bruker-sluttet" in html and "bruker-5001" not in html


def test_allowed_roles_follow_the_policy():
    municipality = allowed_roles("municipality")
    assert Role.CASEWORKER in municipality and Role.MUNICIPALITY_ADMIN in municipality
    assert Role.IMDI_ADMIN not in municipality and Role.IMDI_ANALYST not in municipality
    # the county's usual role (policy.DEFAULT_ROLE) and the read of settlement figures (issue 17)
    assert allowed_roles("county") == [Role.CAREER_COUNSELLOR, Role.COUNTY_OFFICER]
    # Bosetting: IMDi's settlement caseworker assigns cases, which no municipality may do
    assert Role.SETTLEMENT_CASEWORKER not in municipality and Role.SETTLEMENT_COORDINATOR in municipality
    assert set(allowed_roles("imdi")) == set(Role)
    for kind, roles in ((k, allowed_roles(k)) for k in policy.ORGANISATION_CEILING):
        assert policy.DEFAULT_ROLE[kind] in roles


def test_add_and_remove_a_role(admin, users):
    target = users["trondheim"]
    html = admin.get(_url(target)).content.decode()
    assert "Lokal administrator" in html and "IMDi administrator" not in html  # only the roles a municipality can give
    r = admin.post(_url(target), {"action": "add_role", "role": "municipality_admin"})
    assert r.status_code == 302 and r["Location"] == _url(target)
    a = RoleAssignment.objects.get(user=target, role="municipality_admin")
    assert a.organisation.code == "k-5001"
    html = admin.get(_url(target)).content.decode()
    assert "har fått rollen «Lokal administrator»" in html  # the message after the redirect
    event = AuditEvent.objects.get(what="administer:role-add")
    assert event.action == "write" and event.channel == "web" and event.user == users["imdi"]
    assert event.filters == {
        "user": "bruker-5001",
        "user_id": target.pk,
        "role": "municipality_admin",
        "organisation": "k-5001",
    }
    assert event.person_count == 0

    r = admin.post(_url(target), {"action": "remove_role", "assignment": a.pk}, follow=True)
    assert r.status_code == 200 and "er fjernet fra bruker-5001" in r.content.decode()
    assert not RoleAssignment.objects.filter(user=target, role="municipality_admin").exists()
    assert AuditEvent.objects.filter(what="administer:role-remove").count() == 1


def test_a_role_the_organisation_kind_does_not_allow_is_refused(admin, users):
    target = users["trondheim"]
    r = admin.post(_url(target), {"action": "add_role", "role": "imdi_admin"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Endringen ble ikke gjort" in html
    assert "Rollen «IMDi administrator» kan ikke gis i en organisasjon av typen «Kommune»." in html
    assert not RoleAssignment.objects.filter(user=target, role="imdi_admin").exists()
    assert not AuditEvent.objects.filter(what__startswith="administer:").exists()
    r = admin.post(_url(target), {"action": "add_role", "role": "caseworker"})  # already held
    assert r.status_code == 400 and "har allerede rollen" in r.content.decode()
    r = admin.post(_url(target), {"action": "add_role", "role": "konge"})
    assert r.status_code == 400


def test_deactivate_and_activate(admin, users):
    target = users["trondheim"]
    r = admin.post(_url(target), {"action": "set_active", "active": "0"})
    assert r.status_code == 302
    target.refresh_from_db()
    assert not target.is_active and not policy.permissions(target)
    admin.post(_url(target), {"action": "set_active", "active": "1"})
    target.refresh_from_db()
    assert target.is_active
    assert AuditEvent.objects.filter(what="administer:user-active").count() == 2


def test_an_administrator_cannot_lock_themselves_out(admin, users):
    me = users["imdi"]
    r = admin.post(_url(me), {"action": "set_active", "active": "0"})
    assert r.status_code == 400 and "din egen bruker" in r.content.decode()
    own = RoleAssignment.objects.get(user=me, role="imdi_admin")
    r = admin.post(_url(me), {"action": "remove_role", "assignment": own.pk})
    assert r.status_code == 400 and "din egen tilgang" in r.content.decode()
    me.refresh_from_db()
    assert me.is_active and RoleAssignment.objects.filter(pk=own.pk).exists()


def test_only_a_superuser_changes_a_superuser(admin, django_user_model, users):
    root = django_user_model.objects.create_superuser(
        "rot", password=None, organisation=Organisation.objects.get(code="imdi")
    )
    html = admin.get(_url(root)).content.decode()
    assert "bare en superbruker kan endre den" in html and 'name="action"' not in html
    assert admin.post(_url(root), {"action": "set_active", "active": "0"}).status_code == 403
    root.refresh_from_db()
    assert root.is_active


def test_changes_need_csrf(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["imdi"])
    r = client.post(_url(users["trondheim"]), {"action": "add_role", "role": "municipality_admin"})
    assert r.status_code == 403
    assert not RoleAssignment.objects.filter(role="municipality_admin").exists()


def test_a_caseworker_cannot_change_roles(client, users):
    client.force_login(users["trondheim"])
    r = client.post(_url(users["trondheim"]), {"action": "add_role", "role": "municipality_admin"})
    assert r.status_code == 403
    assert not RoleAssignment.objects.filter(role="municipality_admin").exists()
