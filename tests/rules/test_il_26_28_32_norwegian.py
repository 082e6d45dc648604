"""Norwegian and social studies — il. §§ 26–28, 32 and ch. 6A § 37 d: the tables of
``il_26_28_norwegian`` and ``il_32_norwegian_deadline``, one test per row with its legal source."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from rules_support import BASE_FACTS

from nir.rules import evaluate, parameters
from nir.rules.context import Context
from nir.rules.integreringsloven import decision_validity as s05_decisions
from nir.rules.integreringsloven import il_26_28_norwegian as il_26
from nir.rules.integreringsloven import il_32_norwegian_deadline as il_32
from nir.rules.model import parse_facts
from nir.rules.testing import population

D = dt.date.fromisoformat


def ctx(as_of="2026-06-01", **changes) -> Context:
    f = copy.deepcopy(BASE_FACTS)
    f.update(changes)
    return Context.build(parse_facts(f), D(as_of), parameters.default())


def permit(basis, date, arrival=None):
    return {"basis": basis, "decision_date": date, "arrival_date": arrival}


def settled(date, by_agreement=True):
    return {"municipality": "5001", "date": date, "by_agreement": by_agreement}


def norwegian_decision(date):
    return {
        "scheme": "norwegian",
        "type": "norwegian_participation",
        "decision_date": date,
        "start_date": date,
        "end_date": None,
    }


def category(c):
    return il_26.category(c, s05_decisions.effective_decisions(c))


def norwegian(as_of="2026-06-01", **changes):
    f = copy.deepcopy(BASE_FACTS)
    f.update(changes)
    return evaluate(f, D(as_of)).to_json()


def rules(doc, key):
    return [s["rule"] for s in doc["explanations"].get(key, [])]


# --- CATEGORY (il. §§ 26–28, § 37 d) ---------------------------------------------------------------


class TestCategory:
    @pytest.mark.parametrize(
        "basis,expected",
        [
            ("utl_28", "right_and_duty"),
            ("family_of_protected", "right_and_duty"),
            ("family_of_norwegian", "right_and_duty"),
            ("work", "duty"),
            ("family_of_worker", "duty"),
            ("utl_34", "right"),
            ("eea", "none"),
        ],
    )
    def test_category_by_basis(self, basis, expected):
        """il. §§ 26–28 (s27_right_and_duty, s28_duty); kap. 6A § 37 d (ch6a_norwegian_right); the family of a
        labour immigrant has a duty like the worker (il. § 28; 002 L691: «Arbeidsinnvandrere fra land utenfor EØS
        … har plikt, men ikke rett»; law-notes R7: «non-EEA labour immigrants and their family members»)."""
        assert category(ctx(permits=[permit(basis, "2025-10-01")]))[0].value == expected

    @pytest.mark.parametrize(
        "birth,expected",
        [
            ("2007-10-02", "none"),
            ("2007-10-01", "right_and_duty"),
            ("1959-10-01", "right_and_duty"),
            ("1958-10-01", "none"),
            ("1957-10-01", "none"),
        ],
    )
    def test_ages_17_18_66_67_68(self, birth, expected):
        """il. § 26 (s26_under_age, s26_over_age): 18–67 at grant; «opphører ved fylte 67 år»."""
        assert category(ctx(as_of="2026-04-01", birth_date=birth))[0].value == expected

    def test_ends_at_67(self):
        """il. § 26 (s26_ended_at_67): the right and duty end at 67."""
        d, _ = category(ctx(as_of="2026-10-01", birth_date="1959-10-01"))
        assert d.value == "none" and d.steps[-1].rule == "s26_ended_at_67"

    def test_section_27_preferred_over_28(self):
        """il. §§ 27–28: a later refugee permit gives right and duty even after a work permit."""
        d, p = category(ctx(permits=[permit("work", "2024-01-01"), permit("utl_28", "2025-10-01")]))
        assert d.value == "right_and_duty" and p.basis == "utl_28"

    @pytest.mark.parametrize("permits,rule", [([], "s26_no_permit"), ([permit("eea", "2025-10-01")], "s26_eea")])
    def test_without_a_norwegian_permit(self, permits, rule):
        """il. § 26 (table WITHOUT): no permit, or Nordic/EEA citizens: none."""
        d, p = category(ctx(permits=permits))
        assert (d.value, d.steps[-1].rule, p) == ("none", rule, None)

    def test_section_read_from_the_code_list(self):
        """il. §§ 27–28: § 9 a–g and the bases with attr il_27_28; utl. § 34 is ch. 6A."""
        assert [il_26.section(b) for b in ("utl_38_5", "family_of_norwegian", "work", "family_of_worker")] == [
            "27",
            "27",
            "28",
            "28",
        ]
        assert il_26.section("utl_34") == "6A" and il_26.section("eea") is None


# --- AFTER_CH6A (004; if. § 43h) -----------------------------------------------------------------------


class TestAfterCollectiveProtection:
    def test_s43h_keeps_the_right(self):
        """if. § 43h (004): a decision under ch. 6A before the change of permit: «rett til … eventuell
        gjenstående norskopplæring etter integreringsloven § 37d»; no new rights (ch6a_norwegian_s43h)."""
        c = ctx(
            permits=[permit("utl_34", "2025-03-01"), permit("utl_28", "2026-03-01")],
            settlements=[settled("2025-04-01")],
            decisions=[norwegian_decision("2025-06-01")],
        )
        d, p = category(c)
        assert d.value == "right" and p.basis == "utl_34"
        assert [s.rule for s in d.steps][:2] == ["ch6a_norwegian_s43h", "s43h_norwegian"]

    def test_kept_with_a_norwegian_decision(self):
        """004: «Rett til norsk blir fortsatt gjeldende dersom person har vedtak om rett til norsk selv om person
        går over til ny oppholdstillatelse» (ch6a_norwegian_right_kept)."""
        c = ctx(
            permits=[permit("utl_34", "2026-01-09"), permit("utl_28", "2026-06-01")],
            decisions=[norwegian_decision("2026-03-01")],
            as_of="2026-07-01",
        )
        d, _ = category(c)
        assert d.value == "right" and d.steps[-1].rule == "ch6a_norwegian_right_kept"

    def test_no_right_to_keep(self):
        """il. § 26 (67 at grant: no right) — nothing to keep after the change of permit
        (ch6a_norwegian_right_not_kept)."""
        c = ctx(
            birth_date="1950-01-01",
            permits=[permit("utl_34", "2026-01-09"), permit("utl_28", "2026-06-01")],
            decisions=[norwegian_decision("2026-03-01")],
            as_of="2026-07-01",
        )
        d, _ = category(c)
        assert d.value == "none" and d.steps[-1].rule == "ch6a_norwegian_right_not_kept"

    def test_new_permit_without_norwegian_section(self):
        """il. § 26: a new permit that gives neither right nor duty leaves the ch. 6A right
        (ch6a_norwegian_no_later)."""
        d, p = category(ctx(permits=[permit("utl_34", "2025-03-01"), permit("utl_99", "2026-03-01")]))
        assert (d.value, d.steps[-1].rule, p.basis) == ("right", "ch6a_norwegian_no_later", "utl_34")

    def test_superseded_without_decision(self):
        """il. §§ 26–27: without a Norwegian decision under utl. § 34 the new permit is judged by the ordinary
        rules (ch6a_norwegian_superseded)."""
        d, p = category(ctx(permits=[permit("utl_34", "2025-03-01"), permit("utl_28", "2026-03-01")]))
        assert (d.value, d.steps[0].rule, p.basis) == ("right_and_duty", "ch6a_norwegian_superseded", "utl_28")


# --- START (il. § 26 second paragraph) -------------------------------------------------------------------


class TestStart:
    def start(self, c, i=0):
        return il_26.start(c, c.permits[i])

    def test_grant(self):
        """il. § 26 andre ledd første punktum: «inntrer når oppholdstillatelsen innvilges» (s26_start_grant)."""
        d = self.start(ctx())
        assert (d.value, d.steps[-1].rule) == (D("2025-10-01"), "s26_start_grant")

    def test_arrival(self):
        """il. § 26 andre ledd første punktum: «eller ved ankomst til Norge for personer som har fått innvilget
        oppholdstillatelsen før innreise» (s26_start_arrival)."""
        d = self.start(ctx(permits=[permit("utl_28", "2025-10-01", "2025-12-15")]))
        assert (d.value, d.steps[-1].rule) == (D("2025-12-15"), "s26_start_arrival")

    def test_renewal(self):
        """il. § 26 andre ledd andre punktum: «For personer med oppholdstillatelse nevnt i § 9 første ledd bokstav
        d inntrer retten og plikten ved førstegangs fornyelse av tillatelsen» (s26_start_renewal)."""
        c = ctx(permits=[permit("utl_38_5", "2024-01-10"), permit("utl_38_5", "2025-01-10")])
        d = self.start(c)
        assert (d.value, d.steps[-1].rule) == (D("2025-01-10"), "s26_start_renewal")

    def test_renewal_on_another_section_27_basis(self):
        """il. § 26 andre ledd: a later permit on another § 27 basis also starts it (its own grant)."""
        permits = [permit("utl_38_5", "2024-01-10"), permit("work", "2024-06-01"), permit("utl_28", "2025-02-01")]
        c = ctx(permits=permits)
        assert self.start(c).value == D("2025-02-01")

    @pytest.mark.parametrize("as_of", ["2025-01-09", "2026-06-01"])
    def test_awaiting_renewal(self, as_of):
        """il. § 26 andre ledd andre punktum: no renewal registered (or not yet in effect): the right and duty have
        not arisen, no deadline (s26_start_awaiting_renewal)."""
        permits = [permit("utl_38_5", "2024-01-10")] + ([permit("utl_38_5", "2025-01-10")] if as_of < "2025" else [])
        d = self.start(ctx(as_of=as_of, permits=permits))
        assert (d.value, d.steps[-1].rule) == (None, "s26_start_awaiting_renewal")

    def test_settlement_by_agreement(self):
        """il. § 26 andre ledd tredje punktum: «For … § 9 første ledd bokstav e inntrer retten og plikten på
        tidspunktet personen bosettes etter avtale» (s26_start_settlement)."""
        c = ctx(permits=[permit("utl_34", "2025-03-01")], settlements=[settled("2025-05-01")])
        d = self.start(c)
        assert (d.value, d.steps[-1].rule, d.steps[-1].verified) == (D("2025-05-01"), "s26_start_settlement", False)

    def test_settlement_registered_before_the_permit(self):
        """il. § 26 andre ledd tredje punktum: never before the permit's grant (s26_start_settlement)."""
        c = ctx(permits=[permit("utl_34", "2025-03-01")], settlements=[settled("2025-02-01")])
        assert self.start(c).value == D("2025-03-01")

    def test_awaiting_settlement_by_agreement(self):
        """il. § 26 andre ledd tredje punktum: settled without agreement: no start, no deadline
        (s26_start_awaiting_settlement)."""
        c = ctx(permits=[permit("utl_34", "2025-03-01")], settlements=[settled("2025-05-01", False)])
        d = self.start(c)
        assert (d.value, d.steps[-1].rule) == (None, "s26_start_awaiting_settlement")

    def test_whole_evaluation_without_start_has_no_deadline(self):
        """il. § 26 andre ledd: category from the permit, but no start and no deadline before the renewal."""
        doc = norwegian(permits=[permit("utl_38_5", "2025-10-01")])["norwegian"]
        assert (doc["category"], doc["start_date"], doc["deadline"], doc["months"]) == (
            "right_and_duty",
            None,
            None,
            None,
        )


# --- MONTHS and the arithmetic (il. § 32, § 37 d) ----------------------------------------------------------


class TestDeadline:
    @pytest.mark.parametrize(
        "edu,deadline",
        [
            ("below_upper_secondary", "2028-09-30"),
            ("upper_secondary_or_higher", "2027-03-31"),
            ("unknown", "2028-09-30"),
        ],
    )
    def test_months_by_education(self, edu, deadline):
        """il. § 32 (s32_deadline): «ikke lenger enn tre år … For personer som minimum har utdanning på
        videregående nivå fra før … i 18 måneder»; unknown education counts as without."""
        d, months = il_32.deadline(ctx(education=edu), D("2025-10-01"), "right_and_duty", 0)
        assert d.value == D(deadline) and months == (18 if edu.startswith("upper") else 36)

    def test_collective_protection_one_year(self):
        """il. § 37 d (s37d_deadline_one_year): «rett til gratis opplæring i norsk i ett år» (law-notes R9 [V])."""
        d, months = il_32.deadline(ctx(education="upper_secondary_or_higher"), D("2025-05-01"), "right", 0)
        assert (d.value, months, d.steps[0].rule) == (D("2026-04-30"), 12, "s37d_deadline_one_year")
        assert "ikke verifisert" not in d.steps[0].text

    def test_leave_and_cap_at_67(self):
        """il. § 32 (godkjent permisjon legges til fristen; s32_leave_extension); il. § 26 (ends at 67;
        s26_deadline_capped_at_67)."""
        d, _ = il_32.deadline(ctx(), D("2025-10-01"), "right_and_duty", 1)
        assert d.value == D("2028-10-02") and d.steps[-1].rule == "s32_leave_extension"
        d, _ = il_32.deadline(ctx(birth_date="1959-10-01", as_of="2026-04-01"), D("2025-10-01"), "right_and_duty", 0)
        assert d.value == D("2026-09-30") and d.steps[-1].rule == "s26_deadline_capped_at_67"

    def test_deadline_dates_pair(self):
        """The arithmetic's scalar and array forms agree (start + months − 1 day, leave, the day before 67)."""
        import numpy as np

        from nir.rules.dates import date_of, day, month_days

        cases = [
            (D("2025-10-01"), 36, 0, D("1988-03-03")),
            (D("2025-10-01"), 36, 7, D("1988-03-03")),
            (D("2024-02-29"), 18, 3, D("1960-01-15")),
            (D("2025-01-31"), 12, 0, D("1958-12-31")),
        ]
        starts = np.array([day(s) for s, *_ in cases])
        births = month_days(np.array([day(b) for *_, b in cases]))
        got = il_32.deadline_dates_days(
            starts, np.array([m for _, m, _, _ in cases]), np.array([w for _, _, w, _ in cases]), births, np.full(4, 67)
        )
        for i, (s, m, w, b) in enumerate(cases):
            assert tuple(date_of(int(a[i])) for a in got) == il_32.deadline_dates(s, m, w, b, 67)


# --- family_of_worker elsewhere (il. § 8 third paragraph, introduksjonsloven § 17) ---------------------------


class TestFamilyOfWorker:
    def test_intro_may_be_offered(self):
        """il. § 8 tredje ledd: «Kommunen kan tilby introduksjonsprogram til innvandrere med oppholdstillatelse etter
        utlendingsloven kapittel 6 som er familiemedlemmer til andre enn personer nevnt i § 9 første ledd bokstav
        f» — the family of a labour immigrant, living in a municipality; the worker is not."""
        res = {"municipality": "0301", "from": "2025-10-20", "to": None}
        fam = norwegian(permits=[permit("family_of_worker", "2025-10-01")], settlements=[], residences=[res])
        work = norwegian(permits=[permit("work", "2025-10-01")], settlements=[], residences=[res])
        assert fam["intro"]["category"] == "may_be_offered" and work["intro"]["category"] == "none"

    def test_introduksjonsloven_duty(self):
        """introduksjonsloven § 17 (law-notes R7 [S]): labour immigrants and their family: duty, not right."""
        doc = norwegian(as_of="2020-12-01", permits=[permit("family_of_worker", "2019-10-01")])
        assert (doc["law"], doc["norwegian"]["category"]) == ("introduksjonsloven", "duty")


def test_every_row_is_reached_by_the_random_sample():
    """The adversarial sample (nir.rules.testing) reaches every row of the Norwegian tables, so the agreement test
    (vector == per person) covers each of them."""
    tables = (il_26.CATEGORY, il_26.WITHOUT, il_26.AFTER_CH6A, il_26.START, il_32.MONTHS)
    wanted = {r.id for t in tables for r in t.rows}
    seen: set[str] = set()
    for k, day in enumerate(("2026-04-15", "2027-06-30")):
        for facts in population(6_000, 77 + k, D(day)):
            doc = evaluate(facts, D(day)).to_json()
            for key in ("norwegian.category", "norwegian.deadline"):
                seen.update(rules(doc, key))
    assert wanted <= seen, sorted(wanted - seen)


def test_a_changed_row_changes_both_paths_at_once(monkeypatch):
    """Mutation: the § 9 d row of START made to start at the first grant again (the rule before issue 19). Both
    interpreters read the changed row: the renewal case fails on both, and they still agree person by person."""
    import dataclasses
    from pathlib import Path

    from nir.rules import vector
    from nir.rules.cases import compare, load_case
    from nir.rules.table import V
    from nir.rules.testing import disagreements

    rows = [
        dataclasses.replace(r, then=V("decision_date")) if r.id == "s26_start_renewal" else r for r in il_26.START.rows
    ]
    monkeypatch.setattr(il_26.START, "rows", tuple(rows))
    case = load_case(Path(__file__).parent / "cases" / "il_26_28" / "norwegian_9d_starts_at_first_renewal.json")
    per_person = case.evaluate().to_json(explanations=False)
    columns = vector.evaluate_batch([case.facts], case.as_of)[0]
    assert per_person["norwegian"]["deadline"] == columns["norwegian"]["deadline"] == "2027-01-09"
    assert compare(case.expect, per_person) and compare(case.expect, columns)
    as_of = D("2026-04-15")
    assert not disagreements(population(3_000, 5, as_of), as_of)
