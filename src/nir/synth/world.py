"""The fixed world a synthetic population is drawn from.

Everything here is data: cohort sizes per year and permit basis, the
distributions of origin, sex, age and education per group, municipalities
with their population (``nir/reference/data/kommuner-2024.csv``), Oslo's
districts, the validity windows of the code lists (``nir.codes``), and the
case systems municipalities use. No Django and no database: the generator
runs in a worker process that imports only this package, numpy and polars.

Sources: settled refugees, resettled refugees and displaced Ukrainians
2021–2025 are IMDi's annual report 2025 (``shared/domain/figures-2025.md``,
section A); 2015–2020 and 2026 are the orders of magnitude given in the
issue; the split of other groups (family immigration, work, EEA) and every
distribution marked *assumed* are plausible choices for test data, not
statistics.
"""

from __future__ import annotations

import csv
import datetime as dt
import zlib
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from nir import codes
from nir.rules.dates import day
from nir.synth.names import ORIGINS, name_pools

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference" / "data"

# The municipality numbering in kommuner-2024.csv is valid from this date
# (nir.reference.loaders.NUMBERING_2024; a test keeps the two equal). A fact
# whose municipality number is required is accepted when the number is valid
# on the fact's date or on the day it is registered (nir.register.validation),
# so residences, follow-up periods and settlements dated earlier are
# registered no earlier than this day (Generator._rec(clamp_numbering=True)),
# and optional follow-up municipalities of older facts are left blank. Load an
# earlier numbering into the reference data and move this date to lift that.
MUNICIPALITY_NUMBERING_FROM = dt.date(2024, 1, 1)

# --- permit bases and groups ---------------------------------------------------------

BASES: tuple[str, ...] = (
    "utl_28",
    "utl_35_3",
    "utl_38_protection",
    "utl_38_5",
    "utl_34",
    "family_of_protected",
    "utl_53",
    "family_of_norwegian",
    "work",
    "family_of_worker",
    "eea",
)
B = {b: i for i, b in enumerate(BASES)}

# Groups that share distributions.
G_UKRAINE, G_RESETTLED, G_ASYLUM, G_FAMILY_PROT, G_FAMILY_NOR, G_WORK, G_EEA = range(7)
BASIS_GROUP = np.array(
    [
        G_ASYLUM,
        G_RESETTLED,
        G_ASYLUM,
        G_ASYLUM,
        G_UKRAINE,
        G_FAMILY_PROT,
        G_FAMILY_PROT,
        G_FAMILY_NOR,
        G_WORK,
        G_WORK,  # family of labour immigrants: origin, sex and age like the workers (assumed)
        G_EEA,
    ]
)
REFUGEE_BASES = np.array([B[b] for b in ("utl_28", "utl_35_3", "utl_38_protection", "utl_38_5", "utl_34")])
# Who has which right is not decided here: the generator asks the Regelmotor (nir.synth.derived).

# --- cohort sizes ----------------------------------------------------------------------

# year: (settled refugees, of whom resettled (utl_35_3), of whom displaced from Ukraine (utl_34))
SETTLED_REFUGEES: dict[int, tuple[int, int, int]] = {
    2015: (11_000, 2_000, 0),  # totals from the issue; resettled share assumed
    2016: (15_000, 3_000, 0),
    2017: (5_500, 2_800, 0),
    2018: (4_500, 2_100, 0),
    2019: (4_500, 2_800, 0),
    2020: (3_500, 1_500, 0),
    2021: (4_489, 3_641, 0),  # figures-2025.md A (L100–102)
    2022: (31_258, 3_146, 27_058),
    2023: (33_701, 2_223, 29_730),
    2024: (25_618, 1_468, 22_284),
    2025: (12_596, 682, 10_921),
    2026: (9_000, 450, 6_750),  # full-year pace giving ~8 000 by late November (issue); split assumed
}
LATEST_COHORT_YEAR = 2026  # later years repeat this year's sizes (assumed)

# Individual-protection refugees who are neither resettled nor Ukrainian, by basis (assumed).
ASYLUM_SPLIT = {"utl_28": 0.70, "utl_38_protection": 0.20, "utl_38_5": 0.10}
# Family immigration to protected persons, relative to that year's asylum + resettled refugees (assumed).
FAMILY_OF_PROTECTED_SHARE = 0.30
UTL_53_SHARE = 0.01
# Persons per year in the small groups (assumed).
# work was the worker and the family until issue 19; the family (family_of_worker) is assumed 40 % of the 500.
FLAT_PER_YEAR = {"family_of_norwegian": 1_200, "work": 300, "family_of_worker": 200, "eea": 200}

# The first day a cohort's event (settlement, or permit for others) can fall on.
# Collective protection for displaced Ukrainians started in March 2022.
UKRAINE_FIRST_PERMIT = dt.date(2022, 3, 11)
UKRAINE_FIRST_SETTLEMENT = dt.date(2022, 3, 21)
UKRAINE_FIRST_ARRIVAL = dt.date(2022, 2, 24)

# Mean days from permit decision to settlement, by settlement year (figures-2025.md A, L179;
# earlier years assumed like 2021). Ukrainians wait a little less (L256).
SETTLEMENT_WAIT_DAYS = {
    2015: 190,
    2016: 200,
    2017: 190,
    2018: 190,
    2019: 190,
    2020: 190,
    2021: 192,
    2022: 70,
    2023: 76,
    2024: 91,
    2025: 94,
    2026: 94,
}


def settlement_wait_days(year: np.ndarray) -> np.ndarray:
    """Mean waiting days by settlement year (years outside the table take its nearest year)."""
    years = np.array(sorted(SETTLEMENT_WAIT_DAYS))
    table = np.array([SETTLEMENT_WAIT_DAYS[y] for y in years], dtype="float64")
    return table[np.clip(np.asarray(year) - years[0], 0, len(years) - 1)]


# --- origins ------------------------------------------------------------------------------


def _origin_mix(group: int, year: int) -> dict[str, float]:
    """Origin shares per group and year (assumed; resettlement 2025 from figures-2025.md L386)."""
    if group == G_UKRAINE:
        return {"ukraine": 1.0}
    if group == G_RESETTLED:
        if year <= 2019:
            return {"syria": 0.70, "congo": 0.12, "eritrea": 0.06, "afghanistan": 0.06, "sudan": 0.06}
        if year <= 2022:
            return {"syria": 0.45, "congo": 0.20, "afghanistan": 0.15, "sudan": 0.10, "eritrea": 0.10}
        return {"sudan": 0.37, "afghanistan": 0.35, "palestine": 0.11, "congo": 0.09, "syria": 0.08}
    if group in (G_ASYLUM, G_FAMILY_PROT):
        if year <= 2017:
            return {"syria": 0.50, "eritrea": 0.20, "afghanistan": 0.15, "somalia": 0.08, "iran": 0.07}
        if year <= 2021:
            return {"syria": 0.30, "eritrea": 0.25, "afghanistan": 0.15, "somalia": 0.10, "turkey": 0.10, "iran": 0.10}
        return {
            "syria": 0.30,
            "afghanistan": 0.20,
            "eritrea": 0.15,
            "turkey": 0.10,
            "iran": 0.10,
            "somalia": 0.05,
            "palestine": 0.10,
        }
    if group == G_FAMILY_NOR:
        return {
            "thailand": 0.25,
            "philippines": 0.25,
            "russia": 0.15,
            "syria": 0.10,
            "somalia": 0.10,
            "eritrea": 0.10,
            "afghanistan": 0.05,
        }
    if group == G_WORK:
        return {"india": 0.35, "philippines": 0.30, "ukraine": 0.15, "russia": 0.10, "turkey": 0.10}
    return {"poland": 0.50, "lithuania": 0.30, "sweden": 0.20}


# Share female per group (assumed; many Ukrainian men stayed behind).
FEMALE_SHARE = np.array([0.62, 0.48, 0.42, 0.72, 0.75, 0.38, 0.40])

# Age at the permit decision: bins (inclusive) and weights per group (assumed).
AGE_BINS = np.array([[17, 17], [18, 24], [25, 34], [35, 44], [45, 55], [56, 62], [63, 67]])
AGE_WEIGHTS = np.array(
    [
        [0.010, 0.12, 0.25, 0.27, 0.20, 0.10, 0.05],  # Ukraine
        [0.015, 0.28, 0.34, 0.21, 0.11, 0.03, 0.015],  # resettled
        [0.015, 0.32, 0.36, 0.19, 0.08, 0.02, 0.015],  # asylum
        [0.010, 0.26, 0.40, 0.22, 0.08, 0.02, 0.010],  # family of protected
        [0.010, 0.20, 0.42, 0.24, 0.10, 0.02, 0.010],  # family of Norwegian
        [0.000, 0.10, 0.50, 0.28, 0.10, 0.02, 0.000],  # work
        [0.000, 0.12, 0.45, 0.28, 0.12, 0.03, 0.000],  # EEA
    ]
)

EDUCATION = ("below_upper_secondary", "upper_secondary_or_higher", "unknown")
# Education shares per group (assumed; Ukrainians mostly have upper secondary or higher).
EDUCATION_WEIGHTS = np.array(
    [
        [0.10, 0.85, 0.05],
        [0.60, 0.30, 0.10],
        [0.48, 0.42, 0.10],
        [0.50, 0.40, 0.10],
        [0.30, 0.60, 0.10],
        [0.05, 0.85, 0.10],
        [0.05, 0.85, 0.10],
    ]
)

# --- final goals (Tab 3.2.9, figures-2025.md B, L865–873) --------------------------------

GOAL_KINDS = ("work_vgo", "work_no_vgo", "primary", "vgo", "higher")
# Shares among registered goals, and the share of participants with no goal registered.
GOAL_SHARES_UKRAINE = np.array([0.85, 0.09, 0.01, 0.03, 0.02])
GOAL_MISSING_UKRAINE = 0.06
GOAL_SHARES_RIGHT_AND_DUTY = np.array([0.09, 0.26, 0.34, 0.31, 0.01])
GOAL_MISSING_RIGHT_AND_DUTY = 0.03
# Registrations outside the code's window for the programme start (deviation report rows).
GOAL_WRONG_WINDOW_SHARE = 0.02

# Candidate codes per goal kind with weights; the generator keeps those valid for the
# programme start (and registrable on the registration day) and renormalises.
GOAL_CANDIDATES: dict[str, list[tuple[str, float]]] = {
    "work_vgo": [("work_vgo_old", 1.0), ("work_vgo_2026", 0.9), ("vocational_requalification_2026", 0.1)],
    "work_no_vgo": [("work_no_vgo_old", 1.0), ("work_no_vgo_2026", 1.0)],
    "primary": [("complete_primary_old", 0.7), ("partial_primary_old", 0.3), ("partial_vgo_2025", 1.0)],
    "vgo": [
        ("complete_vgo_under_25_old", 0.8),
        ("complete_vgo_over_25_old", 0.8),
        ("partial_vgo_old", 0.2),
        ("complete_vgo_2025", 0.6),
        ("partial_vgo_2025", 0.2),
        ("vocational_2025", 0.2),
    ],
    "higher": [("higher_education_old", 1.0), ("higher_education_2026", 1.0)],
}

# Programme length and extension per final goal: the rules' parameters (Generator.goal_months).

# --- other code choices (weights assumed unless noted) -------------------------------------

TERMINATION_REASONS: list[tuple[str, float]] = [
    ("work", 0.30),
    ("work_wage_subsidy", 0.06),
    ("work_and_education", 0.09),  # work ~45 %
    ("education", 0.14),
    ("primary_education", 0.06),
    ("deadline_reached", 0.14),
    ("health", 0.04),
    ("care", 0.04),
    ("moved_municipality", 0.03),
    ("moved_abroad", 0.01),
    ("no_show", 0.02),
    ("other", 0.025),
    ("deceased", 0.005),
]
TERMINATION_TYPE_OF_REASON = {
    "moved_municipality": "moved",
    "health": "aborted",
    "care": "aborted",
    "moved_abroad": "aborted",
    "no_show": "aborted",
    "other": "aborted",
    "deceased": "aborted",
}
WORK_REASONS = ("work", "work_wage_subsidy", "work_and_education", "loss_due_to_work")
TERMINATION_REASON_MISSING = 0.03  # figures-2025.md B L795: some terminations lack a reason

MEASURES_UKRAINE: list[tuple[str, float]] = [
    ("language_practice", 0.20),
    ("work_practice", 0.22),
    ("job_training", 0.14),
    ("wage_subsidy", 0.05),
    ("life_skills", 0.16),
    ("social_studies", 0.10),
    ("parenting", 0.04),
    ("health", 0.03),
    ("career_guidance", 0.04),
    ("upper_secondary", 0.01),
    ("primary_education", 0.01),
]
MEASURES_OTHERS: list[tuple[str, float]] = [
    ("language_practice", 0.12),
    ("work_practice", 0.13),
    ("job_training", 0.07),
    ("wage_subsidy", 0.03),
    ("primary_education", 0.15),
    ("upper_secondary", 0.08),
    ("vocational_training", 0.05),
    ("higher_education_prep", 0.02),
    ("life_skills", 0.07),
    ("social_studies", 0.12),
    ("parenting", 0.08),
    ("health", 0.04),
    ("career_guidance", 0.04),
]
MEASURE_HOURS: dict[str, tuple[float, float]] = {
    "norwegian_training": (10, 15),
    "social_studies": (2, 5),
    "language_practice": (8, 20),
    "work_practice": (15, 30),
    "wage_subsidy": (20, 37.5),
    "job_training": (5, 15),
    "vocational_training": (15, 30),
    "primary_education": (15, 25),
    "upper_secondary": (20, 30),
    "higher_education_prep": (10, 20),
    "life_skills": (2, 6),
    "parenting": (2, 4),
    "health": (2, 8),
    "career_guidance": (1, 3),
}

# kind: (weight, min days, max days) of one absence period in the programme.
ABSENCE_KINDS: list[tuple[str, float, int, int]] = [
    ("absence", 0.35, 1, 5),
    ("time_off", 0.15, 1, 2),
    ("leave", 0.15, 3, 45),
    ("holiday", 0.25, 5, 21),
    ("invalid_absence", 0.10, 1, 3),
]

# --- tests taken (prøver) --------------------------------------------------------------------
# Persons with right and duty or duty to Norwegian training whose deadline has passed: the share
# who took at least one test, and of those the share who passed at least one — the orders of
# magnitude of IMDi's annual report, Tab 3.2.18 (Gjennomføringsfrist i året / avlagt prøve / bestått).
# Drawn as quotas per deadline year (nir.synth.generator._quota): the share who sat Norskprøven (met,
# whatever the result) by 31.12. of the deadline's year, and of them the share who passed a skill.
EXAM_TAKEN_SHARE = 0.55
EXAM_PASSED_SHARE = 0.95
# Of the others whose deadline has passed, the share registered as not having shown up (Ikke møtt) only.
EXAM_ABSENT_ONLY_SHARE = 0.05
# Everyone else in Norwegian training (deadline not yet passed, or collective protection) who has
# trained for at least EXAM_EARLY_AFTER_DAYS: the share who already took a test (assumed).
EXAM_EARLY_SHARE = 0.25
EXAM_EARLY_AFTER_DAYS = 270
# What a taker took (assumed): Norskprøven (all four skills, one row each) and/or the social
# studies test; each test of a person who passed is passed with these shares (at least one is);
# a person who passed nothing did not show up (Ikke møtt) with EXAM_ABSENT_SHARE, else failed.
EXAM_NORWEGIAN_SHARE = 0.92
EXAM_SOCIAL_STUDIES_SHARE = 0.55
EXAM_SKILL_PASSED = 0.90
EXAM_SOCIAL_STUDIES_PASSED = 0.90
EXAM_ABSENT_SHARE = 0.20
EXAM_SKILLS = ("norwegian_oral", "norwegian_listening", "norwegian_reading", "norwegian_writing")
# CEFR level reached on a passed Norwegian skill, by education (assumed); each skill differs from
# the person's level by one step with EXAM_LEVEL_SPREAD on either side, but never up to C1
# (index 4) unless that is the person's level.
EXAM_LEVELS = ("A1", "A2", "B1", "B2", "C1")
EXAM_LEVEL_WEIGHTS = {
    "below_upper_secondary": (0.20, 0.42, 0.30, 0.08, 0.00),
    "upper_secondary_or_higher": (0.05, 0.22, 0.45, 0.26, 0.02),
    "unknown": (0.12, 0.33, 0.38, 0.16, 0.01),
}
EXAM_LEVEL_SPREAD = 0.2
EXAM_LEVEL_MAX_SPREAD_TO = 3

CASE_SYSTEMS: list[tuple[str, float]] = [
    ("Visma Flyt Intro (syntetisk)", 0.45),
    ("Acos (syntetisk)", 0.25),
    ("Tieto Kompass (syntetisk)", 0.18),
    ("Egenutviklet fagsystem (syntetisk)", 0.12),
]
REGELMOTOR = "Regelmotor"

# Correction reasons per table (user-facing, Norwegian).
CORRECTION_REASONS: dict[str, tuple[str, ...]] = {
    "details_name": ("Navn rettet etter ID-kontroll", "Skrivefeil i navn rettet"),
    "details_id": ("Fødselsnummer tildelt, erstatter D-nummer",),
    "permit": ("Feil vedtaksdato rettet",),
    "residence": ("Feil fradato rettet",),
    "follow_up": ("Feil fradato rettet",),
    "settlement": ("Feil bosettingsdato rettet",),
    "decision": ("Feil startdato rettet", "Startdato rettet etter ny opplysning fra kommunen"),
    "final_goal": ("Feil sluttmål rettet",),
    "extension": ("Feil antall måneder rettet",),
    "participation": ("Feil timetall rettet",),
    "measure": ("Feil timetall per uke rettet",),
    "absence": ("Feil fraværstype rettet",),
    "termination": ("Feil avslutningsårsak rettet",),
    "career_guidance": ("Feil type veiledning rettet",),
    "competence_mapping": ("Feil utførende organisasjon rettet",),
    "exam": ("Feil prøvedato rettet",),
}
ANNUL_REASONS = ("Dobbeltregistrering slettet", "Registrert to ganger ved overføring fra fagsystem")


@dataclass(frozen=True)
class Window:
    lo: int  # first valid day (day number)
    hi: int  # last valid day


_FAR_PAST = day(dt.date(1900, 1, 1))
_FAR_FUTURE = day(dt.date(2100, 12, 31))


def code_windows(list_name: str) -> dict[str, Window]:
    """Validity windows of a code list as day numbers (open ends made finite)."""
    out = {}
    for c in codes.code_list(list_name).codes:
        out[c.code] = Window(
            day(c.valid_from) if c.valid_from else _FAR_PAST,
            day(c.valid_to) if c.valid_to else _FAR_FUTURE,
        )
    return out


def registrable_from(code: str) -> int:
    """The first day a final-goal code could be registered (attrs.registrable_from, else its window)."""
    c = codes.code_list("final_goal").get(code)
    rf = c.attrs.get("registrable_from") if c else None
    if rf:
        return day(rf if isinstance(rf, dt.date) else dt.date.fromisoformat(str(rf)))
    return day(c.valid_from) if c and c.valid_from else _FAR_PAST


@cache
def goal_education(code: str) -> str:
    """The education level a final goal presupposes (attrs.education), or ''."""
    c = codes.code_list("final_goal").get(code)
    return str(c.attrs.get("education", "")) if c else ""


def case_system_of(municipality: str) -> str:
    """The (synthetic) case system a municipality uses; fixed per municipality, not per run."""
    u = (zlib.crc32(municipality.encode()) % 10_000) / 10_000
    acc = 0.0
    for name, w in CASE_SYSTEMS:
        acc += w
        if u < acc:
            return name
    return CASE_SYSTEMS[-1][0]


@dataclass
class Municipalities:
    number: np.ndarray  # str
    name: np.ndarray  # str
    county: np.ndarray  # str, short county name
    weight: np.ndarray  # population share
    system: np.ndarray  # case system name
    system_code: np.ndarray  # index into system_names
    system_names: tuple[str, ...]
    oslo_index: int
    districts: np.ndarray  # Oslo district numbers used for persons (0301NN)
    valid_from: int  # day number from which these numbers are valid


@lru_cache(maxsize=1)
def municipalities() -> Municipalities:
    with open(REFERENCE_DIR / "kommuner-2024.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    number = np.array([r["kommunenummer"] for r in rows])
    pop = np.array([int(r["folketall"]) for r in rows], dtype="float64")
    with open(REFERENCE_DIR / "bydeler-oslo.csv", encoding="utf-8", newline="") as fh:
        # Sentrum and Marka have almost no residents: nobody is settled there.
        districts = [r["bydelsnummer"] for r in csv.DictReader(fh) if r["bydelsnavn"] not in ("Sentrum", "Marka")]
    return Municipalities(
        number=number,
        name=np.array([r["kommunenavn"] for r in rows]),
        county=np.array([r["fylkesnavn"].split(" - ")[0] for r in rows]),
        weight=pop / pop.sum(),
        system=np.array([case_system_of(n) for n in number]),
        system_code=np.array([[s for s, _ in CASE_SYSTEMS].index(case_system_of(n)) for n in number]),
        system_names=tuple(s for s, _ in CASE_SYSTEMS),
        oslo_index=int(np.flatnonzero(number == "0301")[0]),
        districts=np.array(districts),
        valid_from=day(MUNICIPALITY_NUMBERING_FROM),
    )


@dataclass
class Cohorts:
    """The joint distribution of (event year, permit basis), with each category's day window."""

    year: np.ndarray
    basis: np.ndarray
    lo: np.ndarray  # first day of the event window
    hi: np.ndarray  # last day of the event window
    p: np.ndarray  # probabilities (sum 1)
    origin_cum: np.ndarray  # (categories, origins) cumulative origin shares
    expected: dict = field(default_factory=dict)


def _year_sizes(year: int) -> dict[str, float]:
    total, resettled, ukraine = SETTLED_REFUGEES[min(year, LATEST_COHORT_YEAR)]
    asylum = total - resettled - ukraine
    sizes = {b: asylum * s for b, s in ASYLUM_SPLIT.items()}
    sizes["utl_35_3"] = resettled
    sizes["utl_34"] = ukraine
    sizes["family_of_protected"] = FAMILY_OF_PROTECTED_SHARE * (asylum + resettled)
    sizes["utl_53"] = UTL_53_SHARE * (asylum + resettled)
    sizes.update(FLAT_PER_YEAR)
    return sizes


def cohorts(today: dt.date) -> Cohorts:
    """Cohort categories up to ``today`` (the local date of *now*); events fall before ``today``."""
    first_year = min(SETTLED_REFUGEES)
    if today <= dt.date(first_year, 1, 2):
        raise ValueError(f"now must be after {first_year}-01-02")
    last_day = day(today) - 1
    origin_index = {o: i for i, o in enumerate(ORIGINS)}
    years, bases, los, his, weights, ocum = [], [], [], [], [], []
    for year in range(first_year, today.year + 1):
        y_lo, y_hi = day(dt.date(year, 1, 1)), min(day(dt.date(year, 12, 31)), last_day)
        if y_hi < y_lo:
            continue
        for basis, size in _year_sizes(year).items():
            lo = y_lo
            if basis == "utl_34":
                lo = max(lo, day(UKRAINE_FIRST_SETTLEMENT))
            if size <= 0 or lo > y_hi:
                continue
            full = day(dt.date(year, 12, 31)) - lo + 1
            years.append(year)
            bases.append(B[basis])
            los.append(lo)
            his.append(y_hi)
            weights.append(size * (y_hi - lo + 1) / full)
            mix = _origin_mix(int(BASIS_GROUP[B[basis]]), year)
            vec = np.zeros(len(ORIGINS))
            for o, s in mix.items():
                vec[origin_index[o]] = s
            ocum.append(np.cumsum(vec / vec.sum()))
    w = np.array(weights)
    return Cohorts(
        year=np.array(years),
        basis=np.array(bases),
        lo=np.array(los),
        hi=np.array(his),
        p=w / w.sum(),
        origin_cum=np.array(ocum),
    )


@dataclass
class NamePools:
    first: np.ndarray  # all given names, concatenated
    last: np.ndarray  # all family names, concatenated (male and female variants)
    first_off: np.ndarray  # (origins, 2 sexes) offset into ``first``; sex 0 = male, 1 = female
    first_len: np.ndarray
    last_off: np.ndarray
    last_len: np.ndarray


@lru_cache(maxsize=1)
def names() -> NamePools:
    pools = name_pools()
    first, last = [], []
    first_off = np.zeros((len(ORIGINS), 2), dtype="int64")
    first_len = np.zeros_like(first_off)
    last_off = np.zeros_like(first_off)
    last_len = np.zeros_like(first_off)
    for i, o in enumerate(ORIGINS):
        male, female, fam_m, fam_f = pools[o]
        for s, (given, fam) in enumerate(((male, fam_m), (female, fam_f))):
            first_off[i, s], first_len[i, s] = len(first), len(given)
            first.extend(given)
            last_off[i, s], last_len[i, s] = len(last), len(fam)
            last.extend(fam)
    return NamePools(np.array(first), np.array(last), first_off, first_len, last_off, last_len)


# --- the grants' facts (issue 20, grants.md A.1.1) ---------------------------------------------
# Households of settled refugees. Household types (persons settled alone, couples without children,
# families with children, unaccompanied minors), as shares of households: IMDi's annual report 2025
# (figures-2025.md Tab 3.1.9) has families with children 5,062 of 10,912 persons settled from reception
# (46 %) and unaccompanied minors 783 of 12,596 settled (6 %); the split of the rest between singles and
# couples is assumed. With families of 2–6 (one or two adults, the rest children) these shares give
# about half the persons in families with children and about 5 % unaccompanied minors.
HOUSEHOLD_KINDS = ("single", "couple", "family", "em")
HOUSEHOLD_WEIGHTS = (0.60, 0.08, 0.22, 0.10)
FAMILY_SIZE_WEIGHTS = (0.15, 0.30, 0.30, 0.15, 0.10)  # 2–6 persons (assumed)
FAMILY_TWO_ADULTS = 0.70  # families with two adults; the others have one parent (assumed)
EM_WITH_COMPANION = 118 / 783  # settled EM with a følgeperson in 2025 (figures-2025.md, L416–418)
EM_AGE = (13, 17)  # age of an unaccompanied minor at the permit (assumed)
# A family's youngest child is born in Norway after the mother's settlement, 0–9 months after (the grant
# counts those born up to 6 months after): assumed.
BORN_AFTER_SETTLEMENT_SHARE = 0.10
BORN_AFTER_SETTLEMENT_DAYS = (0, 270)

# Folkeregister: the address of a settled person comes from the Folkeregister; a few are registered
# only by the municipality so far (the grant is pending until the Folkeregister has them): assumed.
FOLKEREGISTER_MISSING_SHARE = 0.02
# Permits of refugees and their families are effectuated days after the decision (UDI's practice is
# within weeks; assumed); a few have no effectuation registered yet (pending).
EFFECTUATED_SHARE_REFUGEE = 0.97
EFFECTUATION_DAYS = (1, 21)
# A few persons emigrate some years after settlement (assumed; the Folkeregister reports it).
EMIGRATED_SHARE = 0.01
# Family immigrants to protected persons: the reference person's DUF, first settlement and the
# application date (months after that settlement; a few more than five years: excluded).
FAMILY_APPLICATION_DAYS = (30, 400)
# Asylum seekers stay in a reception centre from arrival to settlement (87 % of those settled came
# from mottak in 2025, figures-2025.md Tab 3.1.9).
RECEPTION_STAY_SHARE = 0.87
# Competence mappings: registered in IMDi's mapping tool for most (assumed).
MAPPING_IN_TOOL_SHARE = 0.85
MAPPING_LEGAL_BASIS = {"before_settlement": "il_6", "simplified": "il_6a_simplified", "after_settlement": "il_10"}
# Young adults (16–24 at settlement) in full-time upper-secondary education for some school years (assumed).
UPPER_SECONDARY_AGE = (16, 24)
UPPER_SECONDARY_SHARE = 0.30
UPPER_SECONDARY_FULL_TIME = 0.85
# Citizenship (ISO 3166-1 alpha-3) by origin; Palestinians are mostly stateless (XXA) or Syrian/Jordanian
# (assumed shares), the rest hold their origin's citizenship.
CITIZENSHIP = {
    "ukraine": "UKR",
    "syria": "SYR",
    "palestine": "XXA",
    "afghanistan": "AFG",
    "eritrea": "ERI",
    "somalia": "SOM",
    "congo": "COD",
    "sudan": "SDN",
    "iran": "IRN",
    "turkey": "TUR",
    "thailand": "THA",
    "philippines": "PHL",
    "russia": "RUS",
    "india": "IND",
    "poland": "POL",
    "lithuania": "LTU",
    "sweden": "SWE",
}
PALESTINE_OTHER = (("SYR", 0.3), ("JOR", 0.1))
# Asylum seekers enter the training's target group days after arrival; the procedure of their application
# (assumed shares; only the ordinary procedure triggers the asylum seekers' Norwegian grant, grants.md A.5.5).
ASYLUM_DUTY_ENTRY_DAYS = (3, 30)
ASYLUM_PROCEDURES = (("ordinary", 0.92), ("fast_track", 0.05), ("dublin", 0.03))
