"""Every page of the web application over a varied synthetic population (``nir synth``).

The page tests use small hand-made worlds; this one renders the pages for several hundred
generated persons — every permit basis, law, category, final goal, absence, termination and
Regelmotor closure the generator makes — so that no combination of facts breaks a page. Each
person page must also show the deadline and categories the Regelmotor stored for that person.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import formats

from nir.register import models as m
from nir.register.explain import CATEGORY_LABELS
from nir.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(db):
    call_command("synth", persons=300, seed=23, now="2026-11-20T12:00:00+01:00", quiet=True, stdout=io.StringIO())
    call_command("rules", "reevaluate", "--quiet", stdout=io.StringIO())
    return list(m.Person.objects.order_by("id"))


def test_every_person_page_renders_with_the_regelmotors_status(population, client, django_user_model):
    client.force_login(make_user(django_user_model, "syntetisk-imdi", "imdi"))
    statuses = {s.person_id: s for s in m.DerivedStatus.objects.current()}
    assert len(statuses) == len(population)
    for person in population:
        r = client.get(f"/personer/{person.duf}/")
        assert r.status_code == 200, person.duf
        html = r.content.decode()
        status = statuses[person.pk]
        assert CATEGORY_LABELS["intro"][status.intro_category] in html, person.duf
        assert CATEGORY_LABELS["norwegian"][status.norwegian_category] in html, person.duf
        for deadline in (status.intro_deadline, status.norwegian_deadline):
            if deadline:
                assert formats.date_format(deadline, "d.m.Y") in html, person.duf


def test_lists_and_overviews_render_for_each_kind_of_user(population, client, django_user_model):
    busiest = m.FollowUp.objects.current().values_list("municipality", flat=True).first()
    users = [
        make_user(django_user_model, "syntetisk-imdi-2", "imdi"),
        make_user(django_user_model, "syntetisk-kommune", f"k-{busiest}"),
        make_user(django_user_model, "syntetisk-sf", "sf-trl"),
    ]
    pages = [
        "/arbeidsflate/?inline=1",
        "/personer/?kategori=intro:right_and_duty",
        "/bosetting/",
        "/kommuner/",
        f"/kommuner/{busiest}/",
        "/regelmotor/",
        "/rapporter/personliste/",
    ]
    for user in users:
        client.force_login(user)
        for page in pages:
            r = client.get(page)
            assert r.status_code == 200, (user.username, page, r.status_code)
        for section in (
            "frister-30",
            "frister-90",
            "avvik",
            "regelbrudd",
            "mangler-vedtak",
            "mangler-avslutning",
            "regelmotor",
        ):
            r = client.get(f"/arbeidsflate/{section}/")
            assert r.status_code == 200, (user.username, section)
