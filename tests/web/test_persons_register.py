"""The «+ Legg til» forms /personer/<duf>/ny/<kind>/?ordning=…: registering through the register's write
path with the Regelmotor's guard, without JavaScript (POST → 303) and with htmx (the section and the
derived category/deadline out of band); refusals shown with the Regelmotor's message and nothing stored;
bad input re-rendered with every value kept; the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from persons_support import HX, counts, events, text

from nir.register import models as m

pytestmark = pytest.mark.django_db

PARTICIPATION = {"type": "participation", "decision_date": "02.02.2026", "start_date": "02.02.2026"}
BORTFALL = {"type": "loss_due_to_work", "decision_date": "05.01.2026"}


def add(client, person, kind, data, scheme="intro", headers=None):
    url = f"/personer/{person.duf}/ny/{kind}/" + (f"?ordning={scheme}" if scheme else "")
    return client.post(url, data, headers=headers or {})


def oob(html: str, section_id: str) -> str:
    """The out-of-band <section>/<div> with this id in an htmx response."""
    match = re.search(rf'<(section|div) id="{section_id}"[^>]*hx-swap-oob="true"', html)
    assert match, f"no out-of-band {section_id}"
    end = html.find(f"</{match.group(1)}>", match.end())
    return html[match.start() : end]


def test_the_form_without_and_with_htmx(world, as_user):
    c = as_user("trondheim")
    duf = world["tor"].duf
    r = c.get(f"/personer/{duf}/ny/vedtak/?ordning=intro")
    assert r.status_code == 200
    html = text(r)
    assert "<html" in html and "Legg til vedtak" in html and "Tor Tangen" in html
    assert 'method="post"' in html and "hx-post" not in html  # a page of its own: a plain form
    assert "Vedtakstype" in html and "- Velg -" in html and "Lagre" in html and "Avbryt" in html
    # the decision types of the introduction programme, as in 004
    options = re.findall(
        r'<option value="(\w+)"', html[html.index('name="type"') : html.index("</select>", html.index('name="type"'))]
    )
    assert options == [
        "loss_due_to_work",
        "loss_of_self_certification",
        "participation",
        "integration_plan",
        "temporary_stop",
    ]
    assert "Bortfall av rett og plikt pga. arbeid over 30 timer" in html
    r = c.get(f"/personer/{duf}/ny/vedtak/?ordning=intro", headers=HX)
    html = text(r)
    assert "<html" not in html and f'hx-post="/personer/{duf}/ny/vedtak/?ordning=intro"' in html
    assert 'hx-target="#slot-vedtak-intro"' in html and 'data-nir-cancel="slot-vedtak-intro"' in html
    assert "Deltakelse i opplæring i norsk og samfunnskunnskap" in text(
        c.get(f"/personer/{duf}/ny/vedtak/?ordning=norwegian", headers=HX)
    )


def test_final_goals_are_grouped_new_and_old(world, as_user):
    html = text(as_user("trondheim").get(f"/personer/{world['tor'].duf}/ny/sluttmaal/?ordning=intro"))
    new, old = (
        html.index('label="Nye sluttmål - fra 01.01.2026"'),
        html.index('label="Gamle sluttmål - før 01.01.2026"'),
    )
    assert new < old
    assert html.index("Arbeid - person har ikke utdanning på videregående nivå fra før (fra 01.01.2026)") < old
    assert html.index("Fullføre grunnskole") > old


def test_unknown_kind_or_scheme_is_404(world, as_user):
    c = as_user("trondheim")
    duf = world["tor"].duf
    assert c.get(f"/personer/{duf}/ny/nonsense/?ordning=intro").status_code == 404
    assert c.get(f"/personer/{duf}/ny/vedtak/?ordning=asylum").status_code == 404
    assert c.get(f"/personer/{duf}/ny/vedtak/").status_code == 404
    assert c.get(f"/personer/{duf}/ny/sluttmaal/?ordning=norwegian").status_code == 404


def test_participation_decision_without_javascript(world, as_user, users):
    c = as_user("trondheim")
    person = world["tor"]
    r = add(c, person, "vedtak", PARTICIPATION)
    assert r.status_code == 303 and r["Location"] == f"/personer/{person.duf}/#vedtak-intro"
    row = m.Decision.objects.current().get(person=person)
    assert (row.decision_type, row.result, row.start_date) == ("participation", "made", dt.date(2026, 2, 2))
    assert row.registered_by_user == users["trondheim"] and row.source_system == "NIR"
    assert row.follow_up_municipality == "5001"
    status = m.DerivedStatus.objects.current().get(person=person)
    assert status.intro_start_date == dt.date(2026, 2, 2) and status.deviation_final_goal_missing
    html = text(c.get(r["Location"]))
    assert "Vedtaket er registrert." in html
    assert "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål" in html  # the deviation, as an alert
    # the final goal gives the deadline: 02.02.2026 + 24 months − 1 day
    r = add(c, person, "sluttmaal", {"final_goal": "work_no_vgo_2026"})
    assert r.status_code == 303
    html = text(c.get(r["Location"]))
    assert "Sluttmålet er registrert." in html and 'data-deadline="2028-02-01"' in html
    assert "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål" not in html


def test_participation_decision_with_htmx_updates_category_and_deadline(world, as_user):
    c = as_user("trondheim")
    person = world["tor"]
    r = add(c, person, "vedtak", {**PARTICIPATION, "decision_date": "2026-02-02"}, headers=HX)  # ISO accepted too
    assert r.status_code == 200
    assert r["HX-Retarget"] == "#vedtak-intro" and r["HX-Reswap"] == "innerHTML"
    html = text(r)
    assert "<html" not in html and "Vedtaket er registrert." in html and 'role="status"' in html
    assert "Deltakelse i introduksjonsprogram" in html[: html.index("hx-swap-oob")]
    assert "Rett og plikt til introduksjonsprogram" in oob(html, "kategori")
    assert "02.02.2026" in oob(html, "frist-intro")
    assert "ikke registrert sluttmål" in oob(html, "avvik")  # the final goal is missing: a deviation
    r = add(c, person, "sluttmaal", {"final_goal": "work_no_vgo_2026"}, headers=HX)
    assert r["HX-Retarget"] == "#sluttmaal-intro"
    html = text(r)
    assert "Sluttmålet er registrert." in html
    assert 'data-deadline="2028-02-01"' in oob(html, "frist-intro")
    assert "ikke registrert sluttmål" not in oob(html, "avvik")


def test_bortfall_after_participation_is_refused_with_the_rules_message(world, as_user):
    c = as_user("trondheim")
    before = counts()
    r = add(c, world["anne"], "vedtak", BORTFALL)
    assert r.status_code == 422
    html = text(r)
    assert "ds-error-summary" in html and "Registreringen ble ikke lagret" in html
    assert "kan kun registreres dersom det ikke foreligger et vedtak om deltakelse fra før" in html
    assert "loss_due_to_work_after_participation" not in html  # the rule id: only «for fagansvarlige»
    assert 'href="#ny-vedtak-intro-type"' in html and 'aria-invalid="true"' in html
    assert '<option value="loss_due_to_work" selected>' in html and 'value="05.01.2026"' in html  # input kept
    assert counts() == before
    r = add(c, world["anne"], "vedtak", BORTFALL, headers=HX)
    assert r.status_code == 200  # htmx swaps 2xx: the form with its errors
    assert "vedtak om deltakelse fra før" in text(r) and "ds-error-summary" in text(r) and "<html" not in text(r)
    assert counts() == before
    assert not events(action="write")


def test_bortfall_without_participation_closes_the_programme(world, as_user):
    c = as_user("trondheim")
    person = world["tor"]
    r = add(c, person, "vedtak", BORTFALL, headers=HX)
    assert r.status_code == 200
    closure = m.Termination.objects.current().get(person=person)
    assert (closure.termination_type, closure.termination_reason, closure.termination_date) == (
        "aborted",
        "loss_due_to_work",
        dt.date(2026, 1, 5),
    )
    assert closure.registered_by_system == "Regelmotor"
    avslutning = oob(text(r), "avslutning-intro")
    assert "Avbrutt" in avslutning and "Vedtak om bortfall av rett og plikt pga. arbeid" in avslutning
    assert "Regelmotor" in avslutning
    html = text(c.get(f"/personer/{person.duf}/"))
    assert "Ingen rett eller plikt til introduksjonsprogram" in html
    assert "Avsluttet av Regelmotor 05.01.2026: Avbrutt – Vedtak om bortfall av rett og plikt pga. arbeid." in html


@pytest.mark.parametrize(
    "data, label, message",
    [
        # a day that does not exist says so (issue 16 § 3)
        ({**PARTICIPATION, "decision_date": "31.02.2026"}, "Vedtaksdato", "31.02.2026 finnes ikke"),
        ({**PARTICIPATION, "decision_date": "i går"}, "Vedtaksdato", "må være en dato skrevet som dd.mm.åååå"),
        ({**PARTICIPATION, "type": ""}, "Vedtakstype", "mangler (påkrevd)"),
        ({**PARTICIPATION, "decision_date": ""}, "Vedtaksdato", "mangler (påkrevd)"),
        ({**PARTICIPATION, "type": "no_such_type"}, "Vedtakstype", "ukjent kode"),
        ({**PARTICIPATION, "end_date": "01.01.2026"}, "Sluttdato", "sluttdato er før startdato"),
    ],
)
def test_bad_input_is_shown_on_the_field_and_nothing_is_lost(world, as_user, data, label, message):
    before = counts()
    r = add(as_user("trondheim"), world["tor"], "vedtak", data)
    assert r.status_code == 422
    html = text(r)
    summary = html[html.index("ds-error-summary") : html.index("</div>", html.index("ds-error-summary"))]
    assert f"{label}: {message}" in summary
    assert counts() == before
    for name, value in data.items():
        if value and name != "type":
            assert f'name="{name}" type="text" value="{value}"' in html
    if data["type"] == "participation":
        assert '<option value="participation" selected>' in html


@pytest.mark.parametrize(
    "organisation, message",
    [
        ("Senter\x00", "inneholder et NUL-tegn"),
        ("Senter\x08", "inneholder kontrolltegnet U+0008"),
    ],
)
def test_unstorable_text_is_a_form_error_and_nothing_is_stored(world, as_user, organisation, message):
    """NUL was a 500 on PostgreSQL and stored on SQLite: the register's text check refuses it (both passes)."""
    before = counts()
    r = add(
        as_user("trondheim"),
        world["tor"],
        "karriereveiledning",
        {"date": "20.02.2026", "kind": "individual", "organisation": organisation},
        scheme=None,
    )
    assert r.status_code == 422
    html = text(r)
    summary = html[html.index("ds-error-summary") : html.index("</div>", html.index("ds-error-summary"))]
    assert f"Karrieresenter: {message}" in summary
    assert counts() == before
    assert not events(action="write")


FORMS = [
    ("vedtak", "norwegian", {"type": "norwegian_participation", "decision_date": "01.03.2026"}, m.Decision),
    (
        "avslutning",
        "intro",
        {"type": "completed", "reason": "work", "hours_work_per_week": "37,5", "date": "30.10.2026"},
        m.Termination,
    ),
    ("deltakelse", "norwegian", {"from": "01.03.2026", "to": "31.03.2026", "hours": "48"}, m.Participation),
    (
        "tiltak",
        "intro",
        {"measure": "work_practice", "from": "01.04.2026", "to": "30.06.2026", "hours_per_week": "20"},
        m.Measure,
    ),
    ("fravaer", "intro", {"kind": "leave", "from": "07.09.2026", "to": "11.09.2026"}, m.Absence),
    (
        "karriereveiledning",
        None,
        {"date": "20.02.2026", "kind": "individual", "recommended_final_goal": "work_vgo_2026"},
        m.CareerGuidance,
    ),
]


@pytest.mark.parametrize("kind, scheme, data, model", FORMS, ids=[f[0] for f in FORMS])
def test_every_kind_registers(world, as_user, users, kind, scheme, data, model):
    person = world["anne"]
    c = as_user("trondheim")
    assert (
        c.get(f"/personer/{person.duf}/ny/{kind}/" + (f"?ordning={scheme}" if scheme else ""), headers=HX).status_code
        == 200
    )
    before = model.objects.filter(person=person).count()
    r = add(c, person, kind, data, scheme=scheme, headers=HX)
    assert r.status_code == 200 and "ds-error-summary" not in text(r), text(r)
    assert model.objects.filter(person=person).count() == before + 1
    row = model.objects.filter(person=person).order_by("-id").first()
    assert row.registered_by_user == users["trondheim"]
    if scheme:
        assert row.scheme == scheme
    if kind == "avslutning":
        assert str(row.hours_work_per_week) == "37.5" and row.follow_up_municipality == "5001"
    [event] = events(action="write", channel="web")
    assert event.user == users["trondheim"] and event.person_links.get().person_id == person.pk


def test_extension_only_where_the_final_goal_allows_one(world, as_user):
    c = as_user("trondheim")
    extension = {"months": "6", "decision_date": "01.06.2026"}
    r = add(c, world["anne"], "utvidelse", extension, headers=HX)  # work: «kan ikke forlenges»
    assert "ds-error-summary" in text(r) and "kan ikke forlenges" in text(r) and "extension_not_allowed" not in text(r)
    assert not m.Extension.objects.exists()
    person = world["tor"]
    add(c, person, "vedtak", PARTICIPATION)
    add(c, person, "sluttmaal", {"final_goal": "complete_vgo_2025"})
    r = add(c, person, "utvidelse", extension, headers=HX)
    assert r["HX-Retarget"] == "#sluttmaal-intro" and "Utvidelsen er registrert." in text(r)
    assert m.Extension.objects.get(person=person).months == 6
    assert "6 måneder" in oob(text(r), "frist-intro")


def test_writes_are_audited_with_the_registration(world, as_user):
    add(as_user("trondheim"), world["tor"], "vedtak", PARTICIPATION)
    [event] = events(action="write")
    assert event.channel == "web" and event.what == "decisions" and event.endpoint.startswith("POST /personer/")


def test_out_of_scope_registration_is_not_found(world, as_user):
    before = counts()
    r = add(as_user("trondheim"), world["berit"], "vedtak", PARTICIPATION)
    assert r.status_code == 404 and "Berit" not in text(r)
    assert counts() == before
