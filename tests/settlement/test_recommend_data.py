"""Reading the recommendation tool's tables in the settlement world's formats (shared/settlement/formats.md)."""

import numpy as np
import pytest

from nir.settlement.recommend import data


def _munis() -> data.Municipalities:
    base = {c: "1" for c in data.INDICATORS}
    return data.Municipalities.from_rows(
        [
            {**base, "municipality_number": "301", "name": "Oslo", "diaspora_per_1000_syria": "4.5"},
            {**base, "municipality_number": "5001", "name": "Trondheim", "mental_health_services": "0"},
        ]
    )


def _household(hid: str, **extra: object) -> dict:
    person = {
        "person_id": f"{hid}-1",
        "role": "adult",
        "age": 30,
        "sex": "F",
        "country_group": "syria",
        "education": "higher",
        "work_experience_years": 3,
        "english_level": 2,
        "norwegian_level": 0,
        "special_need": "mental",
        "unaccompanied_minor": False,
    }
    return {
        "household_id": hid,
        "resettlement": False,
        "connection_municipality": "5001",
        "persons": [person, {**person, "person_id": f"{hid}-2", "age": 8, "special_need": "none"}],
        **extra,
    }


def test_households_become_aligned_person_and_household_arrays() -> None:
    m = _munis()
    assert m.numbers == ("0301", "5001") and m.diaspora[0, data.GROUPS.index("syria")] == 4.5
    assert m.service[1].tolist() == [1, 1, 0, 1]
    hh = data.households([_household("B1", ready_date="2026-02-01")], m)
    assert hh.nh == 1 and hh.np == 2 and hh.p_hh.tolist() == [0, 0]
    assert hh.p_eligible.tolist() == [True, False]
    assert hh.h_conn.tolist() == [1] and hh.h_need_types[0].tolist() == [False, False, True, False]
    assert hh.h_year.tolist() == [2026] and not hh.has_outcomes


def test_history_outcomes_are_read_with_undefined_work_as_nan() -> None:
    m = _munis()
    rec = _household("H2019-1", settlement_date="2019-05-01", settled_municipality="0301")
    for p, w in zip(rec["persons"], [True, None], strict=True):
        p["outcomes"] = {"work_or_education_2y": w, "stayed_2y": False}
    hh = data.households([rec], m)
    assert hh.has_outcomes and hh.h_settled.tolist() == [0] and hh.h_stay.tolist() == [0.0]
    assert hh.p_work[0] == 1.0 and np.isnan(hh.p_work[1])


@pytest.mark.parametrize(
    ("change", "message"),
    [({"connection_municipality": "9999"}, "unknown connection municipality 9999"), ({"persons": []}, "no persons")],
)
def test_bad_records_get_a_clear_error(change: dict, message: str) -> None:
    with pytest.raises(data.DataError, match=message):
        data.households([{**_household("B1"), **change}], _munis())


def test_capacity_refuses_unknown_municipalities() -> None:
    with pytest.raises(data.DataError, match="unknown municipality 1234"):
        data.Capacity.from_rows([{"municipality_number": "1234", "places": "3"}], _munis())
