"""Person identifiers (nir.identity; overview.md, "Identifiers").

DUF numbers: 12 digits, the last two a check number over the first ten with
weights 4,6,3,2,4,6,3,2,7,5 modulo 11. National identity numbers
(fødselsnummer, D-nummer) are validated with python-stdnum's check digits;
Skatteetaten's synthetic numbers (month + 80) only with ``allow_synthetic``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.no import fodselsnummer

from nir import identity
from nir.identity import IdentifierError


def real_format(day: int, month: int, year: int, individual: int) -> str | None:
    """A fødselsnummer-format number (not synthetic) with check digits computed by stdnum.

    Used only in memory to test acceptance; never stored."""
    stem = f"{day:02d}{month:02d}{year % 100:02d}{individual:03d}"
    k1 = fodselsnummer.calc_check_digit1(stem)
    if len(k1) != 1:
        return None
    k2 = fodselsnummer.calc_check_digit2(stem + k1)
    return stem + k1 + k2 if len(k2) == 1 else None


def first_valid(make, individuals=range(0, 1000)):
    for i in individuals:
        number = make(i)
        if number:
            return number
    raise AssertionError("no number with valid check digits")


# --- DUF -------------------------------------------------------------------------


def test_duf_check_number_by_hand():
    # 1*4+2*6+3*3+4*2+5*4+6*6+7*3+8*2+9*7+0*5 = 189; 189 mod 11 = 2
    assert identity.duf_check_number("1234567890") == "02"
    assert identity.make_duf("1234567890") == "123456789002"
    # 5 (weight of the last digit) mod 11 = 5; two-digit check numbers are zero padded
    assert identity.make_duf("0000000001") == "000000000105"
    assert identity.make_duf("0000000000") == "000000000000"


def test_duf_check_number_can_be_ten():
    # weight 7 on digit 9: 8*7 = 56 → 56 mod 11 = 1; find a stem with remainder 10
    stem = next(f"{n:010d}" for n in range(1000) if identity.duf_check_number(f"{n:010d}") == "10")
    assert identity.validate_duf(identity.make_duf(stem)).endswith("10")


def test_valid_duf_accepted_in_compact_form():
    duf = identity.make_duf("2026123456")
    assert identity.validate_duf(duf) == duf
    assert identity.validate_duf(f"{duf[:4]} {duf[4:8]} {duf[8:]}") == duf


@pytest.mark.parametrize(
    "value", ["12345678900", "1234567890021", "12345678900A", "", "abcdefghijkl", "1234-5678-9002"]
)
def test_duf_format(value):
    with pytest.raises(IdentifierError) as exc:
        identity.validate_duf(value)
    assert exc.value.rule == "duf_format"
    assert "12 siffer" in exc.value.message


def test_duf_checksum_detects_every_single_digit_error():
    duf = identity.make_duf("2026123456")
    for pos in range(12):
        for d in "0123456789":
            if d == duf[pos]:
                continue
            bad = duf[:pos] + d + duf[pos + 1 :]
            with pytest.raises(IdentifierError) as exc:
                identity.validate_duf(bad)
            assert exc.value.rule == "duf_checksum", bad


# --- national identity numbers ----------------------------------------------------


def test_synthetic_number_accepted_only_with_allow_synthetic():
    """Synthetic numbers (month + 80) never belong to a real person; off in production."""
    number = first_valid(lambda i: identity.make_synthetic_national_id(dt.date(1990, 1, 15), i))
    assert number[2:4] == "81"
    parsed = identity.validate_national_id(number, allow_synthetic=True)
    assert (parsed.number, parsed.kind, parsed.synthetic, parsed.birth_date) == (
        number,
        "fnr",
        True,
        dt.date(1990, 1, 15),
    )
    with pytest.raises(IdentifierError) as exc:
        identity.validate_national_id(number, allow_synthetic=False)
    assert exc.value.rule == "national_id_synthetic"
    # python-stdnum alone rejects it (month 81): the reason nir.identity exists
    assert not fodselsnummer.is_valid(number)


def test_synthetic_d_number():
    number = first_valid(lambda i: identity.make_synthetic_national_id(dt.date(1985, 12, 31), i, d_number=True))
    assert number[:4] == "7192"
    parsed = identity.validate_national_id(number, allow_synthetic=True)
    assert (parsed.kind, parsed.synthetic, parsed.birth_date) == ("dnr", True, dt.date(1985, 12, 31))


def test_make_synthetic_returns_none_when_check_digit_would_be_ten():
    results = [identity.make_synthetic_national_id(dt.date(1990, 1, 15), i) for i in range(0, 500)]
    assert None in results
    valid = [r for r in results if r]
    assert len(valid) > 300
    for number in valid:
        assert identity.validate_national_id(number, allow_synthetic=True).birth_date == dt.date(1990, 1, 15)


def test_real_format_fodselsnummer_accepted_without_synthetic():
    number = first_valid(lambda i: real_format(15, 1, 1990, i), range(100, 500))
    assert fodselsnummer.is_valid(number)
    parsed = identity.validate_national_id(number, allow_synthetic=False)
    assert (parsed.kind, parsed.synthetic, parsed.birth_date) == ("fnr", False, dt.date(1990, 1, 15))


def test_real_format_d_number_accepted():
    """D-nummer: day + 40."""
    number = first_valid(lambda i: real_format(15 + 40, 1, 1990, i), range(100, 500))
    assert fodselsnummer.is_valid(number)
    parsed = identity.validate_national_id(number, allow_synthetic=False)
    assert (parsed.kind, parsed.synthetic, parsed.birth_date) == ("dnr", False, dt.date(1990, 1, 15))


@pytest.mark.parametrize(
    "year, individuals, expected_year",
    [
        (90, range(0, 500), 1990),  # individual 000–499: 1900–1999
        (5, range(500, 1000), 2005),  # individual 500–999 with year 00–39: 2000–2039
        (95, range(500, 750), 1895),  # individual 500–749 with year 54–99: 1854–1899
    ],
)
def test_birth_date_century_from_individual_number(year, individuals, expected_year):
    number = first_valid(lambda i: real_format(1, 2, year, i), individuals)
    assert identity.validate_national_id(number, allow_synthetic=False).birth_date == dt.date(expected_year, 2, 1)
    synthetic = first_valid(lambda i: identity.make_synthetic_national_id(dt.date(expected_year, 2, 1), i), individuals)
    assert identity.validate_national_id(synthetic, allow_synthetic=True).birth_date == dt.date(expected_year, 2, 1)


def test_individual_range():
    assert identity.individual_range(1990) == (0, 499)
    assert identity.individual_range(2005) == (500, 999)
    assert identity.individual_range(1880) == (500, 749)
    with pytest.raises(ValueError):
        identity.individual_range(1850)


def test_checksum_errors():
    number = first_valid(lambda i: identity.make_synthetic_national_id(dt.date(1990, 1, 15), i))
    for pos in (9, 10):
        bad = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]
        with pytest.raises(IdentifierError) as exc:
            identity.validate_national_id(bad, allow_synthetic=True)
        assert exc.value.rule == "national_id_checksum"
    # a changed birth date digit breaks the first check digit too
    bad = number[:1] + str((int(number[1]) + 1) % 10) + number[2:]
    with pytest.raises(IdentifierError) as exc:
        identity.validate_national_id(bad, allow_synthetic=True)
    assert exc.value.rule == "national_id_checksum"


@pytest.mark.parametrize("value", ["1501901234", "150190123456", "1501901234x", "", "150190-12345"])
def test_national_id_format(value):
    with pytest.raises(IdentifierError) as exc:
        identity.validate_national_id(value, allow_synthetic=True)
    assert exc.value.rule == "national_id_format"


def test_spaces_are_removed():
    number = first_valid(lambda i: identity.make_synthetic_national_id(dt.date(1990, 1, 15), i))
    assert identity.validate_national_id(f"{number[:6]} {number[6:]}", allow_synthetic=True).number == number


@pytest.mark.parametrize("day, month", [(32, 1), (30, 2), (0, 5), (15, 13)])
def test_impossible_birth_date_refused(day, month):
    """Valid check digits but no such date (e.g. 30 February): rule national_id_birth_date."""
    number = first_valid(lambda i: real_format(day, month, 90, i), range(0, 500))
    with pytest.raises(IdentifierError) as exc:
        identity.validate_national_id(number, allow_synthetic=False)
    assert exc.value.rule == "national_id_birth_date"
    synthetic = first_valid(lambda i: real_format(day, month + 80, 90, i), range(0, 500))
    with pytest.raises(IdentifierError) as exc:
        identity.validate_national_id(synthetic, allow_synthetic=True)
    assert exc.value.rule == "national_id_birth_date"
