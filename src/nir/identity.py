"""Person identifiers: DUF numbers and national identity numbers.

Pure functions, no Django. ``python-stdnum`` does the check-digit arithmetic
of fødselsnummer and D-nummer; this module adds what it lacks:

* Skatteetaten's synthetic test numbers (birth month + 80, also combined with
  the D-number day + 40), which stdnum rejects because the month is not a
  calendar month. No synthetic number can belong to a real person, so the
  demo population and every test use them. Whether they are accepted is the
  caller's choice (``allow_synthetic``), off in production.
* DUF numbers (UDI's case numbers): 12 digits, the last two a check number
  over the first ten with weights 4,6,3,2,4,6,3,2,7,5, sum modulo 11.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.no import fodselsnummer as _fnr

DUF_WEIGHTS = (4, 6, 3, 2, 4, 6, 3, 2, 7, 5)
SYNTHETIC_MONTH_OFFSET = 80
D_NUMBER_DAY_OFFSET = 40


class IdentifierError(ValueError):
    """An identifier failed validation; ``rule`` names the broken rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def duf_check_number(first_ten: str) -> str:
    total = sum(int(d) * w for d, w in zip(first_ten, DUF_WEIGHTS))
    return f"{total % 11:02d}"


def validate_duf(value: str) -> str:
    """Return the DUF number in compact form or raise IdentifierError."""
    number = "".join(str(value).split())
    if len(number) != 12 or not number.isdigit():
        raise IdentifierError("duf_format", "DUF-nummer må ha 12 siffer.")
    if duf_check_number(number[:10]) != number[10:]:
        raise IdentifierError("duf_checksum", "DUF-nummeret har feil kontrollsiffer.")
    return number


def make_duf(first_ten: str) -> str:
    return first_ten + duf_check_number(first_ten)


@dataclass(frozen=True)
class NationalId:
    number: str
    kind: str  # "fnr" | "dnr"
    synthetic: bool
    birth_date: dt.date


def _birth_date(number: str) -> dt.date:
    day = int(number[0:2])
    month = int(number[2:4])
    if day > D_NUMBER_DAY_OFFSET:
        day -= D_NUMBER_DAY_OFFSET
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    # stdnum knows the century rules of the individual number; reuse them on
    # the normalised date part (check digits do not take part in that).
    normalised = f"{day:02d}{month:02d}{number[4:]}"
    return _fnr.get_birth_date(normalised)


def validate_national_id(value: str, *, allow_synthetic: bool) -> NationalId:
    """Validate a fødselsnummer or D-nummer; raise IdentifierError naming the rule."""
    number = "".join(str(value).split())
    if len(number) != 11 or not number.isdigit():
        raise IdentifierError("national_id_format", "Fødselsnummer/D-nummer må ha 11 siffer.")
    if _fnr.calc_check_digit1(number[:9]) != number[9] or _fnr.calc_check_digit2(number[:10]) != number[10]:
        raise IdentifierError("national_id_checksum", "Fødselsnummer/D-nummer har feil kontrollsiffer.")
    synthetic = int(number[2:4]) > SYNTHETIC_MONTH_OFFSET
    if synthetic and not allow_synthetic:
        raise IdentifierError("national_id_synthetic", "Syntetiske fødselsnumre (test) tas ikke imot i dette miljøet.")
    try:
        birth = _birth_date(number)
    except Exception:
        raise IdentifierError("national_id_birth_date", "Fødselsnummer/D-nummer har ugyldig fødselsdato.") from None
    kind = "dnr" if int(number[0]) >= 4 else "fnr"
    return NationalId(number=number, kind=kind, synthetic=synthetic, birth_date=birth)


def individual_range(birth_year: int) -> tuple[int, int]:
    """The individual-number range (inclusive) used for a birth year."""
    if 1900 <= birth_year <= 1999:
        return (0, 499)
    if 2000 <= birth_year <= 2039:
        return (500, 999)
    if 1854 <= birth_year <= 1899:
        return (500, 749)
    raise ValueError(f"no individual-number range for {birth_year}")


def make_synthetic_national_id(birth_date: dt.date, individual: int, *, d_number: bool = False) -> str | None:
    """Build a synthetic number (month + 80); None when the individual number gives no valid check digit."""
    day = birth_date.day + (D_NUMBER_DAY_OFFSET if d_number else 0)
    month = birth_date.month + SYNTHETIC_MONTH_OFFSET
    stem = f"{day:02d}{month:02d}{birth_date.year % 100:02d}{individual:03d}"
    k1 = _fnr.calc_check_digit1(stem)
    if len(k1) != 1:
        return None
    k2 = _fnr.calc_check_digit2(stem + k1)
    if len(k2) != 1:
        return None
    return stem + k1 + k2
