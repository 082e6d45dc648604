"""The recommendation engine's outcome models (issue 18; docs/settlement-recommendation.md «The model»),
on a small synthetic history with a known interaction (recommend_world.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nir.settlement.recommend import card as card_mod
from nir.settlement.recommend import data, features, model
from nir.settlement.recommend.explain import explain
from nir.settlement.recommend.fairness import fairness_report
from nir.settlement.recommend.model import ModelError, RecommendationModel, train

from .recommend_world import N_MUNIS, history, municipality_rows, quality, true_work


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    records, munis = history()
    return data.households(records, munis), munis


@pytest.fixture(scope="module")
def boosted(world):  # type: ignore[no-untyped-def]
    hh, munis = world
    return train(hh, munis, validate_years="latest", n_boot=3)


@pytest.fixture(scope="module")
def additive(world):  # type: ignore[no-untyped-def]
    hh, munis = world
    return train(hh, munis, interactions=False, validate_years="latest", n_boot=2)


def _young_and_old(munis: data.Municipalities) -> data.Households:
    recs = []
    for i, age in enumerate((19, 45)):
        recs.append(
            {
                "household_id": f"B2026-{i + 1:06d}",
                "ready_date": "2026-01-01",
                "resettlement": False,
                "connection_municipality": None,
                "persons": [
                    {
                        "person_id": f"B2026-{i + 1:06d}-1",
                        "age": age,
                        "sex": "F",
                        "country_group": "syria",
                        "education": "primary",
                        "work_experience_years": 2,
                        "english_level": 1,
                        "norwegian_level": 0,
                        "special_need": "none",
                        "unaccompanied_minor": False,
                    }
                ],
            }
        )
    return data.households(recs, munis)


def test_boosting_learns_the_young_x_school_interaction_and_the_additive_model_does_worse(
    world, boosted, additive
) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    assert boosted.card["learner"]["chosen"]["work"] in ("gradient_boosting", "blend")
    assert additive.card["learner"]["chosen"] == {"work": "logistic", "stay": "logistic"}
    school = munis.columns["upper_secondary_school"] == 1
    batch = _young_and_old(munis)
    gap = {}
    for name, m in (("boosted", boosted), ("additive", additive)):
        w = m.predict(batch, munis).work
        gap[name] = (w[0, school].mean() - w[0, ~school].mean(), w[1, school].mean() - w[1, ~school].mean())
    true_young = (
        true_work(np.array([19]), np.array([1]), np.array([1.0]), np.array([0.0]))[0]
        - true_work(np.array([19]), np.array([1]), np.array([0.0]), np.array([0.0]))[0]
    )
    # boosting: a large school gap for the young, none to speak of for the 45-year-old
    assert gap["boosted"][0] > 0.5 * true_young
    assert abs(gap["boosted"][1]) < 0.1
    # the additive model cannot tell them apart: the same sign and similar size for both ages
    assert gap["additive"][0] < 0.75 * gap["boosted"][0]
    # and on the held-out year, it is worse
    lb = boosted.card["validation"]["by_learner"]
    assert lb["gradient_boosting"]["2022"]["work"]["log_loss"] < lb["logistic"]["2022"]["work"]["log_loss"] - 0.005


def test_predictions_follow_the_hidden_municipality_quality(world, boosted) -> None:  # type: ignore[no-untyped-def]
    _, munis = world
    w = boosted.predict(_young_and_old(munis), munis).work[1]  # the 45-year-old: no school effect
    assert np.corrcoef(w, quality())[0, 1] > 0.8


def test_municipality_effects_are_shrunken_out_of_fold_means() -> None:
    rng = np.random.default_rng(3)
    n_munis = 40
    truth = rng.normal(0, 0.1, n_munis)
    m = np.r_[np.repeat(np.arange(n_munis - 1), 400), np.full(5, n_munis - 1)]  # the last one has 5 rows
    resid = truth[m] + rng.normal(0, 0.45, len(m))
    eff = features.municipality_effects(resid, m, n_munis)
    assert np.corrcoef(eff[:-1], truth[:-1])[0, 1] > 0.9
    raw_last = resid[m == n_munis - 1].mean()
    assert abs(eff[-1]) < 0.5 * abs(raw_last)  # few rows: shrunk towards zero
    noise = features.municipality_effects(rng.normal(0, 0.45, len(m)), m, n_munis)
    assert np.abs(noise).max() < 0.05  # no effects in the world: (near) none learned
    fold = rng.integers(0, 5, len(m))
    out = features.municipality_effects(resid, m, n_munis, fold, 2)
    kept = fold != 2
    alone = features.municipality_effects(resid[kept], m[kept], n_munis)
    np.testing.assert_allclose(out, alone)  # fold 2's own rows do not count


def test_predicted_totals_on_an_unseen_year_are_within_ten_percent(world, boosted) -> None:  # type: ignore[no-untyped-def]
    _, munis = world
    records, _ = history(years=(2023,), per_year=900, seed=7)
    new = data.households(records, munis)
    v = boosted.predict(new, munis)
    h = np.arange(new.nh)
    observed_work = np.nansum(new.p_work)
    observed_stay = np.nansum(new.h_stay)
    assert abs(v.work[h, new.h_settled].sum() / observed_work - 1) < 0.10
    assert abs(v.stay[h, new.h_settled].sum() / observed_stay - 1) < 0.10


def test_prediction_shapes_sd_and_the_household_value_is_the_sum_over_members(world, boosted) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    rows = np.arange(40)
    v = boosted.predict(hh, munis, rows)
    assert v.work.shape == v.stay.shape == v.joint.shape == v.joint_sd.shape == (40, N_MUNIS)
    assert (v.work_sd > 0).all() and (v.stay_sd > 0).all()
    np.testing.assert_allclose(v.joint, v.work * v.stay, rtol=1e-6)
    for h in rows[:10]:
        ps, pw, sd = boosted.predict_persons(hh, munis, int(h))
        assert set(ps) == set(np.flatnonzero((hh.p_hh == h) & hh.p_eligible))
        np.testing.assert_allclose(pw.sum(axis=0), v.work[h], rtol=1e-5, atol=1e-6)  # the sum, never the max
        assert sd.shape == pw.shape


def test_chunked_prediction_equals_one_chunk(world, boosted, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    rows = np.arange(30)
    whole = boosted.predict(hh, munis, rows)
    monkeypatch.setattr(model, "CHUNK_ROWS", 50)  # a few households per chunk
    chunked = boosted.predict(hh, munis, rows)
    np.testing.assert_allclose(chunked.joint, whole.joint, rtol=1e-6)
    np.testing.assert_allclose(chunked.work_sd, whole.work_sd, rtol=1e-5, atol=1e-7)
    part = boosted.predict(hh, munis, np.array([5, 17]))
    np.testing.assert_allclose(part.joint, whole.joint[[5, 17]], rtol=1e-6)


def test_save_load_round_trip_and_a_tampered_model_is_refused(world, boosted, tmp_path) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    d = tmp_path / "model"
    boosted.save(d)
    loaded = RecommendationModel.load(d)
    assert loaded.version == boosted.version
    assert loaded.card == json.loads(json.dumps(boosted.card))
    rows = np.arange(5)
    np.testing.assert_array_equal(loaded.predict(hh, munis, rows).joint, boosted.predict(hh, munis, rows).joint)
    blob = bytearray((d / "model.joblib").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (d / "model.joblib").write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="changed after training"):
        RecommendationModel.load(d)
    boosted.save(d)
    card = json.loads((d / "card.json").read_text(encoding="utf-8"))
    card["learner"]["chosen"] = "something else"
    (d / "card.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="changed after training"):
        RecommendationModel.load(d)
    (d / "model.sha256").unlink()
    with pytest.raises(ModelError, match="not a trained model"):
        RecommendationModel.load(d)


def test_version_and_card(world, boosted) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    assert boosted.version.endswith(boosted.card["training_data"]["sha256"][:8])
    assert boosted.version[:4].isdigit() and "T" in boosted.version
    c = boosted.card
    assert c["training_data"]["years"] == [2019, 2020, 2021, 2022]
    assert set(c["validation"]["by_learner"]) == {"gradient_boosting", "logistic", "blend"}
    assert len(c["calibration"]["table_by_decile"]["work"]) == 10
    text = card_mod.render_markdown(c)
    assert "## Validation by held-out year" in text and "gradient_boosting" in text and "## Limits" in text
    json.dumps(c)  # serialisable


def test_bad_input_is_refused_clearly(world, boosted) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    records, other = history(years=(2019,), per_year=30, outcomes=False)
    with pytest.raises(ModelError, match="no outcomes"):
        train(data.households(records, other), other)
    one_year, _ = history(years=(2019,), per_year=200)
    with pytest.raises(ModelError, match="two settlement years"):
        train(data.households(one_year, munis), munis, validate_years="latest")
    smaller = data.Municipalities.from_rows(municipality_rows()[:5])
    with pytest.raises(ModelError, match="municipalities"):
        boosted.predict(hh, smaller, np.arange(2))


def _munis_differing_only_in_school(munis: data.Municipalities) -> tuple[data.Municipalities, int, int]:
    rows = municipality_rows()
    school = next(i for i, r in enumerate(rows) if r["upper_secondary_school"] == 1)
    other = next(i for i, r in enumerate(rows) if r["upper_secondary_school"] == 0)
    copy = dict(rows[school])
    copy.update(municipality_number=rows[other]["municipality_number"], name=rows[other]["name"])
    copy["upper_secondary_school"] = 0
    rows[other] = copy
    return data.Municipalities.from_rows(rows), school, other


def test_explain_names_the_feature_that_truly_differs(world, boosted) -> None:  # type: ignore[no-untyped-def]
    _, munis = world
    twins, school, other = _munis_differing_only_in_school(munis)
    batch = _young_and_old(twins)
    reasons = explain(boosted, batch, twins, 0, school, np.array([other]))
    assert reasons and reasons[0].feature == "school"
    assert reasons[0].label_nb == "Videregående skole i kommunen" and reasons[0].effect > 0.05
    assert "videregående skole: ja her, nei i de andre" in reasons[0].text_nb
    # only what differs between the two can matter: the school, and the two municipalities' learned effects
    assert {r.feature for r in reasons} <= {"school", "municipality_effect"}
    # the model's own numbers: the school's effect equals the change of the joint value without it
    v = boosted.predict(batch, twins)
    assert abs(reasons[0].effect) <= abs(v.joint[0, school] - v.joint[0, other]) + 0.05
    # for the 45-year-old the school matters much less (the model is household-specific)
    old = {r.feature: r.effect for r in explain(boosted, batch, twins, 1, school, np.array([other]))}
    assert abs(old.get("school", 0.0)) < 0.6 * reasons[0].effect
    assert explain(boosted, batch, twins, 0, school, np.array([school])) == []


def test_fairness_report_flags_a_deliberately_unfair_assignment(world, boosted) -> None:  # type: ignore[no-untyped-def]
    hh, munis = world
    hh = hh.subset(np.arange(400))
    cap = data.Capacity(
        places=np.full(munis.n, 2000.0), um_places=np.zeros(munis.n), accepts_special_needs=np.ones(munis.n, bool)
    )
    v = boosted.predict(hh, munis)
    head_female = hh.p_female[features.heads(hh)] == 1
    unfair = np.where(head_female, v.work.argmin(axis=1), v.work.argmax(axis=1))
    report = fairness_report(hh, munis, cap, boosted, unfair, seeds=4)
    assert not report["passed"] and "sex=F" in report["flagged"]
    assert report["groups"]["sex=F"]["work"] < report["groups"]["sex=F"]["work_random"] - 0.02
    assert "sex=M" not in report["flagged"]
    fair = fairness_report(hh, munis, cap, v, v.joint.argmax(axis=1), seeds=4)
    assert fair["passed"] and fair["flagged"] == []
    assert fair["totals"]["joint"] > fair["totals"]["joint_random"]
    assert {"age=16-24", "age=25-49", "age=50-64", "household=single_adult", "education=none"} <= set(fair["groups"])
    assert fair["household_value"].startswith("sum over the household's members")


def test_explain_for_a_household_without_anyone_aged_16_to_64_is_empty_not_an_error(world, boosted) -> None:  # type: ignore[no-untyped-def]
    """The joint value counts members aged 16-64 only; a household of a 70-year-old has nothing that
    drives a difference (it crashed in a reshape before)."""
    _, munis = world
    twins, school, other = _munis_differing_only_in_school(munis)
    batch = _young_and_old(twins)
    batch.records[0]["persons"][0]["age"] = 70
    elderly = data.households(batch.records, twins)
    assert not elderly.p_eligible[0]
    assert explain(boosted, elderly, twins, 0, school, np.array([other])) == []


def test_the_card_carries_fairness_by_group_from_the_latest_training_year(world, boosted) -> None:  # type: ignore[no-untyped-def]
    """issue 18 § 4/6: the model's validation page shows fairness figures; they are computed at training
    from the latest year's households, assigned by the optimiser under that year's places, against random."""
    fair = boosted.card["fairness"]
    hh, _ = world
    assert fair["basis"]["year"] == int(hh.h_year.max()) and fair["basis"]["households"] > 0
    assert {"sex=F", "sex=M", "age=16-24"} <= set(fair["groups"]) and fair["random_seeds"] >= 1
    assert fair["totals"]["joint"] >= fair["totals"]["joint_random"]  # the optimiser beats random on its own values
    assert "Fairness" in card_mod.render_markdown(boosted.card) and str(
        fair["basis"]["year"]
    ) in card_mod.render_markdown(boosted.card)
