"""Vectorised synthetic identifiers: DUF numbers and national identity numbers.

* National identity numbers come from Skatteetaten's synthetic series only
  (birth month + 80; D-numbers also day + 40), with valid check digits, the
  individual-number range of the birth century and the sex digit (third
  digit of the individual number odd for men, even for women). Numbers are
  unique within a run: a counter per (kind, birth date, sex) hands out the
  next free individual number. The result is what
  ``nir.identity.make_synthetic_national_id`` builds for that individual
  number, computed for whole arrays at once.
* DUF numbers: four digits of the case year, six serial digits, and the
  two-digit check number of ``nir.identity`` (weights 4,6,3,2,4,6,3,2,7,5,
  sum modulo 11). The serial is an affine permutation of the person's index
  in the run, so a run of up to 1,000,000 persons never repeats one.
"""

from __future__ import annotations

import numpy as np

from nir.identity import D_NUMBER_DAY_OFFSET, DUF_WEIGHTS, SYNTHETIC_MONTH_OFFSET
from nir.rules.dates import ymd_days

DUF_SERIAL_SPACE = 1_000_000
_DUF_A = 387_161  # odd and not a multiple of 5: a bijection modulo 10**6
_DUF_B = 240_517
MAX_PERSONS = DUF_SERIAL_SPACE

# Candidate individual numbers (within a 500-wide century range) per sex, in a
# fixed scrambled order so that numbers do not look sequential.
_ORDER = np.random.default_rng(20260101).permutation(250)
_CANDIDATES = {male: (np.arange(250) * 2 + (1 if male else 0))[_ORDER] for male in (False, True)}


def duf_numbers(index: np.ndarray, year: np.ndarray, seed: int) -> np.ndarray:
    """DUF numbers (as 12-digit strings) for persons with run index ``index`` and case year ``year``."""
    index = np.asarray(index, dtype="int64")
    if index.size and index.max() >= DUF_SERIAL_SPACE:
        raise ValueError(f"at most {DUF_SERIAL_SPACE} persons per run")
    offset = (seed * 7_919 + 104_729) % DUF_SERIAL_SPACE
    serial = (_DUF_A * ((index + offset) % DUF_SERIAL_SPACE) + _DUF_B) % DUF_SERIAL_SPACE
    stem = np.asarray(year, dtype="int64") * DUF_SERIAL_SPACE + serial  # ten digits
    total = np.zeros_like(stem)
    for k, w in enumerate(DUF_WEIGHTS):
        total += ((stem // 10 ** (9 - k)) % 10) * w
    number = stem * 100 + total % 11
    return number.astype("U12")


# Check-digit weights (stdnum.no.fodselsnummer) split into the date part (6 digits) and
# the individual number (3 digits): the weighted sums are linear, so they are computed
# once per birth date and once per candidate and added.
_W1_DATE, _W1_IND = (3, 7, 6, 1, 8, 9), (4, 5, 2)
_W2_DATE, _W2_IND = (5, 4, 3, 2, 7, 6), (5, 4, 3)


def _digits_sum(number: np.ndarray, weights: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(np.shape(number), dtype="int64")
    for k, wgt in enumerate(weights):
        total += ((number // 10 ** (len(weights) - 1 - k)) % 10) * wgt
    return total


def _check_digits(date_part: np.ndarray, individual: np.ndarray):
    """Check digits k1, k2 for 6-digit date parts (rows) × individual numbers (columns).

    −1 marks a combination where a check digit would be 10 (no valid number).
    """
    s1 = (_digits_sum(date_part, _W1_DATE)[:, None] + _digits_sum(individual, _W1_IND)[None, :]) % 11
    k1 = (11 - s1) % 11
    s2 = (_digits_sum(date_part, _W2_DATE)[:, None] + _digits_sum(individual, _W2_IND)[None, :] + 2 * k1) % 11
    k2 = (11 - s2) % 11
    bad = (k1 == 10) | (k2 == 10)
    return np.where(bad, -1, k1).astype("int16"), np.where(bad, -1, k2).astype("int16")


class NationalIdAllocator:
    """Hands out unique synthetic fødselsnumre and D-numre across the blocks of one run."""

    def __init__(self):
        self._used: dict[int, int] = {}

    def allocate(self, birth: np.ndarray, male: np.ndarray, d_number: np.ndarray) -> np.ndarray:
        """11-digit strings, one per person, in input order."""
        n = len(birth)
        if n == 0:
            return np.array([], dtype="U11")
        birth = np.asarray(birth, dtype="int64")
        male = np.asarray(male, dtype=bool)
        d_number = np.asarray(d_number, dtype=bool)
        y, m, d = ymd_days(birth)
        if y.min() < 1900 or y.max() > 2039:
            raise ValueError("birth years outside 1900–2039 have no synthetic series here")
        key = (birth + 1_000_000) * 4 + d_number.astype("int64") * 2 + male.astype("int64")
        order = np.argsort(key, kind="stable")
        uniq, first, inverse = np.unique(key[order], return_index=True, return_inverse=True)
        rank_sorted = np.arange(n) - first[inverse]
        base = np.fromiter((self._used.get(int(k), 0) for k in uniq), dtype="int64", count=len(uniq))
        counts = np.bincount(inverse, minlength=len(uniq))
        for k, b, c in zip(uniq.tolist(), base.tolist(), counts.tolist()):
            self._used[k] = b + c

        # Per group: which candidates give valid check digits.
        g_birth = uniq // 4 - 1_000_000
        g_dnum = (uniq // 2) % 2 == 1
        g_male = uniq % 2 == 1
        gy, gm, gd = ymd_days(g_birth)
        day_part = gd + np.where(g_dnum, D_NUMBER_DAY_OFFSET, 0)
        date_part = day_part * 10_000 + (gm + SYNTHETIC_MONTH_OFFSET) * 100 + gy % 100
        # Four kinds of candidate rows: (century range, sex); one check-digit matrix per kind.
        kind = (gy >= 2000).astype("int64") * 2 + g_male.astype("int64")
        k1 = np.empty((len(uniq), 250), dtype="int16")
        k2 = np.empty_like(k1)
        cand = np.empty((len(uniq), 250), dtype="int64")
        for kd in range(4):
            rows = np.flatnonzero(kind == kd)
            if not len(rows):
                continue
            c = _CANDIDATES[bool(kd % 2)] + (500 if kd >= 2 else 0)
            k1[rows], k2[rows] = _check_digits(date_part[rows], c)
            cand[rows] = c
        cum = np.cumsum(k1 >= 0, axis=1, dtype="int32")

        g = inverse
        r = base[g] + rank_sorted
        if np.any(cum[g, -1] <= r):
            raise ValueError("synthetic identity numbers exhausted for a birth date")
        j = np.argmax(cum[g] > r[:, None], axis=1)
        indiv = cand[g, j]
        number = date_part[g] * 100_000 + indiv * 100 + k1[g, j].astype("int64") * 10 + k2[g, j]
        out_sorted = np.char.zfill(number.astype("U11"), 11)
        out = np.empty(n, dtype="U11")
        out[order] = out_sorted
        return out
