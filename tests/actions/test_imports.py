"""``nir import`` through the action ``nir.actions.import_person``: every imported person is audited
(also ``--update`` and the annulments it makes), and ``--user U`` acts with U's permissions and
scope — the probe of December 2026 changed a Bergen person as a county governor."""

from __future__ import annotations

import io
import json

import pytest
from actions_support import fail_audit, persons_of, write_events
from django.core.management import call_command
from django.core.management.base import CommandError

from nir import identity
from nir.register import history
from nir.register import models as m

pytestmark = pytest.mark.django_db


def run_import(tmp_path, lines, *args):
    """Run ``nir import`` on ``lines``; return (stderr, error or None)."""
    path = tmp_path / "import.jsonl"
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines), encoding="utf-8"
    )
    err = io.StringIO()
    try:
        call_command("import", str(path), *args, stdout=io.StringIO(), stderr=err)
    except CommandError as e:
        return err.getvalue(), e
    return err.getvalue(), None


def without_absences_and_goal(person) -> dict:
    """The person's snapshot with a fact left out: ``--update`` annuls it."""
    line = history.snapshot(person)
    line["facts"]["absences"] = []
    line["facts"].pop("final_goal", None)
    line["facts"]["settlements"] = [dict(s, by_agreement=False) for s in line["facts"]["settlements"]]
    return line


def new_line(world, duf_seq: str, municipality: str) -> dict:
    line = history.snapshot(world["tor"])
    line["duf"] = identity.make_duf(duf_seq)
    line["facts"]["national_id"] = None
    line["follow_up_municipality"] = municipality
    line["facts"].pop("follow_up", None)
    line["facts"]["settlements"] = [dict(s, municipality=municipality) for s in line["facts"]["settlements"]]
    return line


def current_facts(person) -> dict:
    return history.snapshot(person)["facts"]


def test_every_imported_person_is_audited_as_the_system_actor(tmp_path, world):
    lines = [new_line(world, "2026777001", "5001"), new_line(world, "2026777002", "4601")]
    assert run_import(tmp_path, lines)[1] is None
    events = write_events()
    persons = [m.Person.objects.get(duf=line["duf"]) for line in lines]
    assert [persons_of(e) for e in events] == [{p.pk} for p in persons]
    assert {(e.actor_kind, e.system, e.channel, e.what, e.endpoint) for e in events} == {
        ("system", "import", "command", "import", "nir import")
    }


def test_update_and_its_annulments_are_audited(tmp_path, world):
    anne = world["anne"]
    assert run_import(tmp_path, [without_absences_and_goal(anne)], "--update")[1] is None
    [event] = write_events()
    assert persons_of(event) == {anne.pk} and event.what == "import:update"
    assert event.filters["annulled"] >= 1
    assert m.FinalGoal.objects.filter(person=anne, operation=m.Operation.ANNUL).exists()


def test_county_governor_cannot_change_a_bergen_person(tmp_path, world, users):
    berit = world["berit"]
    before = current_facts(berit)
    err, error = run_import(
        tmp_path, [without_absences_and_goal(berit)], "--update", "--user", users["governor"].username
    )
    assert error is not None and "duf" in err
    assert current_facts(berit) == before and write_events() == []


def test_county_governor_cannot_change_a_person_it_supervises(tmp_path, world, users):
    """Trondheim is in Trøndelag: the governor may read anne, not register on her (supervision)."""
    anne = world["anne"]
    before = current_facts(anne)
    err, error = run_import(
        tmp_path, [without_absences_and_goal(anne)], "--update", "--user", users["governor"].username
    )
    assert error is not None and "read_only_scope" in err
    assert current_facts(anne) == before and write_events() == []


def test_municipality_user_updates_its_own_persons_only(tmp_path, world, users):
    trondheim = users["trondheim"].username
    berit_before = current_facts(world["berit"])
    err, error = run_import(tmp_path, [without_absences_and_goal(world["berit"])], "--update", "--user", trondheim)
    assert error is not None and "not_found" in err and current_facts(world["berit"]) == berit_before
    assert run_import(tmp_path, [without_absences_and_goal(world["anne"])], "--update", "--user", trondheim)[1] is None
    [event] = write_events()
    assert persons_of(event) == {world["anne"].pk} and event.user_id == users["trondheim"].pk


def test_municipality_user_cannot_create_a_person_followed_up_elsewhere(tmp_path, world, users):
    trondheim = users["trondheim"].username
    elsewhere, own = new_line(world, "2026777003", "4601"), new_line(world, "2026777004", "5001")
    err, error = run_import(tmp_path, [elsewhere, own], "--user", trondheim)
    assert error is not None and "outside_scope" in err
    assert not m.Person.objects.filter(duf=elsewhere["duf"]).exists()
    own_person = m.Person.objects.get(duf=own["duf"])
    [event] = write_events()
    assert persons_of(event) == {own_person.pk}


def test_audit_failure_stores_nothing_of_the_line(tmp_path, world, monkeypatch):
    line = new_line(world, "2026777005", "5001")
    fail_audit(monkeypatch)
    err, error = run_import(tmp_path, [line])
    assert error is not None and error.returncode == 2  # the import stops: not the line's fault
    assert "RuntimeError" in err
    assert not m.Person.objects.filter(duf=line["duf"]).exists()


def test_a_line_refused_because_the_person_is_followed_up_elsewhere_is_audited(tmp_path, world, users):
    """The refusal tells that the DUF number exists: a refused read naming the person, as the API's
    batches record (``batch:elsewhere``); an unknown DUF number tells nothing and records nothing."""
    from nir.access.models import AuditEvent

    trondheim = users["trondheim"]
    err, error = run_import(
        tmp_path, [without_absences_and_goal(world["berit"])], "--update", "--user", trondheim.username
    )
    assert error is not None and "not_found" in err
    [event] = AuditEvent.objects.filter(what="import:elsewhere")
    assert (event.action, event.outcome, event.channel, event.user_id) == ("read", "denied", "command", trondheim.pk)
    assert persons_of(event) == {world["berit"].pk} and write_events() == []
    # the person it follows up: no refusal, no such event
    assert (
        run_import(tmp_path, [without_absences_and_goal(world["anne"])], "--update", "--user", trondheim.username)[1]
        is None
    )
    assert AuditEvent.objects.filter(what="import:elsewhere").count() == 1


def test_the_refused_lookup_is_kept_when_atomic_discards_the_file(tmp_path, world, users):
    from nir.access.models import AuditEvent

    lines = [without_absences_and_goal(world["anne"]), without_absences_and_goal(world["berit"])]
    err, error = run_import(tmp_path, lines, "--update", "--atomic", "--user", users["trondheim"].username)
    assert error is not None and write_events() == []  # nothing stored, Anne's write event neither
    [event] = AuditEvent.objects.filter(what="import:elsewhere")
    assert persons_of(event) == {world["berit"].pk} and event.outcome == "denied"
