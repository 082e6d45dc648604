"""Pages for caseworkers, not developers (issue 16 § 4): the person page and the Regelmotor's pages show
a caseworker the law and the facts in plain Norwegian — no rule ids, fact paths (``settlements[0]``),
parameter keys or files, the specification (``regelmotor.md``), the operators' commands or the rules
version's hash. IMDi's fagansvarlige (``rules.detail``) see that detail under «For fagansvarlige»."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from nir.access import policy
from nir.rules.catalogue import RULES
from nir.rules.version import RULES_VERSION
from nir.web import explanations

pytestmark = pytest.mark.django_db

RULE_IDS = {i for _title, entries in RULES for e in entries for i in e.ids}
# What a developer reads and a caseworker should not have to: a snake_case identifier (rule ids,
# codes, parameter keys), a fact path, a YAML file, a command, the specification, a hash of 7+ hex
# digits with at least one letter and one digit (a DUF number has no letter).
ARTEFACTS = {
    "identifier": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "fact path": re.compile(r"\b(?:settlements|permits|decisions|residences|absences)\["),
    "yaml": re.compile(r"\.yaml\b"),
    "command": re.compile(r"\bnir rules\b"),
    "specification": re.compile(r"regelmotor\.md"),
    "hash": re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,}\b"),
}


class _Text(HTMLParser):
    """The text a reader sees (no attributes, scripts or styles)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def artefacts(text: str) -> dict[str, list[str]]:
    found = {
        name: sorted(set(p.findall(text) if p.groups == 0 else [m.group(0) for m in p.finditer(text)]))
        for name, p in ARTEFACTS.items()
    }
    found["rule id"] = sorted(i for i in RULE_IDS if re.search(rf"\b{re.escape(i)}\b", text))
    return {k: v for k, v in found.items() if v}


def test_the_pattern_finds_what_it_should():
    text = "regel s08_right_and_duty, settlements[0], law.yaml, nir rules reevaluate, regelmotor.md § 4, 3f9a2c1b7d0e"
    assert set(artefacts(text)) == {"identifier", "fact path", "yaml", "command", "specification", "hash", "rule id"}
    assert artefacts("DUF-nummer 202600001901, frist 01.02.2028, Integreringsloven § 8 første ledd") == {}


def test_caseworkers_person_page_has_the_law_and_the_facts_and_no_artefacts(world, as_user):
    r = as_user("trondheim").get(f"/personer/{world['anne'].duf}/")
    assert r.status_code == 200
    text = visible_text(r)
    assert artefacts(text) == {}
    # the law, and the facts in words: the settlement by its municipality's name, the permit by its basis
    assert "Integreringsloven § 8 første ledd" in text and "Integreringsloven § 14" in text
    assert "bosatt etter avtale i Trondheim - Tråante 01.11.2025" in text and " 5001 " not in text
    assert "Utlendingsloven 2008 § 28" in text and "utl_28" not in r.content.decode()
    assert "For fagansvarlige" not in text


def test_caseworkers_explanation_page_has_no_artefacts(world, as_user):
    r = as_user("trondheim").get(f"/regelmotor/forklar/{world['anne'].duf}/")
    assert r.status_code == 200
    text = visible_text(r)
    assert artefacts(text) == {}
    # a reference to a registration is what it is, and the parameters say what they mean
    assert "bosatt i Trondheim - Tråante 01.11.2025, etter avtale" in text
    assert "Øvre aldersgrense (inklusiv) for rett og plikt til introduksjonsprogram" in text and "55 år" in text
    assert "Integreringsforskriften §§ 71 og 72" in text
    assert "For fagansvarlige" not in text and "Regelversjon" not in text


def test_caseworkers_rules_page_has_no_artefacts(world, as_user):
    r = as_user("trondheim").get("/regelmotor/")
    assert r.status_code == 200
    text = visible_text(r)
    assert artefacts(text) == {}
    assert "Øvre aldersgrense (inklusiv)" in text and "Integreringsloven § 8 første ledd" in text
    assert "IMDis driftsansvarlige" in text  # the help text says who re-evaluates, not the command


def test_imdi_sees_the_technical_detail_for_fagansvarlige(world, as_user):
    client = as_user("imdi")
    person = visible_text(client.get(f"/personer/{world['anne'].duf}/"))
    explain = visible_text(client.get(f"/regelmotor/forklar/{world['anne'].duf}/"))
    rules = visible_text(client.get("/regelmotor/"))
    for text in (person, explain):
        assert "For fagansvarlige" in text
        assert "s08_right_and_duty" in text and "settlements[0]" in text
    assert "intro.age.max" in explain and RULES_VERSION in explain
    assert "nir rules reevaluate" in rules and RULES_VERSION in rules and "intro.yaml" in rules
    assert "regelmotor.md § 4" in rules


def test_only_imdi_holds_the_fagansvarlig_permission(users):
    assert explanations.shows_detail(users["imdi"])
    for name in ("trondheim", "bergen", "governor", "none"):
        assert not explanations.shows_detail(users[name]), name
    for kind, ceiling in policy.ORGANISATION_CEILING.items():
        assert (policy.Permission.RULES_DETAIL in ceiling) == (kind == "imdi"), kind


def test_legal_sources_are_written_out_without_the_specification():
    assert explanations.legal_source("il. § 32; regelmotor.md § 4 (startregelen er ikke verifisert)") == (
        "Integreringsloven § 32"
    )
    assert explanations.legal_source("if. §§ 10 og 19; 004 (Presiseringer av fravær, fri, permisjoner)") == (
        "Integreringsforskriften §§ 10 og 19; "
        "IMDi: endringer i NIR fra 1.1.2026 (Presiseringer av fravær, fri, permisjoner)"
    )


def test_a_fact_path_becomes_the_registration_in_words():
    facts = {
        "settlements": [{"municipality": "5001", "date": "2024-02-01", "by_agreement": True}],
        "decisions": [{"type": "participation", "decision_date": "2026-01-05"}],
    }
    assert explanations.registration_phrase("settlements[0]", facts) == (
        "bosatt i Trondheim - Tråante 01.02.2024, etter avtale"
    )
    assert explanations.registration_phrase("decisions[0]", facts) == (
        "vedtak «Deltakelse i introduksjonsprogram» 05.01.2026"
    )
    assert explanations.registration_phrase("settlements[3]", facts) == "en registrering"


# --- Kompetansekartlegging and Prøver: sections of their own on the person page --------------------


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


def test_competence_mapping_and_tests_have_their_own_sections_with_add(world, as_user):
    from nir.register import models as m

    c = as_user("trondheim")
    anne = world["anne"]
    html = c.get(f"/personer/{anne.duf}/").content.decode()
    kartlegging, prover = _section(html, "kartlegging"), _section(html, "prover")
    assert "Kompetansekartlegging" in kartlegging and "Ingen kompetansekartlegging er registrert." in kartlegging
    assert "Prøver i norsk og samfunnskunnskap" in prover and "Ingen prøve er registrert." in prover
    assert f'href="/personer/{anne.duf}/ny/kartlegging/"' in kartlegging
    assert f'href="/personer/{anne.duf}/ny/prove/"' in prover

    r = c.post(
        f"/personer/{anne.duf}/ny/kartlegging/",
        {"date": "15.11.2025", "kind": "after_settlement", "organisation": "Trondheim kommune"},
    )
    assert r.status_code == 303, r.content.decode()
    r = c.post(
        f"/personer/{anne.duf}/ny/prove/",
        {
            "type": "norwegian_oral",
            "date": "10.06.2026",
            "result": "passed",
            "level": "B1",
            "organisation": "Voksenopplæringen",
        },
    )
    assert r.status_code == 303, r.content.decode()
    exam = m.Exam.objects.get(person=anne)
    assert exam.scheme == "norwegian" and exam.level == "B1"  # the registry's default scheme

    html = c.get(f"/personer/{anne.duf}/").content.decode()
    kartlegging, prover = _section(html, "kartlegging"), _section(html, "prover")
    assert "15.11.2025" in kartlegging and "Kompetansekartlegging etter bosetting" in kartlegging
    assert "Trondheim kommune" in kartlegging
    assert "10.06.2026" in prover and "Prøve i norsk – muntlig" in prover and "Bestått" in prover and "B1" in prover
    assert f'href="/personer/{anne.duf}/historikk/#reg-exam-{exam.pk}"' in prover
    # «Rett» and «Slett» as in every section, through the kinds' add forms
    assert f'href="/personer/{anne.duf}/rett/prove/{exam.pk}/"' in prover
    assert f'href="/personer/{anne.duf}/slett/prove/{exam.pk}/"' in prover
    mapping = m.CompetenceMapping.objects.get(person=anne)
    assert f'href="/personer/{anne.duf}/rett/kartlegging/{mapping.pk}/"' in kartlegging
    assert c.get(f"/personer/{anne.duf}/rett/kartlegging/{mapping.pk}/").status_code == 200


def test_the_sections_are_read_only_without_write_permission(world, as_user):
    html = as_user("governor").get(f"/personer/{world['anne'].duf}/").content.decode()
    assert 'id="kartlegging"' in html and 'id="prover"' in html
    assert "/ny/kartlegging/" not in html and "/ny/prove/" not in html


def test_a_section_fragment_for_htmx(world, as_user):
    r = as_user("trondheim").get(f"/personer/{world['anne'].duf}/seksjon/prover/", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'id="prover-h"' in r.content.decode()


def test_a_test_result_registered_with_htmx_replaces_its_section(world, as_user):
    c = as_user("trondheim")
    r = c.post(
        f"/personer/{world['anne'].duf}/ny/prove/",
        {"type": "social_studies", "date": "11.06.2026", "result": "failed"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "Prøveresultatet er registrert." in html and "11.06.2026" in html and "Ikke bestått" in html


def test_every_step_of_a_random_population_renders_without_artefacts():
    """The renderer over what the engine says for 400 seeded random persons (every rule the generator
    reaches): only a code no code list has (the generator's deliberately unknown ones, which the
    register refuses) may stay as it is."""
    import datetime as dt

    from nir import codes
    from nir.rules import InvalidFacts, evaluate
    from nir.rules.testing import population

    known = {c.code for cl in codes.all_lists().values() for c in cl.codes}
    rules_seen, problems = set(), []
    for facts in population(400, seed=3):
        try:
            result = evaluate(facts, dt.date(2026, 6, 1))
        except InvalidFacts:
            continue
        for steps in result.to_json()["explanations"].values():
            for raw in steps:
                rules_seen.add(raw["rule"])
                s = explanations.step(raw, facts, detail=False)
                assert s["detail"] is None
                text = " ".join(
                    [s["text"], s["source"], s["subject"]]
                    + [f"{f['label']}: {f['value']}" for f in s["facts"]]
                    + [f"{p['label']}: {p['value']} {p['source']}" for p in s["parameters"]]
                )
                found = artefacts(text)
                found["identifier"] = [i for i in found.get("identifier", []) if i in known]
                found = {k: v for k, v in found.items() if v}
                if found:
                    problems.append((raw["rule"], found, text))
    assert len(rules_seen) > 25
    assert not problems, problems[:3]


def test_the_history_with_the_regelmotors_rows_has_no_artefacts(world, as_user):
    r = as_user("trondheim").get(f"/personer/{world['anne'].duf}/historikk/", {"avledet": "1"})
    assert r.status_code == 200
    text = visible_text(r)
    assert "Integreringsloven" in text
    assert artefacts(text) == {}


def test_the_stored_rule_errors_by_what_they_mean():
    assert explanations.derived_status_text("errors", ["extension_not_allowed", "no_such_rule"]) == (
        "Sluttmålet kan ikke forlenges; en registrering som bryter en regel"
    )
    assert explanations.derived_status_text("law", "introduksjonsloven") == "Introduksjonsloven"
    assert explanations.derived_status_text("as_of", "2026-01-01") is None


def test_a_refused_form_names_the_rule_only_for_fagansvarlige(world, as_user):
    extension = {"months": "6", "decision_date": "01.06.2026"}  # work_no_vgo_2026: «kan ikke forlenges»
    url = f"/personer/{world['anne'].duf}/ny/utvidelse/?ordning=intro"
    caseworker = as_user("trondheim").post(url, extension).content.decode()
    assert "kan ikke forlenges" in caseworker and "extension_not_allowed" not in caseworker
    imdi = as_user("imdi").post(url, extension).content.decode()
    assert "kan ikke forlenges" in imdi and "<code>extension_not_allowed</code>" in imdi
