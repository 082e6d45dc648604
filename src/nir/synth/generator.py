"""The synthetic population model, vectorised with numpy.

``Generator(persons, seed, now).block(b)`` draws block ``b`` (``BLOCK``
persons, the last one shorter) and returns a ``Batch``: one polars frame per
register table, with *local* ids (0-based within the block) that a writer
turns into database ids. Randomness comes from a generator seeded with
``(seed, b)``, so a block's content depends only on the seed, ``now``, the
block number and what earlier blocks handed out (unique identity numbers):
the same persons, seed and now give the same population whatever the write
chunk size, and a larger run starts with the complete blocks of a smaller one.

What a person looks like (rates are in ``nir.synth.world``):

* a permit (basis, decision date, arrival, effectuation) in a cohort of
  2015–now, with Ukraine's collective-protection cohorts of 2022–2025;
* details: synthetic names from the person's origin, birth date (age at the
  permit mostly 18–55), sex, education, a synthetic fødselsnummer or
  D-number (none yet for some recent arrivals), protected identity for a few;
* refugees are settled (by agreement for most), in a municipality drawn by
  population (Oslo persons often in a district); some move later, giving a
  second residence and follow-up period;
* introduction programme: a participation decision for most persons with
  a right (and duty), a final goal in the proportions of Tab 3.2.9 chosen
  for the programme start (with a few deliberately outside their window),
  extensions, measures with hours, absences, integration plans, and a
  termination once the deadline has passed; from 2026 some persons in work
  get *Bortfall … arbeid* and the Regelmotor's automatic termination;
* Norwegian training: decisions and hours per calendar year;
* career guidance and competence mappings for some;
* tests taken (prøver: Norskprøven per skill with a CEFR level, social
  studies): 55 % of persons with right and duty or duty whose Norwegian
  deadline has passed took at least one, 95 % of them passed one (Tab 3.2.18);
  some participants took one before their deadline.

Registration bookkeeping: every fact is registered some time after its date
(most within days, some weeks or months later, never after ``now``), by the
case system of the municipality following the person up (the Regelmotor for
its own terminations). About 3 % of facts were first registered with an
error and corrected later (the first version superseded), and a few were
registered twice and the duplicate annulled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from nir.rules import vector
from nir.rules.dates import add_months_days, age_on_days, birthday_days, day, from_ymd_days, period_end_days, ymd_days
from nir.synth import derived
from nir.synth import world as w
from nir.synth.clock import US_PER_DAY, datetime_to_us, local_to_utc_us, utc_us_to_local_day
from nir.synth.ids import MAX_PERSONS, NationalIdAllocator, duf_numbers

NULL_DAY = -(1 << 40)  # a missing date in the generator's day arrays (far from any real day: arithmetic cannot wrap)
BLOCK = 5_000  # persons per generation block (fixed: part of what the seed means)
OSLO = ZoneInfo("Europe/Oslo")

CORRECTION_SHARE = 0.03
ANNUL_SHARE = 0.003
PROTECTED_SHARE = 0.003

D2024 = day(dt.date(2024, 1, 1))
D2026 = day(dt.date(2026, 1, 1))  # the 2026 final-goal codes (a code-list window, not a rule)

DATE_FIELDS = frozenset(
    {
        "birth_date",
        "decision_date",
        "arrival_date",
        "effectuation_date",
        "valid_from",
        "valid_to",
        "settlement_date",
        "start_date",
        "end_date",
        "from_date",
        "to_date",
        "termination_date",
        "guidance_date",
        "mapping_date",
        "exam_date",
        "emigration_date",
        "reference_first_settlement_date",
        "application_date",
        "asylum_duty_group_entry",
        "death_date",
    }
)
DECIMAL_FIELDS = frozenset({"hours", "hours_per_week", "hours_work_per_week"})
# int8: 1 true, 0 false, −1 null
NULLABLE_BOOL_FIELDS = frozenset({"applied_from_abroad", "unaccompanied_minor", "registered_in_tool"})

# Register tables in write order (model class names of nir.register.models).
TABLES = (
    "PersonDetails",
    "ResidencePermit",
    "Residence",
    "FollowUp",
    "Settlement",
    "Decision",
    "FinalGoal",
    "Extension",
    "Participation",
    "Measure",
    "Absence",
    "Termination",
    "CareerGuidance",
    "CompetenceMapping",
    "Exam",
    "FamilyReunification",
    "UpperSecondaryEnrolment",
    "ReceptionStay",
)

FINAL_GOAL_SWAP = {
    "work_vgo_old": "work_no_vgo_old",
    "work_no_vgo_old": "work_vgo_old",
    "complete_primary_old": "partial_primary_old",
    "partial_primary_old": "complete_primary_old",
    "complete_vgo_under_25_old": "partial_vgo_old",
    "complete_vgo_over_25_old": "partial_vgo_old",
    "partial_vgo_old": "complete_primary_old",
    "higher_education_old": "work_vgo_old",
    "work_vgo_2026": "work_no_vgo_2026",
    "work_no_vgo_2026": "work_vgo_2026",
    "vocational_requalification_2026": "work_vgo_2026",
    "higher_education_2026": "work_vgo_2026",
    "complete_vgo_2025": "partial_vgo_2025",
    "partial_vgo_2025": "complete_vgo_2025",
    "vocational_2025": "complete_vgo_2025",
}
ABSENCE_SWAP = {
    "absence": "time_off",
    "time_off": "absence",
    "leave": "absence",
    "holiday": "time_off",
    "invalid_absence": "absence",
}


def default_now() -> dt.datetime:
    """The latest 12:00 Europe/Oslo that is not in the future (today's, or yesterday's before noon)."""
    wall = dt.datetime.now(OSLO)
    noon = wall.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon > wall:
        noon = (noon - dt.timedelta(days=1)).replace(hour=12)
        noon = dt.datetime(noon.year, noon.month, noon.day, 12, tzinfo=OSLO)
    return noon


# --- small vectorised helpers -----------------------------------------------------------


def _pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """Indices drawn from one weight vector."""
    p = np.asarray(weights, dtype="float64")
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(p) - 1)


def _pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) weight matrix; −1 where a row has no positive weight."""
    total = weights.sum(axis=1)
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * total
    idx = (cum <= u[:, None]).sum(axis=1)
    idx = np.minimum(idx, weights.shape[1] - 1)
    return np.where(total > 0, idx, -1)


def _uniform_int(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform integers in [lo, hi] (inclusive, elementwise; hi < lo gives lo)."""
    lo = np.asarray(lo, dtype="int64")
    hi = np.maximum(np.asarray(hi, dtype="int64"), lo)
    return lo + np.floor(rng.random(np.broadcast(lo, hi).shape) * (hi - lo + 1)).astype("int64")


def _half_hours(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x) * 2) / 2


@dataclass
class Rows:
    """Rows of one register table under construction (base versions, before bookkeeping)."""

    person: np.ndarray
    cols: dict[str, np.ndarray]
    rec: np.ndarray  # registration time, UTC µs
    system: np.ndarray | None = None  # registered by the Regelmotor
    correctable: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.person)
        if self.system is None:
            self.system = np.zeros(n, dtype=bool)
        if self.correctable is None:
            self.correctable = np.ones(n, dtype=bool)

    def __len__(self):
        return len(self.person)

    def take(self, idx: np.ndarray) -> Rows:
        return Rows(
            self.person[idx],
            {k: v[idx] for k, v in self.cols.items()},
            self.rec[idx],
            self.system[idx],
            self.correctable[idx],
        )

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        parts = [p for p in parts if len(p)]
        if not parts:
            raise ValueError("no rows")
        keys = parts[0].cols.keys()
        return Rows(
            np.concatenate([p.person for p in parts]),
            {k: np.concatenate([p.cols[k] for p in parts]) for k in keys},
            np.concatenate([p.rec for p in parts]),
            np.concatenate([p.system for p in parts]),
            np.concatenate([p.correctable for p in parts]),
        )


@dataclass
class Batch:
    """One generated block: a polars frame per table with local ids."""

    block: int
    start: int
    persons: int
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def row_counts(self) -> dict[str, int]:
        return {k: f.height for k, f in self.frames.items()}


class Generator:
    """Draws the blocks of one synthetic population."""

    def __init__(self, persons: int, seed: int, now: dt.datetime):
        if persons < 0:
            raise ValueError("persons must be >= 0")
        if persons > MAX_PERSONS:
            raise ValueError(f"at most {MAX_PERSONS:,} persons per run (DUF serial numbers must stay unique)")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.persons = persons
        self.seed = int(seed)
        self.now = now
        self.now_us = datetime_to_us(now)
        self.today = now.astimezone(OSLO).date()
        self.last_day = day(self.today) - 1  # facts are dated no later than yesterday
        self.cohorts = w.cohorts(self.today)
        self.munis = w.municipalities()
        self.names = w.names()
        self.ids = NationalIdAllocator()
        self._code_windows = {
            name: w.code_windows(name)
            for name in (
                "final_goal",
                "measure",
                "decision_type",
                "termination_reason",
                "competence_mapping_kind",
                "career_guidance_kind",
                "absence_kind",
                "exam_type",
            )
        }
        # What the rules say, read once per run (nothing here copies a rule: nir.synth.derived).
        self.law_from = derived.first_in_force("law.integreringsloven_from")  # final goals, plans: from here
        self.loss_from = derived.first_in_force("intro.work.min_hours_per_week")  # Bortfall pga. arbeid
        self.goal_months = derived.goal_durations(self.today)
        self._next_block = 0

    @property
    def blocks(self) -> int:
        return (self.persons + BLOCK - 1) // BLOCK

    def block_range(self, b: int) -> tuple[int, int]:
        start = b * BLOCK
        return start, min(BLOCK, self.persons - start)

    # --- registration times -----------------------------------------------------------

    def _rec(self, rng, fact_day: np.ndarray, *, clamp_numbering: bool = False) -> np.ndarray:
        """Registration times for facts dated ``fact_day``: mostly days later, some weeks or months."""
        n = len(fact_day)
        base = np.asarray(fact_day, dtype="int64")
        if clamp_numbering and self.munis.valid_from <= self.last_day:
            base = np.maximum(base, self.munis.valid_from)
        u = rng.random(n)
        lag = np.where(
            u < 0.87, rng.integers(0, 8, n), np.where(u < 0.97, rng.integers(14, 57, n), rng.integers(60, 270, n))
        )
        secs = rng.integers(7 * 3600 + 1800, 16 * 3600, n)
        rec = local_to_utc_us(base + lag, secs) + rng.integers(0, 1_000_000, n)
        late = rec > self.now_us
        if late.any():
            start = local_to_utc_us(base[late], np.full(late.sum(), 7 * 3600))
            span = np.maximum(self.now_us - start, 1)
            rec[late] = start + (rng.random(late.sum()) * span).astype("int64")
            rec = np.minimum(rec, self.now_us)
        return rec

    def _valid_code(self, list_name: str, code: str, on: np.ndarray) -> np.ndarray:
        win = self._code_windows[list_name][code]
        return (on >= win.lo) & (on <= win.hi)

    def _choose_codes(self, rng, list_name: str, candidates: list[tuple[str, float]], on: np.ndarray) -> np.ndarray:
        """A code per row from weighted candidates, keeping those valid on ``on``."""
        weights = np.stack([np.where(self._valid_code(list_name, c, on), wt, 0.0) for c, wt in candidates], axis=1)
        idx = _pick_rows(rng, weights)
        if (idx < 0).any():
            raise ValueError(f"no valid {list_name} code for some dates")
        return np.array([c for c, _ in candidates])[idx]

    # --- the block ---------------------------------------------------------------------

    def block(self, b: int) -> Batch:
        """Generate block ``b``. Blocks must be generated in order (identity numbers are handed out in order)."""
        if b != self._next_block:
            raise ValueError(f"blocks must be generated in order (expected {self._next_block}, got {b})")
        self._next_block += 1
        start, n = self.block_range(b)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, b]))
        P = _Population(self, rng, start, n)
        tables = P.build()
        batch = Batch(block=b, start=start, persons=n)
        batch.frames = _finish(self, rng, P, tables)
        return batch


class _Population:
    """The persons of one block and their facts (base versions)."""

    def __init__(self, g: Generator, rng: np.random.Generator, start: int, n: int):
        self.g, self.rng, self.start, self.n = g, rng, start, n

    # Each step adds attributes; build() runs them in order.
    def build(self) -> dict[str, Rows]:
        self._cohort()
        self._dates()
        self._person()
        self._places()
        t: dict[str, list[Rows]] = {name: [] for name in TABLES[1:]}
        t["ResidencePermit"].append(self._permits())
        t["Residence"].extend(self._residences())
        t["FollowUp"].extend(self._follow_ups())
        t["Settlement"].append(self._settlements())
        self._categories(t)
        self._programme()
        t["Decision"].extend(self._intro_decisions())
        t["FinalGoal"].append(self._final_goals())
        t["Extension"].append(self._extensions())
        t["Termination"].extend(self._terminations())
        t["Measure"].extend(self._measures())
        t["Absence"].extend(self._absences())
        norw_decisions, participation, norw_leave = self._norwegian()
        t["Decision"].extend(norw_decisions)
        t["Participation"].append(participation)
        t["Absence"].append(norw_leave)
        t["CareerGuidance"].append(self._career_guidance())
        t["ReceptionStay"].append(self._reception_stays())
        t["CompetenceMapping"].append(self._competence_mappings())
        t["Exam"].append(self._exams(t))
        t["FamilyReunification"].append(self._family_reunification())
        t["UpperSecondaryEnrolment"].append(self._upper_secondary())
        out = {}
        for name, parts in t.items():
            parts = [p for p in parts if p is not None and len(p)]
            if parts:
                out[name] = Rows.concat(parts)
        return out

    # --- persons -------------------------------------------------------------------------

    def _cohort(self):
        g, rng, n = self.g, self.rng, self.n
        c = g.cohorts
        cat = np.minimum(np.searchsorted(np.cumsum(c.p), rng.random(n), side="right"), len(c.p) - 1)
        self.cat = cat
        self.year = c.year[cat]
        self.basis = c.basis[cat]
        self.grp = w.BASIS_GROUP[self.basis]
        self.event = _uniform_int(rng, c.lo[cat], c.hi[cat])
        ocum = c.origin_cum[cat]
        self.origin = np.minimum((ocum < rng.random(n)[:, None]).sum(axis=1), ocum.shape[1] - 1)
        self.refugee = np.isin(self.basis, w.REFUGEE_BASES)
        self._households()
        self.ukr = self.basis == w.B["utl_34"]
        self.female = rng.random(n) < w.FEMALE_SHARE[self.grp]
        # A child born after settlement has its mother as the household's first adult.
        self.female[self.hh_head[self.born_here]] = True

    def _households(self):
        """Refugees settle in households (``world.HOUSEHOLD_*``): the members of a household follow its
        first person (the head) in cohort, settlement date and municipality; children are minors at
        the permit; a family's youngest may be born in Norway after the mother's settlement."""
        rng, n = self.rng, self.n
        ref = np.flatnonzero(self.refugee)
        k = len(ref)
        kinds = _pick(rng, k, w.HOUSEHOLD_WEIGHTS)  # at most k households
        fam_size = 2 + _pick(rng, k, w.FAMILY_SIZE_WEIGHTS)
        size = np.where(kinds == 1, 2, np.where(kinds == 2, fam_size, 1))
        end = np.cumsum(size)
        hh_of = np.searchsorted(end, np.arange(k), side="right")  # household of each refugee (in order)
        first = end - size  # position of each household's head
        pos = np.arange(k) - first[hh_of]
        self.hh_head = np.full(n, -1, dtype="int64")
        self.hh_head[ref] = ref[np.minimum(first[hh_of], k - 1)]
        kind = kinds[hh_of]
        two_adults = rng.random(k) < w.FAMILY_TWO_ADULTS
        adult = (pos == 0) & (kind != 3) | (pos == 1) & ((kind == 1) | (kind == 2) & two_adults[hh_of])
        self.hh_kind = np.full(n, -1, dtype="int64")
        self.hh_kind[ref] = kind
        self.hh_child = np.zeros(n, dtype=bool)
        self.hh_child[ref] = ~adult  # minors at the permit (an unaccompanied minor is its own household)
        self.em = np.zeros(n, dtype=bool)
        self.em[ref] = kind == 3
        self.em_companion = self.em & (rng.random(n) < w.EM_WITH_COMPANION)
        last_member = pos == size[hh_of] - 1
        born = (kind == 2) & last_member & (pos >= 1) & (rng.random(k) < w.BORN_AFTER_SETTLEMENT_SHARE)
        self.born_here = np.zeros(n, dtype=bool)
        self.born_here[ref] = born
        # Members share the head's cohort (year, basis, origin, settlement day).
        head = self.hh_head[ref]
        for attr in ("cat", "year", "basis", "grp", "event", "origin"):
            a = getattr(self, attr)
            a[ref] = a[head]

    def _dates(self):
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        refugee, ukr = self.refugee, self.ukr
        resettled = self.basis == w.B["utl_35_3"]
        wait = rng.gamma(2.0, w.settlement_wait_days(self.year) / 2.0) * np.where(ukr, 0.9, 1.0)
        wait = np.maximum(wait.astype("int64"), 10)
        settle = np.where(refugee, self.event, NULL_DAY)
        permit = np.where(refugee, self.event - wait, self.event)
        permit = np.where(ukr, np.clip(permit, day(w.UKRAINE_FIRST_PERMIT), self.event - 3), permit)
        # Arrival: asylum seekers months before the decision; Ukrainians weeks before; resettled
        # refugees arrive and are settled the same day; others mostly after the permit.
        proc = rng.gamma(2.0, np.where(self.year <= 2017, 240, 150) / 2.0).astype("int64") + 20
        arrival = np.where(resettled, settle, permit - proc)
        arrival = np.where(ukr, np.maximum(permit - rng.integers(3, 46, n), day(w.UKRAINE_FIRST_ARRIVAL)), arrival)
        abroad = rng.random(n) < 0.7
        other_arrival = np.where(abroad, permit + rng.integers(0, 151, n), permit - rng.integers(30, 401, n))
        other_arrival = np.where(self.grp == w.G_EEA, permit - rng.integers(0, 61, n), other_arrival)
        arrival = np.where(refugee, arrival, other_arrival)
        arrival = np.where(arrival > last, NULL_DAY, arrival)
        eff = np.where(rng.random(n) < 0.6, permit + rng.integers(0, 15, n), NULL_DAY)
        eff = np.where(refugee & (eff != NULL_DAY), np.minimum(eff, settle), eff)
        eff = np.where(resettled, arrival, eff)
        eff = np.where(eff > last, NULL_DAY, eff)
        # Refugees' and their families' permits are effectuated days after the decision, before settlement.
        family = self.basis == w.B["family_of_protected"]
        quick = (refugee | family) & (rng.random(n) < w.EFFECTUATED_SHARE_REFUGEE)
        eff_q = permit + _uniform_int(rng, *w.EFFECTUATION_DAYS)
        eff_q = np.where(refugee, np.minimum(eff_q, settle), eff_q)
        eff = np.where(quick & ~resettled & (eff_q <= last), eff_q, np.where(refugee | family, NULL_DAY, eff))
        eff = np.where(resettled, np.where(arrival > last, NULL_DAY, arrival), eff)
        # A child born after the mother's settlement: no permit of its own here, lives with the mother.
        born = self.born_here
        born_day = settle + _uniform_int(rng, *w.BORN_AFTER_SETTLEMENT_DAYS)
        born &= born_day <= last
        self.born_here = born
        self.born_day = np.where(born, born_day, NULL_DAY)
        permit = np.where(born, born_day, permit)
        arrival = np.where(born, NULL_DAY, arrival)
        eff = np.where(born, NULL_DAY, eff)
        settle = np.where(born, NULL_DAY, settle)
        self.refugee = refugee = refugee & ~born
        self.ukr = ukr = ukr & ~born
        self.settle, self.permit, self.arrival, self.effectuation = settle, permit, arrival, eff
        # if. § 72: resettled refugees and family or work immigrants coming to Norway applied from
        # abroad; asylum seekers and displaced Ukrainians applied here; EEA: not registered (−1).
        from_abroad = np.where(refugee, resettled, abroad).astype("int8")
        self.applied_from_abroad = np.where(
            self.grp == w.G_EEA, -1, np.where(self.basis == w.B["utl_53"], 0, from_abroad)
        ).astype("int8")
        # The day the person lives in a municipality (settlement, or arrival for others; birth).
        has_arrival = arrival != NULL_DAY
        self.home_from = np.where(refugee, settle, np.where(has_arrival, np.maximum(arrival, permit), NULL_DAY))
        self.home_from = np.where(born, born_day, self.home_from)
        self.has_home = self.home_from != NULL_DAY

    def _person(self):
        g, rng, n = self.g, self.rng, self.n
        # Age at the permit decision.
        age_bin = _pick_rows(rng, w.AGE_WEIGHTS[self.grp])
        lo, hi = w.AGE_BINS[age_bin, 0], w.AGE_BINS[age_bin, 1]
        age = _uniform_int(rng, lo, hi)
        age = np.where(self.hh_child, _uniform_int(rng, np.zeros(n), np.full(n, 16)), age)
        age = np.where(self.em, _uniform_int(rng, *w.EM_AGE), age)
        self.birth = add_months_days(self.permit, -12 * age) - rng.integers(0, 365, n)
        # A child came with the household: born before its arrival.
        arrived = self.hh_child & (self.arrival != NULL_DAY)
        self.birth = np.where(arrived, np.minimum(self.birth, self.arrival - rng.integers(1, 120, n)), self.birth)
        self.birth = np.where(self.born_here, self.born_day, self.birth)
        self.age_at_permit = age_on_days(self.birth, self.permit)
        edu_idx = _pick_rows(rng, w.EDUCATION_WEIGHTS[self.grp])
        self.education = np.array(w.EDUCATION)[edu_idx]
        self.education[self.hh_child & ~self.em] = "unknown"
        self.protected = rng.random(n) < PROTECTED_SHARE
        # Names from the origin's pools.
        npools = g.names
        sex = self.female.astype("int64")
        fo, fl = npools.first_off[self.origin, sex], npools.first_len[self.origin, sex]
        lo_, ll = npools.last_off[self.origin, sex], npools.last_len[self.origin, sex]
        self.first_idx = fo + (rng.random(n) * fl).astype("int64")
        self.first_name = npools.first[self.first_idx]
        self.first_off, self.first_len = fo, fl
        self.last_name = npools.last[lo_ + (rng.random(n) * ll).astype("int64")]
        # DUF: the case year is the year of arrival or permit, whichever came first.
        case_day = np.where(self.arrival != NULL_DAY, np.minimum(self.arrival, self.permit), self.permit)
        self.duf = duf_numbers(self.start + np.arange(n), ymd_days(case_day)[0], g.seed)
        # Identity numbers: recent arrivals often have none yet or a D-number.
        known_for = g.last_day - np.where(self.has_home, self.home_from, self.permit)
        recent = known_for < 90
        u = rng.random(n)
        work_like = np.isin(self.grp, (w.G_WORK, w.G_EEA))
        kind = np.where(
            recent,
            np.where(u < 0.5, 0, np.where(u < 0.75, 2, 1)),
            np.where(work_like, np.where(u < 0.7, 1, 2), np.where(u < 0.96, 1, np.where(u < 0.99, 2, 0))),
        )  # 0 none, 1 fnr, 2 dnr
        # A few persons with a fødselsnummer had a D-number first (corrected later).
        self.d_first = (kind == 1) & (known_for > 180) & (rng.random(n) < 0.015)
        need = kind > 0
        nid = np.full(n, "", dtype="U11")
        nid[need] = g.ids.allocate(self.birth[need], ~self.female[need], kind[need] == 2)
        self.national_id = nid
        self.first_dnr = np.full(n, "", dtype="U11")
        if self.d_first.any():
            self.first_dnr[self.d_first] = g.ids.allocate(
                self.birth[self.d_first], ~self.female[self.d_first], np.ones(self.d_first.sum(), dtype=bool)
            )

    def _places(self):
        g, rng, n = self.g, self.rng, self.n
        M = g.munis
        k = len(M.number)
        self.muni1 = _pick(rng, n, M.weight)
        self.dist1 = self._district(self.muni1)
        moved_p = np.where(self.refugee, 0.10, 0.05)
        move_day = self.home_from + rng.integers(180, 901, n)
        self.moved = self.has_home & (rng.random(n) < moved_p) & (move_day <= g.last_day)
        self.move_day = np.where(self.moved, move_day, NULL_DAY)
        muni2 = _pick(rng, n, M.weight)
        muni2 = np.where(muni2 == self.muni1, (muni2 + 1) % k, muni2)
        self.muni2 = np.where(self.moved, muni2, self.muni1)
        self.dist2 = np.where(self.moved, self._district(self.muni2), self.dist1)
        self.by_agreement = self.refugee & (rng.random(n) < 0.85)
        # A household lives together: its members take the head's places, move and way of settlement.
        mem = np.flatnonzero(self.hh_head >= 0)
        head = self.hh_head[mem]
        for attr in ("muni1", "dist1", "moved", "move_day", "muni2", "dist2", "by_agreement"):
            a = getattr(self, attr)
            a[mem] = a[head]
        self.by_agreement &= self.refugee
        # A child born after the family moved lives at the second address from birth.
        early = self.born_here & self.moved & (self.move_day <= self.home_from)
        self.muni1 = np.where(early, self.muni2, self.muni1)
        self.dist1 = np.where(early, self.dist2, self.dist1)
        self.moved &= ~early
        self.move_day = np.where(self.moved, self.move_day, NULL_DAY)
        self.muni2 = np.where(self.moved, self.muni2, self.muni1)
        self.dist2 = np.where(self.moved, self.dist2, self.dist1)

    def _district(self, muni: np.ndarray) -> np.ndarray:
        M = self.g.munis
        rng = self.rng
        oslo = (muni == M.oslo_index) & (rng.random(len(muni)) < 0.75)
        d = M.districts[rng.integers(0, len(M.districts), len(muni))]
        return np.where(oslo, d, "")

    def muni_on(self, person: np.ndarray, on_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Municipality index and district following a person up on a day."""
        second = self.moved[person] & (on_day >= self.move_day[person])
        return (
            np.where(second, self.muni2[person], self.muni1[person]),
            np.where(second, self.dist2[person], self.dist1[person]),
        )

    def _derived(self, t: dict[str, list[Rows]]) -> vector.BatchResult:
        """The Regelmotor's result on today for the block's facts so far (:mod:`nir.synth.derived`)."""
        rows = {}
        for name, parts in t.items():
            parts = [p for p in parts if p is not None and len(p)]
            rows[name] = Rows.concat(parts) if parts else None
        goal, ext = rows.get("FinalGoal"), rows.get("Extension")
        cols = derived.columns(
            self.n,
            self.birth,
            self.education,
            rows,
            NULL_DAY,
            final_goal=None if goal is None else (goal.person, goal.cols["goal"]),
            extension=None if ext is None else (ext.person, ext.cols["months"]),
        )
        return derived.evaluate(cols, self.g.today)

    def _norwegian_months(self, p: np.ndarray, on: np.ndarray) -> np.ndarray:
        """The months of the right to Norwegian training (il. § 32) by education, on each start day."""
        upper = self.education[p] == "upper_secondary_or_higher"
        return np.where(
            upper,
            derived.param_on("norwegian.duration_months.upper_secondary", on),
            derived.param_on("norwegian.duration_months.default", on),
        )

    def _categories(self, t: dict[str, list[Rows]]):
        """Introduction-programme and Norwegian categories as the Regelmotor derives them today from the
        permit, the settlement and where the person lives (il. § 8, ch. 6A, §§ 26–28, if. § 72): who may
        get a participation or a Norwegian decision. The generator decides only who lives in Norway."""
        res = self._derived(t)
        cat, ncat = res.intro_category, res.norwegian_category
        self.intro_rd = cat == derived.INTRO["right_and_duty"]
        self.intro_right = cat == derived.INTRO["right"]
        self.intro_may = cat == derived.INTRO["may_be_offered"]
        self.norw_eligible = (ncat != derived.NORWEGIAN["none"]) & self.has_home

    # --- facts -----------------------------------------------------------------------------

    def _permits(self) -> Rows:
        p = np.flatnonzero(~self.born_here)  # a child born here has no permit of its own (yet)
        return Rows(
            p,
            {
                "basis": np.array(w.BASES)[self.basis[p]],
                "decision_date": self.permit[p],
                "arrival_date": self.arrival[p],
                "effectuation_date": self.effectuation[p],
                "applied_from_abroad": self.applied_from_abroad[p],
            },
            self.g._rec(self.rng, self.permit[p]),
        )

    def _period_rows(self, with_address: bool) -> list[Rows]:
        """Residence or follow-up periods: one per person with a home, two for movers."""
        M = self.g.munis
        rng = self.rng
        # The address comes from the Folkeregister; a few are registered by the municipality only so far.
        folkereg = rng.random(self.n) >= w.FOLKEREGISTER_MISSING_SHARE
        p1 = np.flatnonzero(self.has_home if with_address else self.has_home & (self.grp != w.G_EEA))
        p2 = p1[self.moved[p1]]
        end1 = np.where(self.moved[p1], self.move_day[p1] - 1, NULL_DAY)
        parts = []
        for persons, muni, dist, frm, to in (
            (p1, self.muni1[p1], self.dist1[p1], self.home_from[p1], end1),
            (p2, self.muni2[p2], self.dist2[p2], self.move_day[p2], np.full(len(p2), NULL_DAY)),
        ):
            cols = {"municipality": M.number[muni], "district": dist}
            if with_address:
                cols |= {"address": np.full(len(persons), ""), "postal_code": np.full(len(persons), "")}
            cols |= {"valid_from": frm, "valid_to": to}
            if with_address:
                cols |= {
                    "source": np.where(folkereg[persons], "folkeregisteret", ""),
                    "kind": np.full(len(persons), "ordinary"),
                    "reception_centre": np.full(len(persons), ""),
                }
            parts.append(Rows(persons, cols, self.g._rec(rng, frm, clamp_numbering=True)))
        return parts

    def _residences(self) -> list[Rows]:
        return self._period_rows(True)

    def _follow_ups(self) -> list[Rows]:
        return self._period_rows(False)

    def _settlements(self) -> Rows:
        p = np.flatnonzero(self.refugee)
        return Rows(
            p,
            {
                "municipality": self.g.munis.number[self.muni1[p]],
                "district": self.dist1[p],
                "settlement_date": self.settle[p],
                "by_agreement": self.by_agreement[p],
                "kind": np.where(self.by_agreement[p], "by_agreement", "self_settled"),
                "household_id": np.char.add("H", self.duf[self.hh_head[p]]),
                "household_role": np.where(age_on_days(self.birth[p], self.settle[p]) < 18, "child", "adult"),
            },
            self.g._rec(self.rng, self.settle[p], clamp_numbering=True),
        )

    def _follow_up_fields(self, person: np.ndarray, on_day: np.ndarray, rec: np.ndarray):
        """follow_up_municipality/district on a day, filled only where the number is valid on the
        fact's date or registration day (older facts leave it blank, as NIR 1.0 did)."""
        M = self.g.munis
        muni, dist = self.muni_on(person, on_day)
        ok = (on_day >= M.valid_from) | (utc_us_to_local_day(rec) >= M.valid_from)
        return np.where(ok, M.number[muni], ""), np.where(ok, dist, "")

    def _decision_rows(self, person, scheme, dtype, decision_day, start=None, end=None, rec=None) -> Rows:
        n = len(person)
        start = np.full(n, NULL_DAY) if start is None else start
        end = np.full(n, NULL_DAY) if end is None else end
        rec = self.g._rec(self.rng, decision_day) if rec is None else rec
        fu, fd = self._follow_up_fields(person, decision_day, rec)
        return Rows(
            person,
            {
                "scheme": np.full(n, scheme),
                "decision_type": np.full(n, dtype),
                "result": np.full(n, "made"),
                "decision_date": decision_day,
                "start_date": start,
                "end_date": end,
                "follow_up_municipality": fu,
                "follow_up_district": fd,
            },
            rec,
            correctable=start != NULL_DAY,
        )

    def _programme(self):
        """Who takes part in the introduction programme, when, with which goal and deadline."""
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        base = self.home_from
        # Bortfall pga. arbeid (from 2026): right-and-duty persons in work get no participation decision.
        in_work = self.intro_rd & self.has_home & (base >= D2024) & (rng.random(n) < 0.07)
        loss_lo = np.maximum(base + 20, g.loss_from + rng.integers(0, 60, n))
        home = np.where(self.has_home, base, 0)  # within § 8's window for a decision (intro.decision_window)
        loss_hi = np.minimum(period_end_days(home, 12 * derived.param_on("intro.decision_window.years", home)), last)
        self.loss = in_work & (loss_lo <= loss_hi)
        self.loss_day = np.where(self.loss, _uniform_int(rng, loss_lo, loss_hi), NULL_DAY)

        p_part = np.where(self.intro_rd, 0.90, np.where(self.intro_right, 0.85, np.where(self.intro_may, 0.12, 0.0)))
        start = base + rng.integers(30, 121, n)
        part = self.has_home & ~in_work & (rng.random(n) < p_part) & (start <= last)
        self.part = part
        self.start = np.where(part, start, NULL_DAY)
        self.part_decision = np.where(part, np.maximum(start - rng.integers(0, 22, n), base), NULL_DAY)

        # Final goal: only under integreringsloven (programme starts from 2021).
        idx = np.flatnonzero(part & (self.start >= g.law_from))
        ukr_dist = self.ukr[idx]
        missing = rng.random(len(idx)) < np.where(ukr_dist, w.GOAL_MISSING_UKRAINE, w.GOAL_MISSING_RIGHT_AND_DUTY)
        idx = idx[~missing]
        ukr_dist = ukr_dist[~missing]
        shares = np.where(ukr_dist[:, None], w.GOAL_SHARES_UKRAINE[None, :], w.GOAL_SHARES_RIGHT_AND_DUTY[None, :])
        kind = _pick_rows(rng, shares)
        st = self.start[idx]
        goal_day = st + rng.integers(0, 46, len(idx))
        goal_rec = g._rec(rng, goal_day)
        goal_rec_day = utc_us_to_local_day(goal_rec)
        age_start = age_on_days(self.birth[idx], st)
        code = np.full(len(idx), "", dtype="U40")
        for k, kname in enumerate(w.GOAL_KINDS):
            sel = kind == k
            if not sel.any():
                continue
            code[sel] = self._goal_codes(kname, st[sel], goal_rec_day[sel], age_start[sel], wrong=False)
        months = np.array([g.goal_months[c][0] for c in code], dtype="int64")
        deadline = period_end_days(st, months)
        # Deliberately wrong-window goals among programmes running in 2026.
        ww = (
            (rng.random(len(idx)) < w.GOAL_WRONG_WINDOW_SHARE)
            & ((goal_rec_day >= D2026) | (deadline >= D2026))
            & (last >= D2026)
        )
        if ww.any():
            late = ww & (goal_rec_day < D2026)
            if late.any():  # re-registered in 2026 with the new code
                goal_day2 = _uniform_int(rng, np.full(late.sum(), D2026), np.minimum(deadline[late], last))
                goal_rec[late] = g._rec(rng, goal_day2)
                goal_rec_day[late] = utc_us_to_local_day(goal_rec[late])
            for k, kname in enumerate(w.GOAL_KINDS):
                sel = ww & (kind == k)
                if sel.any():
                    code[sel] = self._goal_codes(kname, st[sel], goal_rec_day[sel], age_start[sel], wrong=True)
        # A code with no candidate (should not happen) falls back to the regular choice.
        self.goal_person, self.goal_code, self.goal_rec, self.goal_kind = idx, code, goal_rec, kind
        self.goal_wrong = ww
        # Education follows the goal where it contradicts it (goals presuppose a level).
        needed = np.array([w.goal_education(c) for c in code], dtype="U40")
        edu = self.education[idx]
        fix = (edu != "unknown") & (needed != "") & (edu != needed)
        edu[fix] = needed[fix]
        self.education[idx] = edu

        # Durations and deadline per participant: the final goal's (il. §§ 13–14), else introduksjonsloven's
        # two years and one more (§ 5).
        s = np.where(part, self.start, 0)
        months = derived.param_on("introduksjonsloven.intro.duration_months", s)
        ext_max = derived.param_on("introduksjonsloven.intro.extension_months", s)
        m_goal = np.array([g.goal_months[c][0] for c in code], dtype="int64")
        e_goal = np.array([g.goal_months[c][1] for c in code], dtype="int64")
        months[idx], ext_max[idx] = m_goal, e_goal
        # No extension without a final goal under integreringsloven (the deadline runs from the goal).
        ext_max = np.where(self.part & (self.start >= g.law_from) & ~np.isin(np.arange(n), idx), 0, ext_max)
        # Persons in the integreringsloven era without a goal have no deadline in law; they run as long as a
        # programme under introduksjonsloven (the generator's choice).
        base_deadline = period_end_days(s, months)
        ext_day = base_deadline - rng.integers(14, 91, n)
        ext = part & (ext_max > 0) & (rng.random(n) < 0.15) & (ext_day <= last) & (ext_day >= s + 30)
        self.ext = ext
        self.ext_day = np.where(ext, ext_day, NULL_DAY)
        self.ext_months = np.where(ext, np.where(rng.random(n) < 0.7, ext_max, np.maximum(1, ext_max // 2)), 0)
        deadline = period_end_days(s, months + self.ext_months)
        self.deadline = np.where(part, deadline, NULL_DAY)

        # Terminations: some leave early (mostly for work), the rest at the deadline.
        reasons = np.array([r for r, _ in w.TERMINATION_REASONS])
        reason = reasons[_pick(rng, n, [wt for _, wt in w.TERMINATION_REASONS])]
        early = (rng.random(n) < 0.30) & (reason != "deadline_reached")
        span = np.maximum(deadline - s, 91)
        term_day = np.where(early, s + 90 + (rng.random(n) * (span - 90)).astype("int64"), deadline)
        term_day = np.minimum(term_day, deadline)
        self.terminated = part & (term_day <= last)
        self.term_day = np.where(self.terminated, term_day, NULL_DAY)
        self.term_reason = reason
        self.prog_end = np.where(self.terminated, self.term_day, np.where(part, last, NULL_DAY))

    def _goal_codes(
        self, kind: str, start: np.ndarray, rec_day: np.ndarray, age_start: np.ndarray, *, wrong: bool
    ) -> np.ndarray:
        """Final-goal codes of one kind for programme starts, valid (or deliberately not) for the start."""
        cands = w.GOAL_CANDIDATES[kind]
        wins = self.g._code_windows["final_goal"]
        cols = []
        for code, wt in cands:
            win = wins[code]
            inside = (start >= win.lo) & (start <= win.hi)
            ok = (~inside if wrong else inside) & (rec_day >= w.registrable_from(code))
            if code == "complete_vgo_under_25_old":
                ok &= age_start < 25
            elif code == "complete_vgo_over_25_old":
                ok &= age_start >= 25
            cols.append(np.where(ok, wt, 0.0))
        idx = _pick_rows(self.rng, np.stack(cols, axis=1))
        names = np.array([c for c, _ in cands])
        out = names[np.maximum(idx, 0)]
        if (idx < 0).any():
            if wrong:  # nothing outside the window: keep a regular code
                bad = idx < 0
                out[bad] = self._goal_codes(kind, start[bad], rec_day[bad], age_start[bad], wrong=False)
            else:
                raise ValueError(f"no final goal of kind {kind} for some programme starts")
        return out

    def _intro_decisions(self) -> list[Rows]:
        g, rng = self.g, self.rng
        last = g.last_day
        out = []
        p = np.flatnonzero(self.part)
        out.append(self._decision_rows(p, "intro", "participation", self.part_decision[p], start=self.start[p]))
        # Integration plan (from 2021) for most participants.
        s, end = self.start[p], self.prog_end[p]
        plan_day = s + rng.integers(0, 91, len(p))
        sel = (rng.random(len(p)) < 0.6) & (plan_day >= g.law_from) & (plan_day <= np.minimum(end, last))
        out.append(self._decision_rows(p[sel], "intro", "integration_plan", plan_day[sel]))
        # Temporary stop for a few.
        stop_day = _uniform_int(rng, s + 30, end)
        stop_start = stop_day + rng.integers(0, 8, len(p))
        stop_end = stop_start + rng.integers(14, 91, len(p))
        stop_end = np.where(stop_end > last, NULL_DAY, stop_end)
        sel = (rng.random(len(p)) < 0.03) & (stop_start <= end) & (stop_start <= last)
        out.append(
            self._decision_rows(
                p[sel], "intro", "temporary_stop", stop_day[sel], start=stop_start[sel], end=stop_end[sel]
            )
        )
        # Loss of the right to self-certify absence (from 2021), rare.
        sc_day = _uniform_int(rng, s + 30, end)
        win = g._code_windows["decision_type"]["loss_of_self_certification"]
        sel = (rng.random(len(p)) < 0.005) & (sc_day >= win.lo) & (sc_day <= last)
        out.append(self._decision_rows(p[sel], "intro", "loss_of_self_certification", sc_day[sel]))
        # Bortfall av rett og plikt pga. arbeid (from 2026), for persons without participation.
        q = np.flatnonzero(self.loss)
        loss_rows = self._decision_rows(q, "intro", "loss_due_to_work", self.loss_day[q])
        out.append(loss_rows)
        self.loss_rec = loss_rows.rec
        return out

    def _final_goals(self) -> Rows:
        p = self.goal_person
        rec = self.goal_rec
        goal_day = utc_us_to_local_day(rec)
        fu, _fd = self._follow_up_fields(p, goal_day, rec)
        return Rows(p, {"scheme": np.full(len(p), "intro"), "goal": self.goal_code, "follow_up_municipality": fu}, rec)

    def _extensions(self) -> Rows:
        p = np.flatnonzero(self.ext)
        return Rows(
            p,
            {"scheme": np.full(len(p), "intro"), "months": self.ext_months[p], "decision_date": self.ext_day[p]},
            self.g._rec(self.rng, self.ext_day[p]),
        )

    def _terminations(self) -> list[Rows]:
        g, rng = self.g, self.rng
        p = np.flatnonzero(self.terminated)
        reason = self.term_reason[p]
        ttype = np.array([w.TERMINATION_TYPE_OF_REASON.get(r, "completed") for r in reason])
        missing = rng.random(len(p)) < w.TERMINATION_REASON_MISSING
        reason = np.where(missing, "", reason)
        hours = self._work_hours(len(p))
        hours = np.where(np.isin(reason, w.WORK_REASONS), hours, np.nan)
        tday = self.term_day[p]
        rec = g._rec(rng, tday)
        fu, _fd = self._follow_up_fields(p, tday, rec)
        regular = Rows(
            p,
            {
                "scheme": np.full(len(p), "intro"),
                "termination_type": ttype,
                "termination_reason": reason,
                "hours_work_per_week": hours,
                "termination_date": tday,
                "follow_up_municipality": fu,
            },
            rec,
        )
        # The Regelmotor closes the programme on a Bortfall decision, seconds after it is registered.
        q = np.flatnonzero(self.loss)
        qday = self.loss_day[q]
        qrec = np.minimum(self.loss_rec + rng.integers(1_000_000, 120_000_000, len(q)), g.now_us)
        qfu, _ = self._follow_up_fields(q, qday, qrec)
        automatic = Rows(
            q,
            {
                "scheme": np.full(len(q), "intro"),
                "termination_type": np.full(len(q), "aborted"),
                "termination_reason": np.full(len(q), "loss_due_to_work"),
                "hours_work_per_week": self._work_hours(len(q), minimum=30.0),
                "termination_date": qday,
                "follow_up_municipality": qfu,
            },
            qrec,
            system=np.ones(len(q), dtype=bool),
            correctable=np.zeros(len(q), dtype=bool),
        )
        return [regular, automatic]

    def _work_hours(self, n: int, minimum: float = 15.0) -> np.ndarray:
        rng = self.rng
        u = rng.random(n)
        part_time = _half_hours(minimum + rng.random(n) * (37.0 - minimum))
        return np.where(u < 0.5, 37.5, part_time)

    def _measures(self) -> list[Rows]:
        g, rng = self.g, self.rng
        last = g.last_day
        p = np.flatnonzero(self.part)
        s, end, term = self.start[p], self.prog_end[p], self.terminated[p]
        out = []
        # Norwegian training in the programme for most participants.
        sel = rng.random(len(p)) < 0.9
        q = p[sel]
        to = np.where(term[sel], end[sel], NULL_DAY)
        lo, hi = w.MEASURE_HOURS["norwegian_training"]
        out.append(
            self._measure_rows(
                q, np.full(len(q), "norwegian_training"), s[sel], to, _half_hours(lo + rng.random(len(q)) * (hi - lo))
            )
        )
        # Other measures: about a quarter have none besides Norwegian.
        k = _pick(rng, len(p), [0.25, 0.35, 0.25, 0.15])
        rp = np.repeat(np.arange(len(p)), k)
        person = p[rp]
        span = np.maximum(end[rp] - s[rp], 0)
        frm = s[rp] + (rng.random(len(rp)) * span * 0.7).astype("int64")
        ukr = self.ukr[person]
        codes_u = g._choose_codes(rng, "measure", w.MEASURES_UKRAINE, frm)
        codes_o = g._choose_codes(rng, "measure", w.MEASURES_OTHERS, frm)
        code = np.where(ukr, codes_u, codes_o)
        dur = rng.integers(30, 271, len(rp))
        to = np.minimum(frm + dur, end[rp])
        to = np.where(~term[rp] & (frm + dur > last), NULL_DAY, to)
        bounds = np.array([w.MEASURE_HOURS[c] for c in code]) if len(code) else np.zeros((0, 2))
        hours = _half_hours(bounds[:, 0] + rng.random(len(rp)) * (bounds[:, 1] - bounds[:, 0]))
        out.append(self._measure_rows(person, code, frm, to, hours))
        return out

    def _measure_rows(self, person, code, frm, to, hours) -> Rows:
        return Rows(
            person,
            {
                "scheme": np.full(len(person), "intro"),
                "measure": code,
                "from_date": frm,
                "to_date": to,
                "hours_per_week": hours,
            },
            self.g._rec(self.rng, frm),
        )

    def _absences(self) -> list[Rows]:
        rng = self.rng
        p = np.flatnonzero(self.part)
        s, end = self.start[p], self.prog_end[p]
        k = np.minimum(rng.poisson(1.6, len(p)), 6)
        k = np.where(end > s, k, 0)
        rp = np.repeat(np.arange(len(p)), k)
        person = p[rp]
        kinds = w.ABSENCE_KINDS
        ki = _pick(rng, len(rp), [x[1] for x in kinds])
        lo = np.array([x[2] for x in kinds])[ki]
        hi = np.array([x[3] for x in kinds])[ki]
        length = _uniform_int(rng, lo, hi)
        long_leave = (np.array([x[0] for x in kinds])[ki] == "leave") & (rng.random(len(rp)) < 0.15)
        length = np.where(long_leave, rng.integers(46, 121, len(rp)), length)
        frm = _uniform_int(rng, s[rp], end[rp] - 1)
        to = np.minimum(frm + length - 1, end[rp])
        code = np.array([x[0] for x in kinds])[ki]
        return [
            Rows(
                person,
                {"scheme": np.full(len(person), "intro"), "kind": code, "from_date": frm, "to_date": to},
                self.g._rec(rng, to),
            )
        ]

    def _norwegian(self):
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        base = np.where(self.has_home, self.home_from, 0)
        dec = base + rng.integers(14, 91, n)
        start = dec + rng.integers(0, 22, n)
        u = rng.random(n)
        p_dec = np.where(self.basis == w.B["work"], 0.75, 0.80)
        exempt = self.norw_eligible & (u < 0.03) & (dec <= last)
        part = self.norw_eligible & (u >= 0.03) & (u < 0.03 + p_dec) & (start <= last)
        decisions = []
        p = np.flatnonzero(part)
        self.norw_part, self.norw_start = part, np.where(part, start, NULL_DAY)
        decisions.append(self._decision_rows(p, "norwegian", "norwegian_participation", dec[p], start=start[p]))
        q = np.flatnonzero(exempt)
        decisions.append(self._decision_rows(q, "norwegian", "norwegian_exemption", dec[q]))
        # Hours per calendar year while in training (18 or 36 months of right, often less used).
        months = self._norwegian_months(p, start[p])
        length = (months * 30.4 * (0.5 + 0.5 * rng.random(len(p)))).astype("int64")
        st = start[p]
        end = np.minimum(st + length, last)
        y0, y1 = ymd_days(st)[0], ymd_days(end)[0]
        k = y1 - y0 + 1
        rp = np.repeat(np.arange(len(p)), k)
        yr = y0[rp] + (np.arange(len(rp)) - np.repeat(np.cumsum(k) - k, k))
        frm = np.maximum(st[rp], _jan1(yr))
        to = np.minimum(end[rp], _jan1(yr + 1) - 1)
        rate = 1.0 + rng.random(len(rp)) * 1.4  # hours per calendar day
        hours = np.maximum(_half_hours((to - frm + 1) * rate), 1.0)
        participation = Rows(
            p[rp],
            {"scheme": np.full(len(rp), "norwegian"), "from_date": frm, "to_date": to, "hours": hours},
            g._rec(rng, to),
        )
        # Leave (permisjon) in Norwegian training for a few; only leave extends that deadline.
        sel = rng.random(len(p)) < 0.05
        lp = p[sel]
        lfrom = _uniform_int(rng, st[sel], end[sel] - 1)
        lto = np.minimum(lfrom + rng.integers(14, 91, len(lp)) - 1, end[sel])
        ok = end[sel] > st[sel]
        leave = Rows(
            lp[ok],
            {
                "scheme": np.full(ok.sum(), "norwegian"),
                "kind": np.full(ok.sum(), "leave"),
                "from_date": lfrom[ok],
                "to_date": lto[ok],
            },
            g._rec(rng, lto[ok]),
        )
        return decisions, participation, leave

    def _career_guidance(self) -> Rows | None:
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        individual = self.refugee & ~self.ukr & self.intro_rd & (self.settle >= g.law_from)
        family = (self.basis == w.B["family_of_protected"]) & self.has_home
        gday = np.where(individual, self.settle - rng.integers(10, 61, n), self.home_from + rng.integers(30, 181, n))
        p_cg = np.where(individual, 0.80, np.where(family, 0.50, np.where(self.ukr & self.has_home, 0.05, 0.0)))
        gday = np.where(self.ukr, self.home_from + rng.integers(14, 181, n), gday)
        sel = (rng.random(n) < p_cg) & (gday >= g.law_from) & (gday <= last)
        p = np.flatnonzero(sel)
        if not len(p):
            return None
        gd = gday[p]
        kind = np.where(self.ukr[p] | (rng.random(len(p)) < 0.1), "group", "individual")
        # A recommended final goal, valid on the guidance date, for most individual guidance.
        rec_kind = np.array(w.GOAL_KINDS)[_pick(rng, len(p), w.GOAL_SHARES_RIGHT_AND_DUTY)]
        recommended = np.full(len(p), "", dtype="U40")
        wins = g._code_windows["final_goal"]
        for kname in w.GOAL_KINDS:
            sel_k = rec_kind == kname
            if not sel_k.any():
                continue
            cands = [(c, wt) for c, wt in w.GOAL_CANDIDATES[kname]]
            weights = np.stack(
                [
                    np.where(
                        (gd[sel_k] >= wins[c].lo) & (gd[sel_k] <= wins[c].hi) & (gd[sel_k] >= w.registrable_from(c)),
                        wt,
                        0.0,
                    )
                    for c, wt in cands
                ],
                axis=1,
            )
            idx = _pick_rows(rng, weights)
            names = np.array([c for c, _ in cands])
            recommended[sel_k] = np.where(idx >= 0, names[np.maximum(idx, 0)], "")
        recommended = np.where((kind == "individual") & (rng.random(len(p)) < 0.7), recommended, "")
        county = g.munis.county[self.muni1[p]]
        org = np.char.add("Karrieresenteret i ", county)
        return Rows(
            p,
            {"guidance_date": gd, "kind": kind, "recommended_final_goal": recommended, "organisation": org},
            g._rec(rng, gd),
        )

    def _competence_mappings(self) -> Rows | None:
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        before = self.refugee & ~self.ukr & (self.settle >= g.law_from) & (rng.random(n) < 0.90)
        simplified = self.ukr & self.has_home & (rng.random(n) < 0.36)
        after = (self.basis == w.B["family_of_protected"]) & self.has_home & (rng.random(n) < 0.40)
        mday = np.where(before, self.settle - rng.integers(15, 91, n), self.home_from + rng.integers(7, 91, n))
        kind = np.where(before, "before_settlement", np.where(simplified, "simplified", "after_settlement"))
        sel = (before | simplified | after) & (mday <= last) & (mday >= g.law_from)
        win = g._code_windows["competence_mapping_kind"]["simplified"]
        sel &= ~simplified | (mday >= win.lo)
        p = np.flatnonzero(sel)
        if not len(p):
            return None
        org = np.where(kind[p] == "before_settlement", "IMDi", g.munis.name[self.muni1[p]])
        kp = kind[p]
        legal = np.array([w.MAPPING_LEGAL_BASIS[k] for k in kp], dtype="U20")
        in_tool = (rng.random(len(p)) < w.MAPPING_IN_TOOL_SHARE).astype("int8")
        # Mapped in the reception centre: the host municipality (the mapping grant's recipient).
        host = np.where((kp == "before_settlement") & (self.reception_host[p] >= 0), self.reception_host[p], -1)
        host_no = np.where(host >= 0, g.munis.number[np.maximum(host, 0)], "")
        return Rows(
            p,
            {
                "mapping_date": mday[p],
                "kind": kp,
                "organisation": org,
                "legal_basis": legal,
                "registered_in_tool": in_tool,
                "host_municipality": host_no,
            },
            # A host municipality's number is the 2024 numbering: registered when it is valid.
            np.where(host >= 0, g._rec(rng, mday[p], clamp_numbering=True), g._rec(rng, mday[p])),
        )

    def _reception_stays(self) -> Rows | None:
        """Asylum seekers' stays in a reception centre from arrival to the day before settlement (the
        household in the head's centre)."""
        g, rng, n = self.g, self.rng, self.n
        M = g.munis
        resettled = self.basis == w.B["utl_35_3"]
        host = _pick(rng, n, M.weight)
        head = np.where(self.hh_head >= 0, self.hh_head, np.arange(n))
        host = host[head]
        stay = (
            self.refugee
            & ~resettled
            & (self.arrival != NULL_DAY)
            & (self.arrival < self.settle)
            & (rng.random(n) < w.RECEPTION_STAY_SHARE)[head]
        )
        self.reception_host = np.where(stay, host, -1)
        p = np.flatnonzero(stay)
        if not len(p):
            return None
        to = self.settle[p] - 1
        return Rows(
            p,
            {
                "centre": np.char.add(M.name[host[p]].astype(str), " mottak"),
                "host_municipality": M.number[host[p]],
                "from_date": self.arrival[p],
                "to_date": to,
            },
            g._rec(rng, to, clamp_numbering=True),  # host municipality numbers are the 2024 numbering
            correctable=np.zeros(len(p), dtype=bool),
        )

    def _family_reunification(self) -> Rows | None:
        """Family immigrants to protected persons: the reference person (a refugee of the block settled
        within about five years before the application) and the dates the grant's exclusions read."""
        g, rng = self.g, self.rng
        fam = np.flatnonzero((self.basis == w.B["family_of_protected"]) & self.has_home)
        refs = np.flatnonzero(self.refugee & (self.settle != NULL_DAY) & ~self.ukr)
        if not len(fam) or not len(refs):
            return None
        refs = refs[np.argsort(self.settle[refs], kind="stable")]
        rs = self.settle[refs]
        app = self.permit[fam] - _uniform_int(rng, *w.FAMILY_APPLICATION_DAYS)
        lo = np.searchsorted(rs, app - 5 * 365 - 60)
        hi = np.searchsorted(rs, app - 30)
        ok = hi > lo
        fam, app, lo, hi = fam[ok], app[ok], lo[ok], hi[ok]
        ref = refs[_uniform_int(rng, lo, hi - 1)]
        k = len(fam)
        return Rows(
            fam,
            {
                "reference_person": self.duf[ref],
                "reference_basis_at_grant": np.array(w.BASES)[self.basis[ref]],
                "reference_first_settlement_date": self.settle[ref],
                "application_date": app,
                "reference_nordic_citizen": np.zeros(k, dtype=bool),
                "reference_is_family_immigrant": np.zeros(k, dtype=bool),
            },
            g._rec(rng, self.permit[fam]),
            correctable=np.zeros(k, dtype=bool),
        )

    def _upper_secondary(self) -> Rows | None:
        """Young adults in full-time upper-secondary school for one to three school years after settlement."""
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        home = np.where(self.has_home, self.home_from, 0)
        age = age_on_days(self.birth, home)
        lo_age, hi_age = w.UPPER_SECONDARY_AGE
        sel = self.refugee & (age >= lo_age) & (age <= hi_age) & (rng.random(n) < w.UPPER_SECONDARY_SHARE)
        y, mo, d = ymd_days(home)
        start_year = np.where((mo < 8) | ((mo == 8) & (d <= 15)), y, y + 1)
        frm = from_ymd_days(start_year, np.full(n, 8), np.full(n, 15))
        end_year = start_year + rng.integers(1, 4, n)
        to = from_ymd_days(end_year, np.full(n, 6), np.full(n, 20))
        sel &= frm <= last
        p = np.flatnonzero(sel)
        if not len(p):
            return None
        to = np.where(to[p] > last, NULL_DAY, to[p])
        muni, _ = self.muni_on(p, frm[p])
        return Rows(
            p,
            {
                "from_date": frm[p],
                "to_date": to,
                "full_time": rng.random(len(p)) < w.UPPER_SECONDARY_FULL_TIME,
                "county": np.array([x[:2] for x in g.munis.number[muni]], dtype="U2"),
            },
            g._rec(rng, frm[p]),
            correctable=np.zeros(len(p), dtype=bool),
        )

    def _exams(self, t: dict[str, list[Rows]]) -> Rows | None:
        """Prøver: who took which tests, when, with which result and level (rates in ``world``).

        Persons whose Norwegian deadline has passed are counted as IMDi's annual report counts them
        (Tab 3.2.18, and the yearly statistics' figure ``norsk-frist-proever``): per deadline year,
        exactly ``EXAM_TAKEN_SHARE`` of them sat Norskprøven (met, whatever the result) by the end
        of that year, and exactly ``EXAM_PASSED_SHARE`` of those passed at least one skill — drawn
        as quotas, not coin flips, so that even a small population (the 2,000-person demo) shows
        the real orders of magnitude each year. A few more did not show up (``EXAM_ABSENT_ONLY_SHARE``).
        """
        g, rng, n = self.g, self.rng, self.n
        last = g.last_day
        # Right and duty (il. § 27) or duty (§ 28) today, and the Norwegian deadline (§ 32, leave added,
        # capped at the end of the right, § 26) exactly as the Regelmotor derives them from the block's facts.
        res = self._derived(t)
        rd = np.isin(res.norwegian_category, (derived.NORWEGIAN["right_and_duty"], derived.NORWEGIAN["duty"]))
        rd &= self.has_home
        deadline = np.where(np.isnat(res.norwegian_deadline), NULL_DAY, res.norwegian_deadline.view("int64"))
        end_age = derived.param_on("norwegian.age.end", np.full(n, last))
        right_ends = birthday_days(self.birth, end_age) - 1  # the right and duty end (il. § 26)
        # Under introduksjonsloven (if. § 72) the Regelmotor derives no Norwegian deadline; the generator times
        # those persons' tests as if § 32 applied (its months, from the permit or a later arrival), while they
        # are under the age at which the right ends. These are not counted in Tab 3.2.18.
        old_act = rd & (deadline == NULL_DAY)
        start = np.where(self.arrival != NULL_DAY, np.maximum(self.permit, self.arrival), self.permit)
        stand_in = np.minimum(period_end_days(start, self._norwegian_months(np.arange(n), start)), right_ends)
        deadline = np.where(old_act, stand_in, deadline)
        rd &= ~old_act | (right_ends >= last + 1)
        passed_deadline = rd & (deadline != NULL_DAY) & (deadline <= last)
        # Training from the participation decision's start, else (no decision) two months after moving in.
        ts = np.where(self.norw_part, self.norw_start, self.home_from + 60)
        early = ~passed_deadline & self.norw_part & (last - ts >= w.EXAM_EARLY_AFTER_DAYS)
        # The (Norwegian written) test day: in the later part of the training, by the deadline and
        # within the deadline's year (the statistics count tests up to 31.12. of that year); for early
        # takers between EXAM_EARLY_AFTER_DAYS of training and yesterday.
        deadline_year = ymd_days(np.where(passed_deadline, deadline, last))[0]
        year_end = _jan1(deadline_year + 1) - 1
        hi = np.where(passed_deadline, np.minimum(np.minimum(np.maximum(deadline, ts + 120), year_end), last), last)
        hi = np.minimum(hi, right_ends)
        lo = np.where(
            passed_deadline, ts + np.maximum(30, ((hi - ts) * 0.4).astype("int64")), ts + w.EXAM_EARLY_AFTER_DAYS
        )
        lo = np.maximum(lo, g._code_windows["exam_type"]["social_studies"].lo)
        feasible = (lo <= hi) & (ts <= last)
        # Quotas per deadline year among those whose deadline has passed; coin flips for the early ones.
        sat = _quota(rng, deadline_year, passed_deadline, feasible, w.EXAM_TAKEN_SHARE)
        stayed_away = passed_deadline & feasible & ~sat & (rng.random(n) < w.EXAM_ABSENT_ONLY_SHARE)
        early_took = early & feasible & (rng.random(n) < w.EXAM_EARLY_SHARE)
        took = sat | stayed_away | early_took
        t = np.flatnonzero(took)
        if not len(t):
            return None
        k = len(t)
        d0 = _uniform_int(rng, lo[t], hi[t])
        due = passed_deadline[t]
        # After the deadline everyone who sat took Norskprøven; early takers one or both of the tests.
        nor = due | (rng.random(k) < w.EXAM_NORWEGIAN_SHARE)
        soc = rng.random(k) < w.EXAM_SOCIAL_STUDIES_SHARE
        nor |= ~soc
        passer_all = _quota(rng, deadline_year, sat, sat, w.EXAM_PASSED_SHARE) | (
            early_took & (rng.random(n) < w.EXAM_PASSED_SHARE)
        )
        passer = passer_all[t]
        absent = stayed_away[t] | (~due & ~passer & (rng.random(k) < w.EXAM_ABSENT_SHARE))
        # The person's CEFR level by education; each passed skill one step either side now and then.
        base = np.zeros(k, dtype="int64")
        for edu, weights in w.EXAM_LEVEL_WEIGHTS.items():
            sel = self.education[t] == edu
            if sel.any():
                base[sel] = _pick(rng, int(sel.sum()), weights)

        tn = np.flatnonzero(nor)  # taker indices with Norwegian: one row per skill
        skills = len(w.EXAM_SKILLS)
        rn = np.repeat(tn, skills)
        skill = np.tile(np.arange(skills), len(tn))
        # Oral on its own day, up to four weeks before the written parts (not before the window).
        nday = np.where(skill == 0, d0[rn] - rng.integers(0, 29, len(rn)), d0[rn])
        nday = np.maximum(nday, lo[t][rn])
        npassed = passer[rn] & (rng.random(len(rn)) < w.EXAM_SKILL_PASSED)
        step = _pick(rng, len(rn), [w.EXAM_LEVEL_SPREAD, 1 - 2 * w.EXAM_LEVEL_SPREAD, w.EXAM_LEVEL_SPREAD]) - 1
        level_idx = np.clip(base[rn] + step, 0, np.maximum(base[rn], w.EXAM_LEVEL_MAX_SPREAD_TO))

        soc_t = np.flatnonzero(soc)  # social studies: earlier in the training
        sday = np.maximum(d0[soc_t] - rng.integers(30, 241, len(soc_t)), lo[t][soc_t])
        spassed = passer[soc_t] & (rng.random(len(soc_t)) < w.EXAM_SOCIAL_STUDIES_PASSED)

        # A person who passed passed at least one test: a Norwegian skill (the oral test) when it took
        # Norskprøven, else social studies.
        nor_passed = np.zeros(k, dtype=bool)
        nor_passed[rn[npassed]] = True
        soc_passed = np.zeros(k, dtype=bool)
        soc_passed[soc_t[spassed]] = True
        npassed |= (passer & ~nor_passed)[rn] & (skill == 0)
        spassed |= (passer & ~nor & ~soc_passed)[soc_t]

        taker = np.concatenate([rn, soc_t])
        person = t[taker]
        exam_type = np.concatenate([np.array(w.EXAM_SKILLS)[skill], np.full(len(soc_t), "social_studies")])
        exam_day = np.concatenate([nday, sday])
        passed = np.concatenate([npassed, spassed])
        result = np.where(passed, "passed", np.where(absent[taker], "absent", "failed"))
        level = np.concatenate([np.where(npassed, np.array(w.EXAM_LEVELS)[level_idx], ""), np.full(len(soc_t), "")])
        muni, _ = self.muni_on(person, exam_day)
        # Results are registered some weeks after the test.
        rec = g._rec(rng, np.minimum(exam_day + rng.integers(14, 43, len(person)), last))
        return Rows(
            person,
            {
                "scheme": np.full(len(person), "norwegian"),
                "exam_type": exam_type,
                "exam_date": exam_day,
                "result": result,
                "level": level.astype("U2"),
                "organisation": g.munis.name[muni],
            },
            rec,
        )


def _quota(rng: np.random.Generator, groups: np.ndarray, among: np.ndarray, pool: np.ndarray, share: float):
    """A mask of exactly round(``share`` × the number of ``among``) persons of each group (as far as
    ``pool`` has them), chosen at random among those of ``among`` that are in ``pool``."""
    out = np.zeros(len(among), dtype=bool)
    members = np.flatnonzero(among)
    if not len(members):
        return out
    key = rng.random(len(members))
    grp = groups[members]
    in_pool = pool[members]
    # Each group: the quota from all its members; filled from its pool members in random order.
    uniq, inverse, counts = np.unique(grp, return_inverse=True, return_counts=True)
    quota = np.floor(counts * share + 0.5).astype("int64")
    order = np.lexsort((key, ~in_pool, inverse))  # by group, pool members first, then at random
    sorted_group = inverse[order]
    starts = np.searchsorted(sorted_group, np.arange(len(uniq)))
    rank = np.arange(len(order)) - starts[sorted_group]
    chosen = (rank < quota[sorted_group]) & in_pool[order]
    out[members[order[chosen]]] = True
    return out


def _jan1(year: np.ndarray) -> np.ndarray:
    year = np.asarray(year, dtype="int64")
    return from_ymd_days(year, np.ones_like(year), np.ones_like(year))


# --- bookkeeping: corrections, annulments, ids, who registered ---------------------------


def _perturb(g: Generator, pop: _Population, rng, table: str, rows: Rows, idx: np.ndarray):
    """The erroneous first version of the rows ``idx`` (later corrected): (columns, reasons)."""
    cols = {k: v[idx].copy() for k, v in rows.cols.items()}
    m = len(idx)
    if not m:
        return cols, np.array([], dtype="U1")
    shift = rng.integers(1, 21, m)
    key = {
        "ResidencePermit": "permit",
        "Residence": "residence",
        "FollowUp": "follow_up",
        "Settlement": "settlement",
        "Decision": "decision",
        "FinalGoal": "final_goal",
        "Extension": "extension",
        "Participation": "participation",
        "Measure": "measure",
        "Absence": "absence",
        "Termination": "termination",
        "CareerGuidance": "career_guidance",
        "CompetenceMapping": "competence_mapping",
        "Exam": "exam",
    }[table]
    if table == "ResidencePermit":
        cols["decision_date"] -= shift  # earlier: a first version is never dated after its registration
    elif table in ("Residence", "FollowUp"):
        cols["valid_from"] -= shift
    elif table == "Settlement":
        cols["settlement_date"] -= shift
    elif table == "Decision":
        cols["start_date"] -= shift  # only rows with a start date are correctable
    elif table == "FinalGoal":
        cols["goal"] = np.array([FINAL_GOAL_SWAP[c] for c in cols["goal"]], dtype=cols["goal"].dtype)
    elif table == "Extension":
        mo = cols["months"]
        cols["months"] = np.where(mo > 1, mo // 2, mo + 1)
    elif table == "Participation":
        cols["hours"] = np.maximum(_half_hours(cols["hours"] * (0.5 + 0.4 * rng.random(m))), 0.5)
        cols["hours"] = np.where(cols["hours"] == rows.cols["hours"][idx], cols["hours"] + 1, cols["hours"])
    elif table == "Measure":
        h = cols["hours_per_week"]
        cols["hours_per_week"] = np.where(np.isnan(h), 10.0, np.where(h > 30, h - 5, h + 5))
    elif table == "Absence":
        cols["kind"] = np.array([ABSENCE_SWAP[k] for k in cols["kind"]], dtype=cols["kind"].dtype)
    elif table == "Termination":
        r = cols["termination_reason"]
        new = np.where(r == "other", "deadline_reached", "other")
        cols["termination_reason"] = new.astype(r.dtype)
        cols["termination_type"] = np.array(
            [w.TERMINATION_TYPE_OF_REASON.get(x, "completed") for x in new], dtype=cols["termination_type"].dtype
        )
        cols["hours_work_per_week"] = np.full(m, np.nan)
    elif table == "CareerGuidance":
        cols["kind"] = np.where(cols["kind"] == "group", "individual", "group").astype(cols["kind"].dtype)
    elif table == "CompetenceMapping":
        o = cols["organisation"]
        cols["organisation"] = np.where(o == "IMDi", "Mottaket", "IMDi").astype("U40")
    elif table == "Exam":
        cols["exam_date"] -= shift  # earlier: a first version is never dated after its registration
    reasons = np.array(w.CORRECTION_REASONS[key])[rng.integers(0, len(w.CORRECTION_REASONS[key]), m)]
    return cols, reasons


def _details(g: Generator, pop: _Population, first_rec: np.ndarray) -> tuple[Rows, dict]:
    """Person details (base = current version), plus the erroneous first versions of a few."""
    n = pop.n
    rows = Rows(
        np.arange(n),
        {
            "national_id": pop.national_id,
            "first_name": pop.first_name,
            "last_name": pop.last_name,
            "birth_date": pop.birth,
            "sex": np.where(pop.female, "female", "male"),
            "education": pop.education,
            "protected_identity": pop.protected,
            **_grant_details(g, pop),
        },
        first_rec.copy(),
    )
    rng = pop.rng
    name_fix = ~pop.d_first & (rng.random(n) < 0.015) & (first_rec < g.now_us - 2 * US_PER_DAY)
    id_fix = pop.d_first & (first_rec < g.now_us - 2 * US_PER_DAY)
    fix = np.flatnonzero(name_fix | id_fix)
    cols = {k: v[fix].copy() for k, v in rows.cols.items()}
    is_id = id_fix[fix]
    cols["national_id"] = np.where(is_id, pop.first_dnr[fix], cols["national_id"])
    # Another given name from the same pool (a wrong name registered at first).
    alt = pop.first_off[fix] + (pop.first_idx[fix] - pop.first_off[fix] + 1) % np.maximum(pop.first_len[fix], 2)
    cols["first_name"] = np.where(is_id, cols["first_name"], g.names.first[alt]).astype(cols["first_name"].dtype)
    reasons = np.where(
        is_id,
        w.CORRECTION_REASONS["details_id"][0],
        np.array(w.CORRECTION_REASONS["details_name"])[rng.integers(0, 2, len(fix))],
    )
    return rows, {"idx": fix, "cols": cols, "reasons": reasons}


def _grant_details(g: Generator, pop: _Population) -> dict[str, np.ndarray]:
    """The grants' person-level facts (grants.md A.1.1): citizenship, mother, unaccompanied minor, emigration."""
    rng, n = pop.rng, pop.n
    cit = np.array([w.CITIZENSHIP[o] for o in w.ORIGINS])[pop.origin]
    pal = cit == "XXA"
    alt = _pick(rng, n, [1 - sum(s for _, s in w.PALESTINE_OTHER), *(s for _, s in w.PALESTINE_OTHER)])
    cit = np.where(pal & (alt > 0), np.array(["XXA", *(c for c, _ in w.PALESTINE_OTHER)])[alt], cit)
    head = np.where(pop.hh_head >= 0, pop.hh_head, np.arange(n))
    cit = np.where(pop.born_here, cit[head], cit)  # a child born here takes the mother's
    mother = np.where(pop.born_here, pop.duf[head], "")
    um = np.where(pop.em, 1, -1).astype("int8")
    emig_day = pop.home_from + rng.integers(365, 4 * 365, n)
    emig = pop.refugee & (rng.random(n) < w.EMIGRATED_SHARE) & (emig_day <= g.last_day)
    emig = emig[head] & (emig_day[head] <= g.last_day)  # the household leaves together
    # Asylum seekers in a reception centre (not displaced Ukrainians): in the target group for training in
    # Norwegian days after arrival, with the asylum procedure (UDI's data in NIR).
    asylum = (pop.reception_host >= 0) & ~pop.ukr
    entry = np.minimum(pop.arrival + rng.integers(*w.ASYLUM_DUTY_ENTRY_DAYS, n), pop.settle - 1)
    entry = np.where(asylum, entry, NULL_DAY)
    proc = np.array([c for c, _ in w.ASYLUM_PROCEDURES])[_pick(rng, n, [s for _, s in w.ASYLUM_PROCEDURES])]
    return {
        "asylum_duty_group_entry": entry,
        "asylum_procedure": np.where(asylum, proc, ""),
        "citizenship": cit,
        "mother": mother,
        "unaccompanied_minor": um,
        "with_companion": pop.em_companion,
        "emigration_date": np.where(emig, emig_day[head], NULL_DAY),
        "death_date": np.full(n, NULL_DAY),  # no deaths generated
    }


def _finish(g: Generator, rng, pop: _Population, tables: dict[str, Rows]) -> dict[str, pl.DataFrame]:
    n = pop.n
    # The person becomes known to the register with its first registration.
    first_rec = np.full(n, np.iinfo(np.int64).max)
    for rows in tables.values():
        np.minimum.at(first_rec, rows.person, rows.rec)
    first_rec = np.minimum(first_rec, g.now_us)

    frames: dict[str, pl.DataFrame] = {}
    details, fix = _details(g, pop, first_rec)
    frames["PersonDetails"] = _assemble(g, rng, pop, "PersonDetails", details, fixed=fix)
    for name in TABLES[1:]:
        rows = tables.get(name)
        if rows is None:
            continue
        frames[name] = _assemble(g, rng, pop, name, rows)

    M = g.munis
    first_muni, _ = pop.muni_on(np.arange(n), utc_us_to_local_day(first_rec))
    frames["Person"] = pl.DataFrame(
        {
            "id": np.arange(n, dtype="int64"),
            "duf": pop.duf,
            "recorded_at": _ts(first_rec),
            "source_system": _gather("source_system", M.system_names, M.system_code[first_muni]),
        }
    )
    return {"Person": frames.pop("Person"), **frames}


def _ts(us: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(us, dtype="int64")).cast(pl.Datetime("us", "UTC"))


def _assemble(g: Generator, rng, pop: _Population, table: str, rows: Rows, fixed: dict | None = None) -> pl.DataFrame:
    """Base rows plus corrections and annulments, with bookkeeping columns and local ids."""
    # Order the base rows by person (stable), so that a person's rows are adjacent.
    order = np.argsort(rows.person, kind="stable")
    rows = rows.take(order)
    nb = len(rows)
    late_enough = rows.rec < g.now_us - 2 * US_PER_DAY
    if fixed is not None:  # details: the chosen persons (rows are already in person order)
        corr = np.zeros(nb, dtype=bool)
        corr[fixed["idx"]] = True
        corr_idx = fixed["idx"]
        orig_cols, reasons = fixed["cols"], fixed["reasons"]
    else:
        corr = rows.correctable & ~rows.system & late_enough & (rng.random(nb) < CORRECTION_SHARE)
        corr_idx = np.flatnonzero(corr)
        orig_cols, reasons = _perturb(g, pop, rng, table, rows, corr_idx)
    annul = np.zeros(nb, dtype=bool)
    if fixed is None:
        annul = ~corr & ~rows.system & late_enough & (rng.random(nb) < ANNUL_SHARE)
    annul_idx = np.flatnonzero(annul)

    # Registration times: a correction some days or weeks after the original.
    orig_rec = rows.rec[corr_idx]
    room = np.maximum(g.now_us - orig_rec - 60_000_000, 3_600_000_000)
    corr_rec = np.minimum(
        orig_rec + 3_600_000_000 + (rng.random(len(corr_idx)) * np.minimum(room, 120 * US_PER_DAY)).astype("int64"),
        g.now_us,
    )
    dup_rec = np.minimum(rows.rec[annul_idx] + rng.integers(60_000_000, 2 * US_PER_DAY, len(annul_idx)), g.now_us)
    tomb_rec = np.minimum(dup_rec + rng.integers(3_600_000_000, 30 * US_PER_DAY, len(annul_idx)), g.now_us)

    # Row kinds: 0 original (corrected later), 1 base/current, 2 duplicate, 3 annulment.
    base_seq = np.arange(nb)
    seq = np.concatenate([corr_idx, base_seq, annul_idx, annul_idx])
    kind = np.concatenate(
        [np.zeros(len(corr_idx)), np.ones(nb), np.full(len(annul_idx), 2), np.full(len(annul_idx), 3)]
    ).astype("int8")
    src = np.concatenate([corr_idx, base_seq, annul_idx, annul_idx])  # base row each version derives from
    order = np.lexsort((kind, seq))
    seq, kind, src = seq[order], kind[order], src[order]
    total = len(seq)

    rec = rows.rec[src].copy()
    is_orig = kind == 0
    is_corr = (kind == 1) & corr[src]
    is_dup, is_tomb = kind == 2, kind == 3
    # Position of each annulled/corrected base row's extra versions.
    rec[is_corr] = corr_rec[np.searchsorted(corr_idx, src[is_corr])]
    rec[is_dup] = dup_rec[np.searchsorted(annul_idx, src[is_dup])]
    rec[is_tomb] = tomb_rec[np.searchsorted(annul_idx, src[is_tomb])]
    superseded = np.full(total, -1, dtype="int64")
    pos = np.arange(total)
    # An original is superseded by the correction right after it; a duplicate by its annulment.
    superseded[is_orig] = rec[pos[is_orig] + 1]
    superseded[is_dup] = rec[pos[is_dup] + 1]
    supersedes = np.full(total, -1, dtype="int64")
    supersedes[is_corr] = pos[is_corr] - 1
    supersedes[is_tomb] = pos[is_tomb] - 1
    # Text columns with few distinct values are built from codes (gathering from a small
    # vocabulary is ~20x cheaper than converting numpy strings).
    op_code = np.where(is_corr, 1, np.where(is_tomb, 2, 0))
    annul_reasons = np.array(w.ANNUL_REASONS)
    vocab = np.unique(np.concatenate([np.array([""]), np.asarray(reasons, dtype=str), annul_reasons]))
    reason_code = np.zeros(total, dtype="int64")  # vocab[0] == ""
    reason_code[is_corr] = np.searchsorted(
        vocab, np.asarray(reasons, dtype=str)[np.searchsorted(corr_idx, src[is_corr])]
    )
    reason_code[is_tomb] = np.searchsorted(vocab, annul_reasons[rng.integers(0, len(annul_reasons), is_tomb.sum())])

    person = rows.person[src]
    system = rows.system[src]
    M = g.munis
    muni, _ = pop.muni_on(person, utc_us_to_local_day(rec))
    sys_i = system.astype("int64")

    data: dict[str, object] = {
        "id": pos.astype("int64"),
        "person_id": person.astype("int64"),
        "operation": _gather("operation", ("create", "correct", "annul"), op_code),
        "supersedes_id": pl.Series(supersedes).set(pl.Series(supersedes == -1), None),
        "change_reason": _gather("change_reason", vocab, reason_code),
        "recorded_at": _ts(rec),
        "superseded_at": _ts(superseded).set(pl.Series(superseded == -1), None),
        "registered_by_kind": _gather("registered_by_kind", ("client", "system"), sys_i),
        "registered_by_system": _gather("registered_by_system", ("", w.REGELMOTOR), sys_i),
        "source_system": _gather(
            "source_system", (*M.system_names, w.REGELMOTOR), np.where(system, len(M.system_names), M.system_code[muni])
        ),
        "client_muni": _gather("client_muni", (*M.number, ""), np.where(system, len(M.number), muni)),
    }
    o_pos = np.searchsorted(corr_idx, src[is_orig])
    for col, values in rows.cols.items():
        v = values[src]
        if is_orig.any():
            v = v.copy()
            v[is_orig] = orig_cols[col][o_pos]
        data[col] = _column(col, v)
    return pl.DataFrame(data)


def _column(name: str, v: np.ndarray):
    if name in DATE_FIELDS:
        s = pl.Series(name, np.where(v == NULL_DAY, 0, v).astype("int32")).cast(pl.Date)
        if (v == NULL_DAY).any():
            s = s.set(pl.Series(v == NULL_DAY), None)
        return s
    if name in NULLABLE_BOOL_FIELDS:
        s = pl.Series(name, v == 1)
        return s.set(pl.Series(v < 0), None) if (v < 0).any() else s
    if name in DECIMAL_FIELDS:
        return pl.Series(name, v.astype("float64"), nan_to_null=True)
    if v.dtype.kind == "U":
        if len(v) and (v == v[0]).all():
            return pl.repeat(str(v[0]), len(v), eager=True).alias(name)
        return pl.Series(name, v)
    return v


def _gather(name: str, vocab, codes: np.ndarray) -> pl.Series:
    return pl.Series(name, list(vocab), dtype=pl.Utf8).gather(np.asarray(codes, dtype="int64"))
