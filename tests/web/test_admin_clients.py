"""Administrering › API-klienter: clients with organisation, scopes, source system and keys (kid,
status, last use from the audit log); revoking a key through ``nir clients revoke-key``, audited."""

from __future__ import annotations

import pytest
from django.utils import timezone

from nir.access import audit, oauth
from nir.access.models import ApiClientKey, AuditEvent
from nir.testing.builders import make_client, make_user


@pytest.fixture
def admin(client, db, django_user_model):
    client.force_login(make_user(django_user_model, "klient-imdi", "imdi"))
    return client


@pytest.fixture
def trondheim(db):
    return make_client(
        "k-5001", "fagsystem-trondheim", ["nir:persons.read", "nir:registrations.write"], source_system="Visma Flyt"
    )


def test_clients_page_lists_clients_and_keys(admin, trondheim):
    make_client("k-4601", "fagsystem-bergen")
    audit.record(api_client=trondheim.client, action="read", channel="api", what="person")
    html = admin.get("/administrering/klienter/").content.decode()
    assert "fagsystem-trondheim" in html and "fagsystem-bergen" in html and "2 klienter" in html
    assert "Visma Flyt" in html and "nir:registrations.write" in html
    assert trondheim.kid in html and "Aktiv" in html and "Trekk tilbake" in html
    assert timezone.localtime().strftime("%d.%m.%Y") in html  # last used: today (the audit event)
    assert "Ikke i tilgangsloggen" in html  # Bergen's client has not been used
    html = admin.get("/administrering/klienter/", {"organisation": "k-4601"}).content.decode()
    assert "fagsystem-bergen" in html and "fagsystem-trondheim" not in html


def test_revoke_a_key(admin, trondheim):
    r = admin.post("/administrering/klienter/", {"kid": trondheim.kid, "next": "/administrering/klienter/?q=trondheim"})
    assert r.status_code == 302 and r["Location"] == "/administrering/klienter/?q=trondheim"
    key = ApiClientKey.objects.get(kid=trondheim.kid)
    assert key.revoked_at is not None
    html = admin.get(r["Location"]).content.decode()
    assert f"Nøkkelen {trondheim.kid} til fagsystem-trondheim er trukket tilbake." in html
    assert "Trukket tilbake" in html
    event = AuditEvent.objects.get(what="administer:key-revoke")
    assert event.filters == {"client": "fagsystem-trondheim", "kid": trondheim.kid} and event.action == "write"
    # the key no longer gets tokens
    with pytest.raises(oauth.OAuthError):
        trondheim.token()
    # revoking again changes nothing and says so
    r = admin.post("/administrering/klienter/", {"kid": trondheim.kid}, follow=True)
    assert "er ikke aktiv" in r.content.decode()
    assert AuditEvent.objects.filter(what="administer:key-revoke").count() == 1


def test_revoke_an_unknown_key_and_an_outside_redirect(admin, trondheim):
    r = admin.post("/administrering/klienter/", {"kid": "finnes-ikke", "next": "https://example.org/"})
    assert r.status_code == 302 and r["Location"] == "/administrering/klienter/"
    assert ApiClientKey.objects.get(kid=trondheim.kid).revoked_at is None


def test_a_caseworker_cannot_revoke(client, django_user_model, trondheim):
    client.force_login(make_user(django_user_model, "klient-5001", "k-5001"))
    assert client.post("/administrering/klienter/", {"kid": trondheim.kid}).status_code == 403
    assert ApiClientKey.objects.get(kid=trondheim.kid).revoked_at is None
