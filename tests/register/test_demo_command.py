"""``nir demo``: demo users with fresh passwords, and a synthetic population when the register is empty."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands

from nir.access.models import Role
from nir.register import models as m
from nir.synth.management.commands.demo import DEMO_USERS

needs_synth = pytest.mark.skipif("synth" not in get_commands(), reason="the synth command is not available yet")


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_demo_users_get_fresh_passwords_and_roles(make_person, django_user_model, fast_hashing):
    """With persons already in the register, demo only (re)creates the demo users."""
    make_person()
    out = io.StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert "ingen ny befolkning generert" in text
    assert m.Person.objects.count() == 1
    passwords = {}
    for username, _first, _last, org_code, roles, staff in DEMO_USERS:
        user = django_user_model.objects.get(username=username)
        assert user.organisation.code == org_code
        assert user.is_staff == staff
        assert user.role_codes() == {str(r) for r in roles}
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(username))
        password = line.split()[1]
        assert user.check_password(password)
        passwords[username] = password
    # a second run gives new passwords and no duplicate role assignments
    out2 = io.StringIO()
    call_command("demo", stdout=out2)
    for username, *_rest in DEMO_USERS:
        user = django_user_model.objects.get(username=username)
        assert not user.check_password(passwords[username])
        assert user.role_assignments.count() == len(next(u[4] for u in DEMO_USERS if u[0] == username))
    assert Role.CASEWORKER in {r for u in DEMO_USERS for r in u[4]}


@needs_synth
@pytest.mark.django_db
def test_demo_generates_population_when_empty(fast_hashing):
    out = io.StringIO()
    call_command("demo", "--persons", "20", "--seed", "3", "--no-settlement", stdout=out, stderr=io.StringIO())
    assert "Genererer syntetisk befolkning (20 personer" in out.getvalue()
    assert m.Person.objects.count() == 20
    assert m.PersonDetails.objects.current().count() == 20


@needs_synth
@pytest.mark.django_db
def test_demo_generates_this_years_settlement_with_the_population(fast_hashing, settings, tmp_path):
    """The demo's settlement year (nir.synth.settlement): cases whose settled members are the register's
    persons settled by agreement this year (tests/synth/test_settlement_synth.py checks the shape)."""
    from nir.settlement import models as sm
    from nir.synth.generator import default_now

    settings.NIR_MODEL_DIR = tmp_path / "models"
    out = io.StringIO()
    call_command("demo", "--persons", "1000", "--seed", "3", stdout=out, stderr=io.StringIO())
    year = default_now().year
    assert f"Bosettingsår {year}:" in out.getvalue()
    settled = set(
        sm.SettledMember.objects.filter(settlement__settlement_date__year=year).values_list("person_id", flat=True)
    )
    register = set(
        m.Settlement.objects.current()
        .filter(by_agreement=True, settlement_date__year=year)
        .values_list("person_id", flat=True)
    )
    assert settled and settled == register
    assert sm.SettlementCase.objects.count() > len(sm.CaseSettlement.objects.all()) > 0
    # The demo reception centre (mottak-trondheim) registered the cases of Trondheim's reception only.
    own = sm.CaseDetails.objects.current().filter(case__organisation__code="mottak-trondheim")
    assert own.exists()
    assert set(own.values_list("location", "location_municipality")) == {(sm.CaseLocation.RECEPTION, "5001")}
    # The demo's IMDi caseworker proposed ready cases to Trondheim through the action layer, so the demo's
    # settlement coordinator has proposals to answer today.
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from nir.settlement import selectors

    assert "Foreslo 2 bosettingsklare saker for Trondheim" in out.getvalue()
    coordinator = get_user_model().objects.get(username="trondheim-bosetting")
    open_ones = selectors.municipality_proposals(coordinator, "5001", open_only=True)
    assert len(open_ones) >= 2
    assert (
        sm.Proposal.objects.filter(
            municipality="5001",
            recorded_at__date=timezone.localdate(),
            registered_by_user__username="imdi-bosetting-midt",
        ).count()
        == 2
    )
    # The settlement years before (2019–2024 in 2026) with their households, and a recommendation model
    # trained on them from the register and registered for use (issue 18).
    from nir.settlement import recommend_registry

    past = sm.CaseSettlement.objects.filter(settlement_date__year__lt=year - 1)
    assert {d.year for d in past.values_list("settlement_date", flat=True)} == set(range(year - 7, year - 1))
    assert "Anbefalingsmodell " in out.getvalue()
    row = sm.RecommendationModelVersion.objects.get()
    assert row.source == "register" and row.card["training_data"]["register"]["households"] > 100
    recommend_registry.clear_cache()
    assert recommend_registry.current_model()[1] == row


@pytest.mark.django_db
def test_demo_api_client_gets_a_fresh_key_that_works(make_person, fast_hashing, settings, tmp_path):
    """The demo case system: a new key per run (the old one revoked), written for the user, usable at /oauth/token."""
    from nir.access import oauth
    from nir.access.models import ApiClientKey
    from nir.synth.management.commands.demo import DEMO_CLIENT

    settings.VAR_DIR = tmp_path
    settings.NIR_OAUTH_KEY_DIR = tmp_path / "keys"
    make_person()
    for _ in range(2):
        call_command("demo", stdout=io.StringIO())
    keys = ApiClientKey.objects.filter(client__client_id=DEMO_CLIENT).order_by("id")
    assert keys.count() == 2 and keys[0].revoked_at is not None and keys[1].revoked_at is None
    key_file = tmp_path / f"{DEMO_CLIENT}.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    grant = oauth.make_grant(DEMO_CLIENT, keys[1].kid, key_file.read_text(), ["nir:persons.read"])
    assert oauth.verify_token(oauth.exchange_grant(grant).access_token).organisation.code == "k-5001"
