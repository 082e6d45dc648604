"""integreringsforskriften § 72 — which act applies (``integreringsforskriften/if_72_which_act.py``).

Every row of :data:`WHICH_ACT` is tested on both interpreters; each test names its legal source.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import numpy as np
from rules_support import BASE_FACTS
from two_paths import decide_both

from nir.rules import evaluate, parameters, vector
from nir.rules.context import Context
from nir.rules.dates import NAT, day
from nir.rules.integreringsforskriften import if_72_which_act as if_72
from nir.rules.integreringsforskriften.if_72_which_act import INTEGRERINGSLOVEN, INTRODUKSJONSLOVEN, WHICH_ACT, law
from nir.rules.model import parse_facts
from nir.rules.table import REGISTRY, V

D = dt.date.fromisoformat
CUT = D("2021-01-01")


def scope(decision=None, arrival=None, abroad=-1, in_force=True, has_permit=True, any_permit=True):
    return {
        "as_of": D("2026-06-01"),
        "in_force": in_force,
        "cut": day(CUT) if in_force else NAT,
        "cut_date": CUT if in_force else None,
        "any_permit": any_permit,
        "has_permit": has_permit,
        "decision": day(D(decision)) if decision else NAT,
        "decision_date": D(decision) if decision else None,
        "arrival": day(D(arrival)) if arrival else NAT,
        "arrival_date": D(arrival) if arrival else None,
        "applied_from_abroad": abroad,
    }


def ctx(as_of="2026-06-01", **changes) -> Context:
    f = copy.deepcopy(BASE_FACTS)
    f.update(changes)
    return Context.build(parse_facts(f), D(as_of), parameters.default())


def permit(basis, date, arrival=None, **kw):
    return {"basis": basis, "decision_date": date, "arrival_date": arrival, **kw}


class TestRows:
    def test_before_the_act(self):
        """if. § 71 (in force 1.1.2021): before it, only introduksjonsloven existed."""
        step = decide_both(WHICH_ACT, scope("2020-01-01", in_force=False))
        assert step.value == INTRODUKSJONSLOVEN and step.rule == "law_split" and "ikke trådt i kraft" in step.text

    def test_only_eea_registrations(self):
        """if. § 72: a Nordic/EEA registration gives no rights under either act; no counting permit → the
        transition rule does not send the person to introduksjonsloven."""
        step = decide_both(WHICH_ACT, scope(has_permit=False, any_permit=True))
        assert step.value == INTEGRERINGSLOVEN and "nordisk/EØS" in step.text

    def test_no_permit(self):
        """if. § 72 second sentence: introduksjonsloven only for those the transition rules keep under it."""
        step = decide_both(WHICH_ACT, scope(has_permit=False, any_permit=False))
        assert step.value == INTEGRERINGSLOVEN and "Ingen oppholdstillatelse er registrert" in step.text

    def test_granted_on_the_first_day(self):
        """if. § 71 / § 72: a permit granted 1.1.2021 or later → integreringsloven."""
        step = decide_both(WHICH_ACT, scope("2021-01-01"))
        assert step.value == INTEGRERINGSLOVEN and step.rule == "law_split" and step.verified

    def test_applied_from_abroad_registered(self):
        """if. § 72 first sentence: applied from abroad, granted before, arrived after → integreringsloven."""
        step = decide_both(WHICH_ACT, scope("2020-11-15", "2021-01-01", abroad=1))
        assert step.value == INTEGRERINGSLOVEN and step.rule == "law_split_applied_from_abroad" and step.verified

    def test_applied_from_abroad_inferred_is_unverified(self):
        """if. § 72 first sentence, the application from abroad inferred from a permit granted before arrival:
        the register's inference, not the law's words — the result is flagged unverified."""
        step = decide_both(WHICH_ACT, scope("2020-11-15", "2021-01-20"))
        assert step.value == INTEGRERINGSLOVEN and step.rule == "law_split_applied_from_abroad"
        assert not step.verified and "utledet" in step.text and "søkt fra utlandet utledet" in step.source

    def test_arrived_before_the_act(self):
        """if. § 72: applied from abroad but arrived before 1.1.2021 → introduksjonsloven."""
        step = decide_both(WHICH_ACT, scope("2020-11-15", "2020-12-31", abroad=1))
        assert step.value == INTRODUKSJONSLOVEN and step.rule == "law_split"

    def test_not_applied_from_abroad(self):
        """if. § 72: the arrival rule needs an application from abroad (registered no)."""
        step = decide_both(WHICH_ACT, scope("2020-11-15", "2021-01-20", abroad=0))
        assert step.value == INTRODUKSJONSLOVEN

    def test_arrival_before_grant_is_not_inferred(self):
        """if. § 72: a permit granted after arrival was not necessarily applied for from abroad."""
        step = decide_both(WHICH_ACT, scope("2020-11-15", "2020-10-01"))
        assert step.value == INTRODUKSJONSLOVEN


class TestPerPerson:
    def test_permit_2020_gives_introduksjonsloven(self):
        """if. § 72: first permit before 2021-01-01 → introduksjonsloven."""
        d = law(ctx(permits=[permit("utl_28", "2020-12-31")]))
        assert d.value == INTRODUKSJONSLOVEN and d.steps[0].source == "if. §§ 71 og 72"

    def test_inferred_facts_are_said(self):
        """if. § 72: the explanation's facts say that «applied from abroad» was inferred."""
        d = law(ctx(permits=[permit("utl_35_3", "2020-11-15", "2021-01-20")]))
        assert d.steps[0].facts["applied_from_abroad_inferred"] is True
        assert d.steps[0].facts["applied_from_abroad"] is True

    def test_eea_registration_does_not_count(self):
        """if. § 72: the permit that counts is the first one giving rights or duties."""
        d = law(ctx(permits=[permit("eea", "2019-01-01"), permit("utl_28", "2022-01-01")]))
        assert d.value == INTEGRERINGSLOVEN


def test_rule_ids_are_declared_once_with_their_basis():
    """Legal basis as data: the table's ids are registered with if. § 72 and this module."""
    for rule_id in ("law_split", "law_split_applied_from_abroad"):
        decl = REGISTRY[rule_id]
        assert decl.module == if_72.__name__ and decl.kind == "rule"
        assert any(b.section == "72" for b in decl.bases)
        assert decl.title and "{" not in decl.title


def test_a_changed_row_changes_both_paths(monkeypatch):
    """One definition: changing the table's first-day row («på eller etter» → «etter» 1.1.2021) changes the
    per-person result and the column result alike — there is no second copy to forget."""
    facts = [dict(copy.deepcopy(BASE_FACTS), permits=[permit("utl_28", "2021-01-01")])]
    as_of = D("2026-06-01")
    assert evaluate(facts[0], as_of).law == INTEGRERINGSLOVEN
    assert vector.evaluate_batch(facts, as_of)[0]["law"] == INTEGRERINGSLOVEN
    rows = list(WHICH_ACT.rows)
    i = next(k for k, r in enumerate(rows) if "på eller etter" in r.text)
    rows[i] = dataclasses.replace(rows[i], when=V("decision") > V("cut"))
    monkeypatch.setattr(WHICH_ACT, "rows", tuple(rows))
    assert evaluate(facts[0], as_of).law == INTRODUKSJONSLOVEN
    res = vector.evaluate_facts(facts, as_of)
    assert not res.fallback.any() and res.to_dicts()[0]["law"] == INTRODUKSJONSLOVEN
    assert np.all(res.law == 1)
