"""The start page served by `make run`: reachable, in Norwegian, login works, no personal data."""

from __future__ import annotations

import pytest

from nir.access.models import Organisation


@pytest.mark.django_db
def test_start_page_in_norwegian_without_login(client):
    r = client.get("/")
    assert r.status_code == 200
    text = r.content.decode()
    assert 'lang="nb"' in text and "NIR og Bosetting" in text and "357 kommuner" in text
    assert "personer" not in text  # no register figures before login


@pytest.mark.django_db
def test_login_and_health(client, django_user_model):
    user = django_user_model.objects.create_user(
        "saksbehandler", password="et-langt-passord-1", organisation=Organisation.objects.get(code="k-5001")
    )
    r = client.post("/login/", {"username": "saksbehandler", "password": "feil"})
    assert r.status_code == 200 and "Feil brukernavn eller passord" in r.content.decode()
    r = client.post("/login/", {"username": "saksbehandler", "password": "et-langt-passord-1"}, follow=True)
    assert r.status_code == 200 and "Innlogget som" in r.content.decode() and user.username in r.content.decode()
    assert client.get("/helse/").json()["status"] == "ok"


@pytest.mark.django_db
def test_start_page_sends_a_caseworker_to_arbeidsflate(client, django_user_model):
    from nir.testing.builders import make_user

    client.force_login(make_user(django_user_model, "start-saksbehandler", "k-5001"))
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/arbeidsflate/"


@pytest.mark.django_db
def test_start_page_tells_a_user_without_pages_whom_to_ask(client, django_user_model):
    from nir.testing.builders import make_user

    client.force_login(make_user(django_user_model, "start-uten-rolle", "k-5001", roles=[]))
    text = client.get("/").content.decode()
    assert "Brukeren din har ingen sider i NIR og Bosetting" in text and 'aria-label="Hovedmeny"' not in text
