"""User administration in the application (nir.access.users): IMDi creates users in any organisation; a
municipality's own administrator (Lokal administrator) creates, deactivates and gives the municipality's
roles to its own users only; the first password is set with a one-time link; every change is audited."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from nir.access import policy
from nir.access import users as users_admin
from nir.access.models import AuditEvent, Role, RoleAssignment
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Et-langt-passord-for-test-2026"


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "imdi-admin", "imdi"),
        "local": make_user(django_user_model, "lokal-5001", "k-5001", roles=[Role.MUNICIPALITY_ADMIN]),
        "colleague": make_user(django_user_model, "kollega-5001", "k-5001", first_name="Kari", last_name="Kollega"),
        "bergen": make_user(django_user_model, "bruker-4601", "k-4601"),
        "caseworker": make_user(django_user_model, "saksbehandler-5001", "k-5001"),
    }


def _link(html: str) -> str:
    match = re.search(r"https?://[^/\s<]+(/passord/[^<\s]+/)", html)
    assert match, "no one-time link on the page"
    return match.group(1)


def _set_password(link: str) -> Client:
    c = Client()
    r = c.get(link)
    assert r.status_code == 302  # Django moves the token into the session
    form_url = r["Location"]
    assert "Velg passordet" in c.get(form_url).content.decode()
    r = c.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/login/"
    return c


def _create(client, **values):
    data = {"username": "ny-bruker", "first_name": "Nina", "last_name": "Ny", "email": "nina@example.org"}
    data.update(values)
    return client.post("/administrering/brukere/ny/", data)


def test_imdi_creates_a_user_who_sets_a_password_and_logs_in(client, users, django_user_model):
    client.force_login(users["imdi"])
    html = client.get("/administrering/brukere/ny/").content.decode()
    assert "Ny bruker" in html and 'name="organisation"' in html and "k-4601" in html
    r = _create(client, organisation="k-4601", roles=["caseworker", "career_counsellor"])
    assert r.status_code == 201
    html = r.content.decode()
    user = django_user_model.objects.get(username="ny-bruker")
    assert user.organisation.code == "k-4601" and user.get_full_name() == "Nina Ny" and user.email == "nina@example.org"
    assert not user.has_usable_password()
    assert user.role_codes() == {"caseworker", "career_counsellor"}
    event = AuditEvent.objects.get(what="administer:user-create")
    assert event.user == users["imdi"] and event.action == "write" and event.purpose == "forvaltning"
    assert event.filters["organisation"] == "k-4601" and event.filters["roles"] == ["career_counsellor", "caseworker"]

    link = _link(html)
    assert not Client().login(username="ny-bruker", password=PASSWORD)
    _set_password(link)
    assert AuditEvent.objects.filter(what="administer:password-set", user=user).exists()
    c = Client()
    r = c.post("/login/", {"username": "ny-bruker", "password": PASSWORD})
    assert r.status_code == 302
    assert c.get("/personer/").status_code == 200
    # the link works once
    assert "virker ikke lenger" in Client().get(link, follow=True).content.decode()


def test_a_new_user_must_be_valid(client, users):
    client.force_login(users["imdi"])
    r = _create(client, username="imdi-admin", first_name="", organisation="k-4601", roles=["caseworker"])
    assert r.status_code == 400
    html = r.content.decode()
    assert "er allerede i bruk" in html and "fornavn og etternavn" in html
    r = _create(client, organisation="k-4601", roles=[])
    assert r.status_code == 400 and "minst én rolle" in r.content.decode()
    # a role the organisation's kind cannot hold
    r = _create(client, organisation="k-4601", roles=["imdi_admin"])
    assert r.status_code == 400 and "Du kan ikke gi rollen «IMDi administrator»" in r.content.decode()
    assert not AuditEvent.objects.filter(what="administer:user-create").exists()


def test_the_local_administrator_creates_a_user_in_its_own_municipality(client, users, django_user_model):
    client.force_login(users["local"])
    html = client.get("/administrering/brukere/ny/").content.decode()
    assert "Trondheim" in html and 'name="organisation"' not in html  # its own organisation, fixed
    assert 'value="caseworker"' in html and 'value="imdi_admin"' not in html and 'value="county_governor"' not in html
    r = _create(client, roles=["caseworker"])
    assert r.status_code == 201
    user = django_user_model.objects.get(username="ny-bruker")
    assert user.organisation.code == "k-5001" and user.role_codes() == {"caseworker"}
    assert AuditEvent.objects.get(what="administer:user-create").user == users["local"]
    _set_password(_link(r.content.decode()))
    assert Client().login(username="ny-bruker", password=PASSWORD)


def test_the_local_administrator_cannot_create_elsewhere_or_give_imdi_roles(client, users, django_user_model):
    client.force_login(users["local"])
    r = _create(client, organisation="k-4601", roles=["caseworker"])
    assert r.status_code == 403
    r = _create(client, organisation="imdi", roles=["imdi_admin"])
    assert r.status_code == 403
    assert AuditEvent.objects.filter(what="administer:refused", outcome="denied", user=users["local"]).count() == 2
    for role in ("imdi_admin", "imdi_analyst", "county_governor", "settlement_caseworker"):
        r = _create(client, roles=[role])
        assert r.status_code == 400, role
        assert "Du kan ikke gi rollen" in r.content.decode()
    assert not django_user_model.objects.filter(username="ny-bruker").exists()


def test_the_local_administrator_manages_its_own_users_only(client, users):
    client.force_login(users["local"])
    html = client.get("/administrering/brukere/").content.decode()
    assert "kollega-5001" in html and "bruker-4601" not in html and "imdi-admin" not in html
    # another organisation's user: not found, and the attempt is recorded as refused
    assert client.get(f"/administrering/brukere/{users['bergen'].pk}/").status_code == 404
    assert (
        client.post(
            f"/administrering/brukere/{users['bergen'].pk}/", {"action": "set_active", "active": "0"}
        ).status_code
        == 404
    )
    users["bergen"].refresh_from_db()
    assert users["bergen"].is_active
    refused = AuditEvent.objects.get(what="administer:refused", user=users["local"])
    assert refused.outcome == "denied" and refused.filters == {"attempt": "set_active", "user_id": users["bergen"].pk}
    # its own: roles of the municipality only
    url = f"/administrering/brukere/{users['colleague'].pk}/"
    html = client.get(url).content.decode()
    assert 'href="/organisasjoner/' not in html  # IMDi's pages are not offered to a local administrator
    assert 'value="municipality_admin"' in html and 'value="county_governor"' not in html
    assert client.post(url, {"action": "add_role", "role": "municipality_admin"}).status_code == 302
    r = client.post(url, {"action": "add_role", "role": "county_governor"})
    assert r.status_code == 400
    assert not RoleAssignment.objects.filter(user=users["colleague"], role="county_governor").exists()
    assert AuditEvent.objects.filter(what="administer:role-add", user=users["local"]).count() == 1


def test_an_imdi_role_given_by_imdi_cannot_be_taken_by_the_local_administrator(client, users):
    # (IMDi's administrators give any role the kind allows; a local administrator never touches one it cannot give:
    # the county officer's read of settlement figures fits a municipality's ceiling, but is not a local role)
    target = users["colleague"]
    assert Role.COUNTY_OFFICER in users_admin.allowed_roles("municipality")
    assert Role.COUNTY_OFFICER not in policy.LOCAL_ROLES
    a = RoleAssignment.objects.create(user=target, role=Role.COUNTY_OFFICER, organisation=target.organisation)
    client.force_login(users["local"])
    r = client.post(f"/administrering/brukere/{target.pk}/", {"action": "remove_role", "assignment": a.pk})
    assert r.status_code == 400
    assert RoleAssignment.objects.filter(pk=a.pk).exists()


def test_a_deactivated_user_cannot_log_in(client, users, django_user_model):
    colleague = users["colleague"]
    colleague.set_password(PASSWORD)
    colleague.save()
    assert Client().login(username="kollega-5001", password=PASSWORD)
    client.force_login(users["local"])
    r = client.post(f"/administrering/brukere/{colleague.pk}/", {"action": "set_active", "active": "0"})
    assert r.status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert not Client().login(username="kollega-5001", password=PASSWORD)
    r = Client().post("/login/", {"username": "kollega-5001", "password": PASSWORD})
    assert r.status_code == 200 and "Feil brukernavn eller passord" in r.content.decode()
    event = AuditEvent.objects.get(what="administer:user-active")
    assert event.user == users["local"] and event.filters["active"] is False


def test_the_local_administrator_cannot_remove_its_own_administration(client, users):
    local = users["local"]
    client.force_login(local)
    a = RoleAssignment.objects.get(user=local, role=Role.MUNICIPALITY_ADMIN)
    r = client.post(f"/administrering/brukere/{local.pk}/", {"action": "remove_role", "assignment": a.pk})
    assert r.status_code == 400
    assert RoleAssignment.objects.filter(pk=a.pk).exists()


def test_a_new_password_link_for_an_existing_user(client, users):
    client.force_login(users["local"])
    r = client.post(f"/administrering/brukere/{users['colleague'].pk}/", {"action": "login_link"})
    assert r.status_code == 200
    link = _link(r.content.decode())
    assert AuditEvent.objects.filter(what="administer:password-link", user=users["local"]).exists()
    _set_password(link)
    assert Client().login(username="kollega-5001", password=PASSWORD)


def test_a_caseworker_administers_nobody(client, users):
    client.force_login(users["caseworker"])
    assert client.get("/administrering/brukere/").status_code == 403
    assert client.get("/administrering/brukere/ny/").status_code == 403
    assert _create(client, roles=["caseworker"]).status_code == 403
    assert not policy.allows(users["caseworker"], policy.Permission.MANAGE_USERS)


def test_a_broken_link_changes_nothing(users):
    r = Client().get("/passord/MQ/ugyldig-lenke/")
    assert r.status_code == 200 and "virker ikke lenger" in r.content.decode()
