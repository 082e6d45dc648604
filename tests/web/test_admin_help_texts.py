"""Hjelpetekster: every key with title, text and who/when last edited; editing adds a new version
(the previous one is kept) and the «?» of ``{% help %}`` shows the new text; validation keeps what
was typed and says what is wrong."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client

from nir.testing.builders import make_user
from nir.web import help as help_texts
from nir.web.models import HelpText

KEY = "person.grunndata"
URL = f"/hjelpetekster/{KEY}/"


@pytest.fixture(autouse=True)
def fresh_help_cache():
    """The help texts are cached per process: no test may leave another test's texts behind."""
    cache.delete(help_texts.CACHE_KEY)
    yield
    cache.delete(help_texts.CACHE_KEY)


@pytest.fixture
def admin_user(db, django_user_model):
    return make_user(django_user_model, "hjelp-imdi", "imdi", first_name="Hege", last_name="Hjelper")


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def _render_help(key: str) -> str:
    return Template("{% load nir_web %}<label>Grunndata {% help key %}</label>").render(Context({"key": key}))


def test_list_shows_every_key(admin):
    html = admin.get("/hjelpetekster/").content.decode()
    for key, value in help_texts.defaults().items():
        assert f"<code>{key}</code>" in html and value["title"] in html
    assert "Levert med NIR" in html and f'href="{URL}"' in html


def test_edit_creates_a_new_version_and_the_question_mark_shows_it(
    admin, admin_user, django_capture_on_commit_callbacks
):
    before = HelpText.objects.current().get(key=KEY)
    assert "Opplysninger om personen fra UDI" in _render_help(KEY)
    html = admin.get(URL).content.decode()
    assert "Endre hjelpetekst" in html and before.title in html and 'name="csrfmiddlewaretoken"' in html
    with django_capture_on_commit_callbacks(execute=True):  # save_text clears the cache on commit
        r = admin.post(URL, {"title": "Grunndata (UDI)", "text": "Ny tekst om grunndata.\n\nAndre avsnitt."})
    assert r.status_code == 302 and r["Location"] == URL
    versions = list(HelpText.objects.filter(key=KEY).order_by("recorded_at", "id"))
    assert len(versions) == 2
    assert versions[0].pk == before.pk and versions[0].superseded_at is not None  # the previous one is kept
    assert versions[1].superseded_at is None and versions[1].recorded_by == admin_user
    assert versions[1].title == "Grunndata (UDI)" and versions[1].text == "Ny tekst om grunndata.\n\nAndre avsnitt."
    # the «?» beside the field now shows the new text
    rendered = _render_help(KEY)
    assert "Ny tekst om grunndata." in rendered and "Opplysninger om personen fra UDI" not in rendered
    html = admin.get(URL).content.decode()
    assert "er lagret som en ny versjon" in html  # the message after the redirect
    assert "Hege Hjelper" in html and "Gjeldende" in html and "erstattet" in html  # the version history
    assert "Ny tekst om grunndata." in html[html.index("nir-help-preview") :]  # the preview uses {% help %}
    listing = admin.get("/hjelpetekster/").content.decode()
    assert "Grunndata (UDI)" in listing and "Hege Hjelper" in listing


def test_unchanged_text_is_not_saved_again(admin):
    current = HelpText.objects.current().get(key=KEY)
    r = admin.post(URL, {"title": current.title, "text": current.text}, follow=True)
    assert "Ingen endringer" in r.content.decode()
    assert HelpText.objects.filter(key=KEY).count() == 1


def test_validation_keeps_what_was_typed(admin):
    r = admin.post(URL, {"title": "", "text": "Teksten jeg skrev"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "Hjelpeteksten ble ikke lagret" in html and "Skriv en tittel." in html
    assert "Teksten jeg skrev" in html and 'aria-invalid="true"' in html and 'href="#id_title"' in html
    r = admin.post(URL, {"title": "T" * 201, "text": "   "})
    html = r.content.decode()
    assert r.status_code == 400 and "Tittelen kan ha høyst 200 tegn (den har 201)." in html
    assert "Skriv hjelpeteksten." in html
    r = admin.post(URL, {"title": "Grunndata", "text": "x" * 4001})
    assert r.status_code == 400 and "Teksten kan ha høyst 4000 tegn" in r.content.decode()
    assert HelpText.objects.filter(key=KEY).count() == 1


def test_only_existing_keys(admin):
    assert admin.get("/hjelpetekster/finnes.ikke/").status_code == 404
    assert admin.post("/hjelpetekster/finnes.ikke/", {"title": "a", "text": "b"}).status_code == 404
    assert not HelpText.objects.filter(key="finnes.ikke").exists()


def test_edit_needs_csrf_and_administer(admin_user, django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(URL, {"title": "a", "text": "b"}).status_code == 403
    caseworker = make_user(django_user_model, "hjelp-5001", "k-5001")
    client = Client()
    client.force_login(caseworker)
    assert client.post(URL, {"title": "a", "text": "b"}).status_code == 403
    assert HelpText.objects.filter(key=KEY).count() == 1
