"""The Regelmotor pages: /regelmotor/ (rules, parameters with the pending 55→60 version, code lists,
re-evaluation status, the «Forklar en person» form) and /regelmotor/forklar/<duf>/ (one person's
derived values with the rules and facts behind them; scope applied, audited)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from nir.access.models import AuditEvent, AuditEventPerson
from nir.register import models as m
from nir.register.actors import Actor
from nir.rules.version import RULES_VERSION
from nir.testing import builders
from nir.testing.builders import make_user
from nir.web import views_rules

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


@pytest.fixture
def users(db, django_user_model):
    return {
        "imdi": make_user(django_user_model, "regel-imdi", "imdi"),
        "trondheim": make_user(django_user_model, "regel-5001", "k-5001"),
        "bergen": make_user(django_user_model, "regel-4601", "k-4601"),
    }


@pytest.fixture
def people(users):
    r = builders.Register(Actor.for_user(users["imdi"], source_system="NIR-test"))
    anne = r.person("Anne", "Aas")
    r.participation(anne, dt.date(2026, 1, 5), goal="work_no_vgo_2026")
    olav = r.person("Olav", "Eldre", birth=dt.date(1960, 3, 1))  # 65 at grant: over the upper age limit
    return {"anne": anne, "olav": olav}


def _text(response) -> str:
    return response.content.decode()


# --- /regelmotor/ ---------------------------------------------------------------------------


def test_rules_page_lists_rules_parameters_and_the_pending_55_to_60_version(client, users, people):
    client.force_login(users["imdi"])
    r = client.get("/regelmotor/")
    assert r.status_code == 200
    html = _text(r)
    assert "<h1" in html and "Regelmotor" in html and 'lang="nb"' in html
    # rules with id, title, source and status
    assert "s08_right_and_duty" in html and "il. § 8 første ledd" in html
    assert "Verifisert" in html and "Ikke verifisert" in html
    # the parameter intro.age.max with both versions: 55 from 01.01.2021, 60 without commencement
    block = html[html.index("<code>intro.age.max</code>") :]
    block = block[: block.index("</tbody>")]
    assert "55 år" in block and "01.01.2021" in block
    assert "60 år" in block and "uten ikrafttredelse" in block and "Prop. 81 L (2024–2025) pkt 12.2" in block
    assert "I kraft" in block  # the 55 version applies today
    # code lists with validity windows
    assert "final_goal" in html and "31.12.2025" in html
    # how to re-evaluate
    assert "nir rules reevaluate" in html


def test_reevaluation_status_counts_rows_by_rules_version(client, users, people):
    # Make Olav's current status one derived by an older version of the rules, on an earlier date.
    row = m.DerivedStatus.objects.current().get(person=people["olav"])
    m.DerivedStatus.objects.filter(pk=row.pk).update(superseded_at=timezone.now())
    old_pk = row.pk
    row.pk = row.id = None
    row.supersedes_id = old_pk
    row.rules_version, row.as_of, row.recorded_at = "0123456789ab", dt.date(2025, 6, 1), timezone.now()
    row.save()

    status = views_rules.reevaluation_status()
    assert status["version"] == RULES_VERSION
    assert status["total"] == 2 and status["current"] == 1 and status["older"] == 1
    assert status["oldest"] == dt.date(2025, 6, 1)
    by_version = {r["rules_version"]: r for r in status["rows"]}
    assert by_version["0123456789ab"]["n"] == 1 and not by_version["0123456789ab"]["current"]
    assert by_version[RULES_VERSION]["n"] == 1 and by_version[RULES_VERSION]["current"]

    client.force_login(users["imdi"])
    html = _text(client.get("/regelmotor/"))
    assert "0123456789ab" in html and "01.06.2025" in html
    assert "1 person sin status er avledet med eldre regler." in html


def test_the_form_redirects_to_the_explanation(client, users, people):
    client.force_login(users["imdi"])
    duf = people["anne"].duf
    r = client.get("/regelmotor/", {"duf": duf})
    assert r.status_code == 302 and r["Location"] == f"/regelmotor/forklar/{duf}/"
    r = client.get("/regelmotor/", {"duf": "12ab"})
    assert r.status_code == 400 and "DUF-nummer" in _text(r)


def test_rules_page_needs_codes_read(client, django_user_model, db):
    researcher = make_user(django_user_model, "regel-forsker", "imdi", roles=["researcher"])
    client.force_login(researcher)
    assert client.get("/regelmotor/").status_code == 403


# --- /regelmotor/forklar/<duf>/ ---------------------------------------------------------------


def test_explain_shows_values_rules_facts_and_parameters(client, users, people):
    client.force_login(users["imdi"])
    anne = people["anne"]
    r = client.get(f"/regelmotor/forklar/{anne.duf}/")
    assert r.status_code == 200
    html = _text(r)
    assert "NIR-kategori introduksjonsprogram" in html and "Rett og plikt til introduksjonsprogram" in html
    assert "<code>s08_right_and_duty</code>" in html and "il. § 8 første ledd" in html
    assert "Vedtaksdato" in html and "01.10.2025" in html  # a fact: the permit's decision date
    assert "<code>intro.age.max</code> = 55" in html  # a parameter with its source
    assert "Gjennomføringsfrist introduksjonsprogram" in html
    assert "Anne Aas" in html
    # the read is audited: one event, the person
    event = AuditEvent.objects.get(what="explain")
    assert event.action == "read" and event.channel == "web" and event.user == users["imdi"]
    assert list(AuditEventPerson.objects.filter(event=event).values_list("person_id", flat=True)) == [anne.pk]


def test_explain_marks_unverified_rules(client, users, people):
    client.force_login(users["imdi"])
    html = _text(client.get(f"/regelmotor/forklar/{people['olav'].duf}/"))
    assert "<code>s08_over_age</code>" in html and "Ikke verifisert" in html


def test_a_value_derived_through_an_unverified_rule_is_marked_with_its_source(client, users, people):
    """Three-valued results (issue 19): Olav's kan-gruppe rests on il. § 8 tredje ledd, a reading not
    verified; the person page and the explanation mark the category «Ikke verifisert» with the provision.
    Anne's right and duty (a verified row and parameters) is not marked."""
    client.force_login(users["trondheim"])
    olav = people["olav"]
    cite = "Bygger på Integreringsloven § 8 tredje ledd, en lesning som ikke er verifisert mot lovteksten."
    for url in (f"/personer/{olav.duf}/", f"/regelmotor/forklar/{olav.duf}/"):
        html = _text(client.get(url))
        assert 'data-unverified="intro.category"' in html and cite in html, url
    anne = _text(client.get(f"/personer/{people['anne'].duf}/"))
    assert 'data-unverified="intro.category"' not in anne
    client.force_login(users["imdi"])  # fagansvarlige see the source as the engine writes it
    html = _text(client.get(f"/regelmotor/forklar/{olav.duf}/"))
    assert "Bygger på il. § 8 tredje ledd, en lesning" in html


def test_the_rules_page_groups_the_rules_by_legal_section_with_lovdata_links(client, users, people):
    client.force_login(users["trondheim"])
    html = _text(client.get("/regelmotor/"))
    assert 'href="https://lovdata.no/lov/2020-11-06-127/§8"' in html and "Teksten på Lovdata" in html
    assert "Integreringsloven § 8" in html


def test_explain_at_another_date_and_a_bad_date(client, users, people):
    client.force_login(users["imdi"])
    url = f"/regelmotor/forklar/{people['anne'].duf}/"
    r = client.get(url, {"as_of": "2026-02-01"})
    assert r.status_code == 200 and "01.02.2026" in _text(r)
    r = client.get(url, {"as_of": "i morgen"})
    assert r.status_code == 400 and "i morgen" in _text(r)


def test_explain_applies_the_scope(client, users, people):
    duf = people["anne"].duf  # followed up by Trondheim
    client.force_login(users["bergen"])
    outside = client.get(f"/regelmotor/forklar/{duf}/")
    unknown = client.get("/regelmotor/forklar/999999999999/")
    assert outside.status_code == unknown.status_code == 404
    # as the person page (issue 16 § 2): the DUF number is followed up elsewhere, nothing about the person
    assert 'id="person-elsewhere"' in _text(outside) and 'id="person-elsewhere"' not in _text(unknown)
    assert "følges opp av en annen kommune eller bydel" in _text(outside)
    assert "Fant ingen person med DUF-nummer 999999999999 som du har tilgang til." in _text(unknown)
    main = _text(outside)[_text(outside).index("<main") : _text(outside).index("</main>")]
    assert "Anne" not in main and "5001" not in main
    assert not AuditEvent.objects.filter(what="explain").exists()
    # the refused lookup is recorded, naming the person (the answer tells that they exist); the unknown not
    [refused] = AuditEvent.objects.filter(what="person:elsewhere", user=users["bergen"])
    assert refused.outcome == "denied" and refused.action == "read"
    assert AuditEventPerson.objects.filter(event=refused, person=people["anne"]).exists()
    client.force_login(users["trondheim"])
    assert client.get(f"/regelmotor/forklar/{duf}/").status_code == 200


def test_rule_titles_for_caseworkers_name_values_not_keys_or_ids():
    today = dt.date(2026, 12, 7)
    assert views_rules.plain_title(
        "Innvilget før kap. 6A ble opphevet (intro.ch6a.ordinary_rules_from): rett.", today
    ) == ("Innvilget før kap. 6A ble opphevet (01.01.2026): rett.")
    assert views_rules.plain_title("§ 8 for den tillatelsen (il_08_ordinary).", today) == "§ 8 for den tillatelsen."
    assert views_rules.plain_title("gyldig (ordningen avsluttes, se loss_due_to_work_closes).", today) == "gyldig."
    assert views_rules.plain_title("Over øvre aldersgrense: kan tilbys program.", today) == (
        "Over øvre aldersgrense: kan tilbys program."
    )
