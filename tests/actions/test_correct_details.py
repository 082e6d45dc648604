"""Correcting the person's own details (personopplysninger) through the one correction action: a name,
a birth date (re-judged by the Regelmotor), the national id (validated), skjermet (IMDi only); never
annulled."""

from __future__ import annotations

import datetime as dt

import pytest
from actions_support import write_events

from nir import actions
from nir.access import policy
from nir.access.persons import ProtectedIdentityRefused, ReadOnly
from nir.access.roles import Role
from nir.register import models as m
from nir.register.errors import RegistrationRefused
from nir.testing.builders import make_user, synthetic_id

pytestmark = pytest.mark.django_db


def acting(user, channel="web"):
    return actions.Acting.for_user(user, channel=channel)


def details(person) -> m.PersonDetails:
    return m.PersonDetails.objects.current().get(person=person)


def status(person) -> m.DerivedStatus:
    return m.DerivedStatus.objects.current().get(person=person)


@pytest.fixture
def imdi_admin(django_user_model):
    return make_user(django_user_model, "admin-imdi", "imdi", roles=[Role.IMDI_ADMIN])


def test_a_surname_is_corrected_with_a_reason_kept_in_the_history_and_audited(world, users):
    anne = world["anne"]
    old = details(anne)
    new = actions.correct_registration(
        acting(users["trondheim"]), anne.duf, m.PersonDetails, old.pk, {"last_name": "Aasen"}, "Skrivefeil i navnet"
    ).row
    old.refresh_from_db()
    assert (new.last_name, new.first_name, new.change_reason, new.supersedes_id) == (
        "Aasen",
        "Anne",
        "Skrivefeil i navnet",
        old.pk,
    )
    assert old.superseded_at is not None and old.last_name == "Aas"  # the old version stays readable
    assert details(anne).pk == new.pk
    event = write_events()[-1]
    assert event.what == "details:correct"
    assert old.national_id not in repr(event.__dict__)  # the audit event names the person, not the number


def test_a_reason_is_required(world, users):
    row = details(world["anne"])
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]), world["anne"].duf, m.PersonDetails, row.pk, {"last_name": "Aasen"}, " "
        )
    assert [p.rule for p in e.value.problems] == ["reason_required"]
    assert details(world["anne"]).pk == row.pk


def test_the_details_are_never_annulled(world, users):
    row = details(world["anne"])
    with pytest.raises(RegistrationRefused) as e:
        actions.annul_registration(acting(users["trondheim"]), world["anne"].duf, m.PersonDetails, row.pk, "Feil")
    assert [p.rule for p in e.value.problems] == ["details_not_annullable"]
    assert details(world["anne"]).pk == row.pk


def test_an_invalid_national_id_is_refused_on_its_field(world, users):
    row = details(world["anne"])
    bad = row.national_id[:-1] + str((int(row.national_id[-1]) + 1) % 10)  # a wrong check digit
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]), world["anne"].duf, m.PersonDetails, row.pk, {"national_id": bad}, "Feil nummer"
        )
    assert [(p.field, p.rule) for p in e.value.problems] == [("details.national_id", "national_id_checksum")]
    assert bad not in str(e.value) and details(world["anne"]).pk == row.pk


def test_a_birth_date_not_matching_the_national_id_is_refused(world, users):
    row = details(world["anne"])
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]),
            world["anne"].duf,
            m.PersonDetails,
            row.pk,
            {"birth_date": dt.date(1991, 1, 15)},
            "Feil dato",
        )
    assert [p.rule for p in e.value.problems] == ["national_id_birth_date_mismatch"]


def test_a_birth_date_after_a_registered_decision_is_refused(world, users):
    """The plausibility rule date_before_birth: the person's permit (01.10.2025) and decisions may not
    come before the birth date the correction gives."""
    born = dt.date(2025, 12, 1)
    row = details(world["anne"])
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]),
            world["anne"].duf,
            m.PersonDetails,
            row.pk,
            {"birth_date": born, "national_id": synthetic_id(born)},
            "Feil dato",
        )
    assert {p.rule for p in e.value.problems} == {"date_before_birth"}
    assert {p.field for p in e.value.problems} == {"details.birth_date"}
    assert details(world["anne"]).pk == row.pk


def test_a_birth_date_after_a_registration_the_regelmotor_does_not_read_is_refused(world, users):
    """An exam 01.06.2025 (not one of the Regelmotor's facts) before a birth date 01.08.2025 (after it,
    the permit 01.10.2025): refused on the birth date all the same."""
    tor = world["tor"]
    actions.register(
        acting(users["trondheim"]),
        tor.duf,
        m.Exam,
        {"scheme": "norwegian", "exam_type": "norwegian_oral", "exam_date": dt.date(2025, 6, 1), "result": "passed"},
    )
    born = dt.date(2025, 8, 1)
    row = details(tor)
    with pytest.raises(RegistrationRefused) as e:
        actions.correct_registration(
            acting(users["trondheim"]),
            tor.duf,
            m.PersonDetails,
            row.pk,
            {"birth_date": born, "national_id": synthetic_id(born)},
            "Feil dato",
        )
    assert [(p.field, p.rule) for p in e.value.problems] == [("details.birth_date", "date_before_birth")]
    assert "01.06.2025" in e.value.problems[0].message and details(tor).pk == row.pk


def test_a_corrected_birth_date_is_judged_again_by_the_regelmotor(world, users):
    """Born 15.01.1990, Anne has the right and duty to Norwegian training until the day before her 67th
    birthday; born 1963 she is over 55 at the permit and the Regelmotor derives a new status."""
    anne = world["anne"]
    before = status(anne)
    born = dt.date(1963, 1, 15)
    outcome = actions.correct_registration(
        acting(users["trondheim"]),
        anne.duf,
        m.PersonDetails,
        details(anne).pk,
        {"birth_date": born, "national_id": synthetic_id(born)},
        "Feil fødselsår",
    )
    after = status(anne)
    assert after.pk != before.pk and after.supersedes_id == before.pk
    changed = {f for f in m.DerivedStatus.FACT_FIELDS if getattr(before, f) != getattr(after, f)}
    assert changed - {"as_of"}, "the new birth date changes what the Regelmotor derives"
    assert outcome.row.birth_date == born


def test_skjermet_is_changed_by_imdi_only(world, users, imdi_admin, django_user_model):
    anne = world["anne"]
    row = details(anne)
    events = len(write_events())
    with pytest.raises(ProtectedIdentityRefused):
        actions.correct_registration(
            acting(users["trondheim"]), anne.duf, m.PersonDetails, row.pk, {"protected_identity": True}, "Trusler"
        )
    assert details(anne).pk == row.pk and not details(anne).protected_identity
    assert len(write_events()) == events  # nothing stored, nothing audited
    assert policy.may_change_protected_identity(imdi_admin)
    assert not policy.may_change_protected_identity(users["trondheim"])
    analyst = make_user(django_user_model, "analytiker-2", "imdi", roles=[Role.IMDI_ANALYST])
    assert not policy.may_change_protected_identity(analyst)  # an IMDi analyst registers nothing
    new = actions.correct_registration(
        acting(imdi_admin), anne.duf, m.PersonDetails, row.pk, {"protected_identity": True}, "Trusler"
    ).row
    assert new.protected_identity and details(anne).pk == new.pk
    # the municipality still corrects the name of a skjermet person, the mark kept as it is
    newer = actions.correct_registration(
        acting(users["trondheim"]),
        anne.duf,
        m.PersonDetails,
        new.pk,
        {"first_name": "Ane", "protected_identity": True},
        "Skrivefeil",
    ).row
    assert (newer.first_name, newer.protected_identity) == ("Ane", True)


def test_the_county_governor_may_not_correct_details(world, users):
    row = details(world["anne"])
    with pytest.raises(ReadOnly):
        actions.correct_registration(
            acting(users["governor"]), world["anne"].duf, m.PersonDetails, row.pk, {"last_name": "X"}, "Feil"
        )
    assert details(world["anne"]).pk == row.pk
