"""Unit tests of the rule functions, one group per act and section; each test names its legal source."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from rules_support import BASE_FACTS

from nir.rules import parameters
from nir.rules.context import Context, codes
from nir.rules.integreringsforskriften import if_10_19_absence as absence
from nir.rules.integreringsforskriften import if_43h_transition as s43h
from nir.rules.integreringsforskriften.if_72_which_act import law
from nir.rules.integreringsloven import decision_validity, intro_category
from nir.rules.integreringsloven import (
    il_08_loss_due_to_work as loss,
)
from nir.rules.integreringsloven import (
    il_08_target_group as s08,
)
from nir.rules.integreringsloven import (
    il_13_14_final_goals as goals,
)
from nir.rules.integreringsloven import (
    il_37_ch6a_collective_protection as ch6a,
)
from nir.rules.model import Derived, parse_facts
from nir.rules.nir_004 import deviations

D = dt.date.fromisoformat


def ctx(as_of="2026-06-01", **changes) -> Context:
    f = copy.deepcopy(BASE_FACTS)
    f.update(changes)
    return Context.build(parse_facts(f), D(as_of), parameters.default())


def permit(basis, date, arrival=None, **kw):
    return {"basis": basis, "decision_date": date, "arrival_date": arrival, **kw}


def part(date, start=None, end=None):
    return {
        "scheme": "intro",
        "type": "participation",
        "decision_date": date,
        "start_date": start or date,
        "end_date": end,
    }


def loss_dec(date):
    return {"scheme": "intro", "type": "loss_due_to_work", "decision_date": date, "start_date": None, "end_date": None}


# --- if. § 72 -----------------------------------------------------------------------------


class TestIfS72Law:
    def test_permit_2020_gives_introduksjonsloven(self):
        """if. § 72: first permit before 2021-01-01 → introduksjonsloven."""
        assert law(ctx(permits=[permit("utl_28", "2020-12-31")])).value == "introduksjonsloven"

    def test_permit_2021_gives_integreringsloven(self):
        """if. § 72 / § 71: from 2021-01-01 integreringsloven."""
        assert law(ctx(permits=[permit("utl_28", "2021-01-01")])).value == "integreringsloven"

    def test_applied_from_abroad_arrived_2021(self):
        """if. § 72 second sentence: applied from abroad, granted before, arrived after → integreringsloven."""
        d = law(ctx(permits=[permit("utl_35_3", "2020-11-15", "2021-01-20", applied_from_abroad=True)]))
        assert d.value == "integreringsloven" and d.steps[0].rule == "law_split_applied_from_abroad"

    def test_applied_from_abroad_inferred_from_arrival_after_grant(self):
        """if. § 72: a permit granted before arrival was applied for from abroad (inferred, and said so)."""
        d = law(ctx(permits=[permit("utl_35_3", "2020-11-15", "2021-01-20")]))
        assert d.value == "integreringsloven" and d.steps[0].facts["applied_from_abroad_inferred"] is True

    def test_not_applied_from_abroad(self):
        """if. § 72: the arrival rule needs an application from abroad."""
        d = law(ctx(permits=[permit("utl_28", "2020-11-15", "2021-01-20", applied_from_abroad=False)]))
        assert d.value == "introduksjonsloven"

    def test_eea_registration_does_not_count(self):
        """if. § 72: the permit that counts is the first one giving rights or duties."""
        d = law(ctx(permits=[permit("eea", "2019-01-01"), permit("utl_28", "2022-01-01")]))
        assert d.value == "integreringsloven"

    def test_before_integreringsloven_existed(self):
        """if. § 71: before 2021-01-01 only introduksjonsloven existed."""
        assert law(ctx(as_of="2020-06-01", permits=[permit("utl_28", "2020-01-01")])).value == "introduksjonsloven"

    def test_no_permit_defaults_to_integreringsloven(self):
        assert law(ctx(permits=[])).value == "integreringsloven"


# --- il. § 8 --------------------------------------------------------------------------------


class TestS08TargetGroup:
    def cat(self, c: Context, p_index=0) -> str:
        return s08.ordinary_category(c, c.permits[p_index]).value

    @pytest.mark.parametrize(
        "birth,expected",
        [
            ("2007-10-02", "none"),
            ("2007-10-01", "right_and_duty"),
            ("1970-10-01", "right_and_duty"),
            ("1969-10-01", "may_be_offered"),
        ],
    )
    def test_age_at_grant_17_18_55_56(self, birth, expected):
        """il. § 8 første og tredje ledd: 18–55 inclusive at the permit's decision date."""
        assert self.cat(ctx(birth_date=birth)) == expected

    def test_settled_without_agreement_is_kan_gruppe(self):
        """il. § 8 tredje ledd: bosatt uten avtale → may be offered."""
        c = ctx(settlements=[{"municipality": "5001", "date": "2025-11-01", "by_agreement": False}])
        d = s08.ordinary_category(c, c.permits[0])
        assert d.value == "may_be_offered" and d.steps[0].rule == "s08_settled_without_agreement"

    def test_not_settled_is_none(self):
        """il. § 8 første ledd: «bosatt i kommunen»."""
        assert self.cat(ctx(settlements=[])) == "none"

    @pytest.mark.parametrize("basis", ["family_of_protected", "utl_53"])
    def test_f_and_g_do_not_need_agreement(self, basis):
        """il. § 8 andre ledd: kravet om bosetting etter avtale gjelder ikke bokstav f og g."""
        c = ctx(
            permits=[permit(basis, "2025-10-01")],
            settlements=[{"municipality": "5001", "date": "2025-11-01", "by_agreement": False}],
        )
        assert self.cat(c) == "right_and_duty"

    def test_f_needs_to_live_in_a_municipality(self):
        """il. § 8 første ledd: bosatt i kommunen (also for f and g)."""
        assert self.cat(ctx(permits=[permit("family_of_protected", "2025-10-01")], settlements=[])) == "none"

    def test_residence_counts_as_living_in_a_municipality(self):
        """il. § 8 andre ledd with a registered residence (interchange key residences)."""
        c = ctx(
            permits=[permit("utl_53", "2025-10-01")],
            settlements=[],
            residences=[{"municipality": "0301", "from": "2025-10-10", "to": None}],
        )
        assert self.cat(c) == "right_and_duty"

    def test_eea_is_none(self):
        """il. § 8 femte ledd: Nordic and EEA citizens are not covered."""
        d = s08.category_without_s9_permit(ctx(permits=[permit("eea", "2025-10-01")]))
        assert d.value == "none" and d.steps[0].rule == "s08_eea"

    def test_family_of_norwegian_is_kan_gruppe_when_resident(self):
        """il. § 8 tredje ledd: family members of others than § 9 f may be offered the programme."""
        assert (
            s08.category_without_s9_permit(ctx(permits=[permit("family_of_norwegian", "2025-10-01")])).value
            == "may_be_offered"
        )
        assert (
            s08.category_without_s9_permit(
                ctx(permits=[permit("family_of_norwegian", "2025-10-01")], settlements=[])
            ).value
            == "none"
        )

    def test_work_is_none(self):
        """il. § 8: labour immigrants are not in the target group."""
        assert s08.category_without_s9_permit(ctx(permits=[permit("work", "2025-10-01")])).value == "none"

    def test_two_year_window(self):
        """il. § 8 første ledd tredje punktum: decision while lived < 2 years in the municipality."""
        c = ctx(
            permits=[permit("utl_28", "2023-12-01")],
            settlements=[{"municipality": "5001", "date": "2024-01-15", "by_agreement": True}],
        )
        ok = parse_facts(copy.deepcopy(BASE_FACTS) | {"decisions": [part("2026-01-14")]}).decisions[0]
        late = parse_facts(copy.deepcopy(BASE_FACTS) | {"decisions": [part("2026-01-15")]}).decisions[0]
        assert s08.participation_after_two_years(c, c.permits[0], ok) is None
        assert s08.participation_after_two_years(c, c.permits[0], late).rule == "participation_after_two_years"

    def test_window_starts_at_permit_if_living_there_before(self):
        """il. § 8: lived in a municipality *with a § 9 permit* — the clock starts at the later of the two."""
        c = ctx(
            permits=[permit("utl_53", "2025-10-01")],
            settlements=[],
            residences=[{"municipality": "0301", "from": "2020-01-01", "to": None}],
        )
        assert s08.window_start(c, c.permits[0]) == D("2025-10-01")


class TestS08LossDueToWork:
    def run(self, c: Context, category="right_and_duty"):
        decisions = decision_validity.effective_decisions(c)
        parts = decision_validity.of(decisions, "intro", "participation")
        cat = Derived(category, [])
        return loss.apply(c, cat, decisions, parts)

    def test_closes_the_scheme(self):
        """il. § 8 fjerde ledd; 004: Avbrutt / Vedtak om bortfall … / date / Regelmotor."""
        c = ctx(decisions=[loss_dec("2026-01-05")])
        cat, closure, _ = self.run(c)
        assert cat.value == "none"
        assert closure.to_json() == {
            "status": "Avbrutt",
            "reason": "Vedtak om bortfall av rett og plikt pga. arbeid",
            "date": "2026-01-05",
            "registered_by": "Regelmotor",
        }

    def test_after_participation_is_an_error(self):
        """004: «Kan kun registreres dersom det IKKE foreligger et vedtak om deltakelse fra før»."""
        c = ctx(decisions=[part("2025-12-15"), loss_dec("2026-01-05")])
        cat, closure, _ = self.run(c)
        assert closure is None and cat.value == "right_and_duty"
        assert [e.rule for e in c.errors] == ["loss_due_to_work_after_participation"]

    def test_participation_after_loss_right_returns(self):
        """il. § 8 fjerde ledd andre punktum; 004: participation may be registered after the loss."""
        c = ctx(decisions=[loss_dec("2026-01-05"), part("2026-03-02")])
        cat, closure, closed = self.run(c)
        assert closure is None and cat.value == "right_and_duty"
        assert closed.steps[0].rule == "loss_due_to_work_right_returned"

    def test_before_2026_is_an_error(self):
        """il. § 8 fjerde ledd is in force from 2026-01-01."""
        c = ctx(decisions=[loss_dec("2025-12-31")])
        _cat, closure, _ = self.run(c)
        assert closure is None and [e.rule for e in c.errors] == ["loss_due_to_work_not_in_force"]

    def test_only_for_right_and_duty(self):
        """il. § 8 fjerde ledd: only rett og plikt can be lost."""
        c = ctx(decisions=[loss_dec("2026-01-05")])
        _cat, closure, _ = self.run(c, category="right")
        assert closure is None and [e.rule for e in c.errors] == ["loss_due_to_work_not_in_target_group"]


class TestCh6aAndS43h:
    def test_before_2026_right(self):
        """il. kap. 6A; 004: collective protection granted before 2026-01-01 → right."""
        c = ctx(permits=[permit("utl_34", "2025-12-31")])
        assert ch6a.under_ch6a(c, c.permits[0])
        assert ch6a.intro_category(c, c.permits[0]).value == "right"

    def test_from_2026_right_and_duty(self):
        """004 (Opphevelse av en del midlertidige regler): granted from 2026-01-01 → right and duty."""
        c = ctx(
            permits=[permit("utl_34", "2026-01-01")],
            settlements=[{"municipality": "4648", "date": "2026-02-10", "by_agreement": True}],
        )
        assert not ch6a.under_ch6a(c, c.permits[0])
        assert ch6a.intro_category(c, c.permits[0]).value == "right_and_duty"

    def test_before_2026_evaluated_in_2025(self):
        """Before 2026-01-01 the split is not in force: every § 34 permit is under ch. 6A."""
        c = ctx(as_of="2025-12-31", permits=[permit("utl_34", "2025-06-01")])
        assert ch6a.under_ch6a(c, c.permits[0])

    def test_s43h_applies(self):
        """if. § 43h; 004: utl_34 before 2026 with a decision before 2026, then another permit."""
        c = ctx(
            permits=[permit("utl_34", "2024-05-02"), permit("utl_28", "2026-02-01")], decisions=[part("2024-08-01")]
        )
        decisions = decision_validity.effective_decisions(c)
        assert s43h.applies(c, c.permits[0], c.permits[1], decisions)
        assert s43h.intro_category(c, c.permits[0], c.permits[1], decisions).value == "right"
        assert s43h.norwegian_category(c, c.permits[0], c.permits[1], decisions).value == "right"

    def test_s43h_norwegian_decision_only(self):
        """if. § 43h: a Norwegian decision only → programme none."""
        nd = {
            "scheme": "norwegian",
            "type": "norwegian_participation",
            "decision_date": "2024-09-01",
            "start_date": "2024-09-01",
            "end_date": None,
        }
        c = ctx(permits=[permit("utl_34", "2024-05-02"), permit("utl_28", "2026-02-01")], decisions=[nd])
        decisions = decision_validity.effective_decisions(c)
        assert s43h.intro_category(c, c.permits[0], c.permits[1], decisions).value == "none"

    def test_s43h_decision_in_2026_does_not_count(self):
        """if. § 43h as read by NIR (004): only decisions dated before 2026-01-01."""
        c = ctx(
            permits=[permit("utl_34", "2024-05-02"), permit("utl_28", "2026-02-01")], decisions=[part("2026-01-02")]
        )
        assert not s43h.applies(c, c.permits[0], c.permits[1], decision_validity.effective_decisions(c))

    def test_dispatcher_uses_new_permit_without_ch6a_decision(self):
        """if. § 43h (motsetningsvis): without a ch. 6A decision, the new permit is judged ordinarily."""
        c = ctx(permits=[permit("utl_34", "2024-05-02"), permit("utl_28", "2026-02-01")])
        d, p = intro_category(c, decision_validity.effective_decisions(c))
        assert d.value == "right_and_duty" and p.basis == "utl_28" and d.steps[0].rule == "ch6a_superseded"


# --- il. §§ 13, 14 ---------------------------------------------------------------------------


class TestS13S14FinalGoals:
    @pytest.mark.parametrize(
        "code,months,ext",
        [
            ("higher_education_2026", 12, 0),
            ("work_vgo_2026", 12, 0),
            ("vocational_requalification_2026", 12, 0),
            ("work_no_vgo_2026", 24, 0),
            ("complete_vgo_2025", 48, 12),
            ("partial_vgo_2025", 36, 12),
            ("vocational_2025", 60, 0),
            ("higher_education_old", 6, 6),
            ("work_vgo_old", 6, 6),
            ("complete_vgo_under_25_old", 36, 12),
            ("complete_vgo_over_25_old", 36, 12),
            ("work_no_vgo_old", 24, 12),
            ("partial_vgo_old", 24, 12),
            ("complete_primary_old", 24, 12),
            ("partial_primary_old", 24, 12),
        ],
    )
    def test_table(self, code, months, ext):
        """il. §§ 13–14; 004 'Oversikt over nye sluttmål'; regelmotor.md § 4 table."""
        m, e = goals.goal_parameters(ctx(), codes("final_goal")[code])
        assert (m.value, e.value) == (months, ext)

    def test_deadline_with_extension(self):
        """il. § 14: complete_vgo_2025 48 months + up to 12."""
        c = ctx(final_goal="complete_vgo_2025", extension_months=12)
        d, months, ext, base = goals.deadline(c, D("2026-02-02"), codes("final_goal")["complete_vgo_2025"], True)
        assert (d.value, months, ext, base) == (D("2031-02-01"), 48, 12, D("2030-02-01"))

    @pytest.mark.parametrize(
        "code,ext,rule",
        [
            ("work_vgo_2026", 1, "extension_not_allowed"),
            ("complete_vgo_2025", 13, "extension_exceeds_maximum"),
            ("complete_vgo_2025", 12, None),
            ("higher_education_old", 6, None),
            (None, 6, "extension_without_final_goal"),
        ],
    )
    def test_extension_rules(self, code, ext, rule):
        """il. § 13 tredje ledd («kan ikke forlenges»), § 14 («forlenges med inntil ett år»)."""
        c = ctx(final_goal=code, extension_months=ext)
        e = goals.extension_error(c, codes("final_goal").get(code) if code else None)
        assert (e.rule if e else None) == rule

    def test_unknown_code_is_an_error(self):
        c = ctx(final_goal="no_such_goal")
        assert goals.goal_code(c) is None and c.errors[0].rule == "final_goal_unknown"


# --- if. §§ 10, 19 ----------------------------------------------------------------------------


class TestForskriftAbsence:
    def test_union_of_absence_time_off_leave(self):
        """if. §§ 10 og 19: fravær, fri og permisjon til sammen; 004: virkedager."""
        c = ctx(
            absences=[
                {"scheme": "intro", "kind": "absence", "from": "2026-03-02", "to": "2026-03-06"},
                {"scheme": "intro", "kind": "time_off", "from": "2026-03-05", "to": "2026-03-16"},
                {"scheme": "intro", "kind": "holiday", "from": "2026-07-06", "to": "2026-07-31"},
                {"scheme": "intro", "kind": "religious_day", "from": "2026-03-20", "to": "2026-03-20"},
                {"scheme": "norwegian", "kind": "leave", "from": "2026-04-20", "to": "2026-04-24"},
            ]
        )
        assert absence.intro_absence_workdays(c, absence.valid_periods(c)).value == 11

    @pytest.mark.parametrize("n,expected", [(10, "2028-01-04"), (11, "2028-01-19")])
    def test_threshold_over_10(self, n, expected):
        """if. § 10: «over ti virkedager» → all days are added; 10 is not over 10."""
        assert absence.intro_extension(ctx(), D("2028-01-04"), n).value == D(expected)

    def test_norwegian_only_leave(self):
        """il. § 32; 004: only leave decisions extend the Norwegian deadline, from the first workday."""
        c = ctx(
            absences=[
                {"scheme": "norwegian", "kind": "leave", "from": "2025-06-02", "to": "2025-06-04"},
                {"scheme": "norwegian", "kind": "absence", "from": "2025-09-01", "to": "2025-09-30"},
            ]
        )
        assert absence.norwegian_leave_workdays(c, absence.valid_periods(c)).value == 3


# --- regelmotor.md § 5, 004 ---------------------------------------------------------------------


class TestS05Decisions:
    def first_errors(self, decision):
        c = ctx(decisions=[decision])
        decision_validity.effective_decisions(c)
        return [e.rule for e in c.errors]

    def test_type_not_in_scheme(self):
        """regelmotor.md § 5: decision types belong to schemes (004 Vedtakstype)."""
        assert self.first_errors(
            {"scheme": "intro", "type": "norwegian_participation", "decision_date": "2026-01-05"}
        ) == ["decision_type_not_in_scheme"]

    def test_unknown_type(self):
        assert self.first_errors({"scheme": "intro", "type": "x", "decision_date": "2026-01-05"}) == [
            "decision_type_unknown"
        ]

    def test_type_not_valid_on_date(self):
        """Code list decision_type: integration_plan from 2021-01-01."""
        c = ctx(
            as_of="2026-01-01",
            permits=[permit("utl_28", "2020-06-01")],
            decisions=[{"scheme": "intro", "type": "integration_plan", "decision_date": "2020-12-01"}],
        )
        decision_validity.effective_decisions(c)
        assert [e.rule for e in c.errors] == ["decision_type_not_valid_on_date"]

    def test_end_before_start(self):
        assert self.first_errors(part("2026-01-05", "2026-01-05", "2026-01-04")) == ["decision_end_before_start"]

    def test_participation_needs_start(self):
        """regelmotor.md § 4: the deadline runs from the start date in the first participation decision."""
        assert self.first_errors({"scheme": "intro", "type": "participation", "decision_date": "2026-01-05"}) == [
            "participation_without_start_date"
        ]

    def test_rejected_result_not_in_effect(self):
        c = ctx(decisions=[part("2026-01-05") | {"result": "rejected"}])
        assert decision_validity.effective_decisions(c) == [] and c.errors == []


# --- 004 deviation report ---------------------------------------------------------------------


class TestDeviations:
    @pytest.mark.parametrize(
        "start,code,expected",
        [
            ("2026-01-12", None, ["final_goal_missing"]),
            ("2025-11-03", "work_vgo_2026", ["final_goal_2026_before_2026_start"]),
            ("2024-09-02", "partial_vgo_2025", ["final_goal_2026_before_2026_start"]),
            ("2025-06-02", "complete_vgo_2025", []),
            ("2026-01-01", "work_vgo_old", ["final_goal_expired"]),
            ("2025-12-31", "work_vgo_old", []),
            ("2026-01-01", "work_vgo_2026", []),
        ],
    )
    def test_report_filters(self, start, code, expected):
        """004 'Personer i introduksjonsprogram med avvik i registrering av sluttmål' (three filters)."""
        found = deviations.final_goal_deviations(D(start), codes("final_goal").get(code) if code else None, True)
        assert [e.rule for e in found] == expected

    def test_no_participation_no_deviation(self):
        assert deviations.final_goal_deviations(None, None, False) == []
