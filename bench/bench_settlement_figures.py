"""Benchmark: the national settlement figures (``nir.settlement.figures``) of a full synthetic year on PostgreSQL.

    python bench/bench_settlement_figures.py [--cases 15000] [--runs 7] [--database-url URL] [--persons N]

Starts a throwaway PostgreSQL (or uses ``--database-url``), migrates, and builds a synthetic settlement
year itself with bulk inserts (no actions, no register persons: the figures read only the settlement
tables): ``--cases`` households (default 15,000; ≈ 2.6 persons each) spread over every municipality
of the reference data (357), of which ≈ 85 % settled in 2025 and the rest ready at the year's end
(a third with an agreement), 5 % with special needs, ≈ 6 % EM; a proposal for every agreement plus
declined ones; the year's need, one sent request round (344 municipalities), decisions (329) and
capacity. Then it measures, after one untimed warm-up, ``--runs`` times each (p50 and max, seconds):

1. the national figures (``figures.compute(2025)``: every figure, per municipality, county and month, the
   ready-for-settlement stock at each month end) — target ≤ 2 s (issue 17);
2. the same as known at 1.7.2025 (an earlier moment);
3. one county (Vestland) and one municipality (Oslo);
4. the weekly list of one ISO week (whole country).

``--persons`` is accepted (``make bench`` passes it to every benchmark) and ignored. A JSON summary
goes to ``bench/out/bench_settlement_figures-<cases>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid

from _common import nir_command as _nir
from _common import server, write_summary

TARGET_SECONDS = 2.0
YEAR = 2025


def build_year(cases: int, seed: int = 17) -> dict:
    """A synthetic settlement year in the settlement tables, by bulk insert. Returns the row counts."""
    from zoneinfo import ZoneInfo

    from nir.reference.models import Municipality
    from nir.settlement import models as sm

    oslo = ZoneInfo("Europe/Oslo")
    rng = random.Random(seed)
    munis = sorted(set(Municipality.objects.values_list("number", flat=True)))
    weights = [rng.paretovariate(1.2) for _ in munis]  # a few large municipalities, many small
    book = {"registered_by_kind": sm.ActorKind.SYSTEM, "registered_by_system": "bench", "source_system": "bench"}

    def moment(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=oslo)

    t0 = moment(dt.date(YEAR, 1, 2))
    need = sm.SettlementNeed.objects.create(
        key=uuid.uuid4(),
        year=YEAR,
        persons=cases * 26 // 10,
        um_persons=cases // 16,
        decided_on=t0.date(),
        recorded_at=t0,
        **book,
    )
    dataset = sm.IndicatorDataset.objects.create(name="bench", synthetic=True, source="bench", recorded_at=t0, **book)
    rnd = sm.RequestRound.objects.create(
        year=YEAR,
        number=1,
        need=need,
        dataset=dataset,
        parameters_version="bench",
        parameters_sha256="0" * 64,
        sent_at=t0,
        recorded_at=t0,
        **book,
    )
    total_w = sum(weights)
    sm.MunicipalRequest.objects.bulk_create(
        [
            sm.MunicipalRequest(
                key=uuid.uuid4(),
                round=rnd,
                municipality=m,
                computed_persons=round(need.persons * w / total_w),
                computed_um=round(need.um_persons * w / total_w),
                persons=round(need.persons * w / total_w),
                um_persons=round(need.um_persons * w / total_w),
                recorded_at=t0,
                **book,
            )
            for m, w in list(zip(munis, weights))[:344]
        ]
    )
    sm.MunicipalDecision.objects.bulk_create(
        [
            sm.MunicipalDecision(
                key=uuid.uuid4(),
                municipality=m,
                year=YEAR,
                status=sm.DecisionStatus.DECIDED,
                persons=round(need.persons * w / total_w * 0.83),
                um_persons=round(need.um_persons * w / total_w * 0.8),
                decision_date=dt.date(YEAR, 2, 15),
                recorded_at=moment(dt.date(YEAR, 2, 20)),
                **book,
            )
            for m, w in list(zip(munis, weights))[:329]
        ]
    )
    sm.CapacityLine.objects.bulk_create(
        [
            sm.CapacityLine(
                key=uuid.uuid4(),
                municipality=m,
                kind=kind,
                period_from=dt.date(YEAR, q * 3 + 1, 1),
                period_to=dt.date(YEAR, q * 3 + 3, 28),
                places=rng.randrange(0, 30),
                recorded_at=moment(dt.date(YEAR, q * 3 + 1, 1)),
                **book,
            )
            for m in munis
            for kind in sm.CapacityKind.values
            for q in range(4)
        ]
    )

    case_rows, details, members, proposals, settle_plan = [], [], [], [], []
    locations = [
        (sm.CaseLocation.RECEPTION, 85),
        (sm.CaseLocation.PRIVATE, 8),
        (sm.CaseLocation.RESETTLEMENT, 5),
        (sm.CaseLocation.BUFETAT, 1),
        (sm.CaseLocation.UDI_SPECIAL, 1),
    ]
    for i in range(cases):
        permit = dt.date(YEAR - 1, 11, 1) + dt.timedelta(days=rng.randrange(400))
        ready = permit + dt.timedelta(days=rng.randrange(21))
        loc = rng.choices([x for x, _ in locations], [w for _, w in locations])[0]
        kind = rng.random()
        if kind < 0.06:
            people = [("child", True, rng.random() < 0.15)]
        elif kind < 0.45:
            people = [("adult", False, False)]
        elif kind < 0.6:
            people = [("adult", False, False)] * 2
        else:
            people = [("adult", False, False)] * rng.choice((1, 2)) + [("child", False, False)] * rng.randrange(1, 5)
        collective = rng.random() < 0.8 and loc != sm.CaseLocation.RESETTLEMENT
        recorded = moment(ready)
        case_rows.append(sm.SettlementCase(number=f"B-{YEAR}-{i:06d}", recorded_at=recorded, **book))
        details.append(
            dict(
                location=loc,
                location_municipality="" if loc == sm.CaseLocation.RESETTLEMENT else rng.choice(munis),
                permit_date=permit,
                ready_date=ready,
                special_need_level=sm.SpecialNeedLevel.MINOR if rng.random() < 0.05 else sm.SpecialNeedLevel.NONE,
                recorded_at=recorded,
            )
        )
        members.append((people, collective, loc == sm.CaseLocation.RESETTLEMENT, recorded))
        wait = int(rng.expovariate(1 / 90))
        settled = ready + dt.timedelta(days=wait)
        muni = rng.choices(munis, weights)[0]
        settle_plan.append((muni, settled, recorded))
    created = sm.SettlementCase.objects.bulk_create(case_rows, batch_size=2000)
    sm.CaseDetails.objects.bulk_create(
        [sm.CaseDetails(key=uuid.uuid4(), case=c, **d, **book) for c, d in zip(created, details)], batch_size=2000
    )
    member_rows = []
    for c, (people, collective, resettlement, recorded) in zip(created, members):
        for k, (role, um, companion) in enumerate(people):
            birth = dt.date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
            if role == "child":
                birth = dt.date(YEAR - 1 - rng.randrange(17), 1 + rng.randrange(12), 1 + rng.randrange(28))
            member_rows.append(
                sm.CaseMember(
                    key=uuid.uuid4(),
                    case=c,
                    first_name="Syntetisk",
                    last_name=f"Person{k}",
                    birth_date=birth,
                    role=role,
                    unaccompanied_minor=um,
                    companion=companion,
                    collective_protection=collective,
                    resettlement_refugee=resettlement,
                    recorded_at=recorded,
                    **book,
                )
            )
    sm.CaseMember.objects.bulk_create(member_rows, batch_size=5000)

    year_end = dt.date(YEAR, 12, 31)
    answers, agreement_rows, settlement_rows = [], [], []
    for c, (muni, settled, recorded) in zip(created, settle_plan):
        if rng.random() < 0.2:  # a declined proposal first
            proposals.append((c, rng.choice(munis), recorded + dt.timedelta(days=3), sm.AnswerKind.DECLINED))
        agreed = settled - dt.timedelta(days=21)
        if settled <= year_end or rng.random() < 0.33:
            proposals.append(
                (c, muni, moment(max(agreed, recorded.date() + dt.timedelta(days=5))), sm.AnswerKind.ACCEPTED)
            )
    prop_rows = sm.Proposal.objects.bulk_create(
        [
            sm.Proposal(case=c, municipality=m, deadline=(at + dt.timedelta(days=14)).date(), recorded_at=at, **book)
            for c, m, at, _a in proposals
        ],
        batch_size=5000,
    )
    plan = {c.pk: (muni, settled) for c, (muni, settled, _r) in zip(created, settle_plan)}
    for p, (_c, _m, at, answer) in zip(prop_rows, proposals):
        answers.append(sm.ProposalAnswer(proposal=p, answer=answer, recorded_at=at + dt.timedelta(days=2), **book))
        if answer == sm.AnswerKind.ACCEPTED:
            agreement_rows.append(
                sm.Agreement(
                    key=uuid.uuid4(),
                    case_id=p.case_id,
                    proposal=p,
                    municipality=p.municipality,
                    planned_date=plan[p.case_id][1],
                    capacity_kind=sm.CapacityKind.FAMILIES,
                    persons=1,
                    recorded_at=at + dt.timedelta(days=2),
                    **book,
                )
            )
    sm.ProposalAnswer.objects.bulk_create(answers, batch_size=5000)
    agreements = sm.Agreement.objects.bulk_create(agreement_rows, batch_size=5000)
    for a in agreements:
        muni, settled = plan[a.case_id]
        if settled <= year_end:
            settlement_rows.append(
                sm.CaseSettlement(
                    case_id=a.case_id,
                    agreement=a,
                    municipality=muni,
                    settlement_date=settled,
                    recorded_at=moment(settled + dt.timedelta(days=rng.randrange(4)), 15),
                    **book,
                )
            )
    sm.CaseSettlement.objects.bulk_create(settlement_rows, batch_size=5000)
    return {
        "municipalities": len(munis),
        "cases": len(created),
        "members": len(member_rows),
        "proposals": len(prop_rows),
        "agreements": len(agreements),
        "settled_cases": len(settlement_rows),
    }


def timed(fn, runs: int) -> dict:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return {"p50": round(times[len(times) // 2], 3), "max": round(times[-1], 3)}


def measure(url: str, cases: int, runs: int, skip_load: bool) -> dict:
    env = dict(os.environ, DATABASE_URL=url, NIR_VAR_DIR=tempfile.mkdtemp(prefix="nir-bench-var-"))
    subprocess.run([*_nir(), "migrate", "-v0"], check=True, env=env)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="nir.settings", NIR_VAR_DIR=env["NIR_VAR_DIR"])
    import django

    django.setup()
    from django.db import connection

    from nir.settlement import figures
    from nir.testing.builders import at

    out: dict = {"cases_asked": cases}
    if not skip_load:
        t = time.perf_counter()
        out["rows"] = build_year(cases)
        out["build_seconds"] = round(time.perf_counter() - t, 1)
        print(f"built {out['rows']} in {out['build_seconds']} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("VACUUM (ANALYZE)") if connection.get_autocommit() else c.execute("ANALYZE")
    national = figures.compute(YEAR)
    out["national_settled"] = national.values["settled"]
    out["national_ready_31_12"] = national.ready[-1]["persons"] if national.ready else None
    out["national_wait_total_months"] = national.values["wait_total"]
    print(
        f"national: {national.values['settled']:,} settled, {out['national_ready_31_12']} ready at 31.12., "
        f"waiting {national.values['wait_total']} months, {len(national.by_municipality)} municipalities",
        flush=True,
    )
    out["national"] = timed(lambda: figures.compute(YEAR), runs)
    out["national_known_at_1_7"] = timed(lambda: figures.compute(YEAR, known_at=at(YEAR, 7, 1)), runs)
    out["county_46"] = timed(lambda: figures.compute(YEAR, area="46"), runs)
    out["municipality_0301"] = timed(lambda: figures.compute(YEAR, area="0301"), runs)
    out["weekly_list"] = timed(lambda: figures.weekly_list(YEAR, 20), runs)
    out["target_seconds"] = TARGET_SECONDS
    out["ok"] = out["national"]["p50"] <= TARGET_SECONDS
    for key in ("national", "national_known_at_1_7", "county_46", "municipality_0301", "weekly_list"):
        print(f"{key}: p50 {out[key]['p50']} s, max {out[key]['max']} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=15_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--persons", type=int, help="ignored (make bench passes it to every benchmark)")
    ap.add_argument("--database-url", help="use this database (its settlement year already built) instead")
    args = ap.parse_args(argv)
    with server(args.database_url) as url:
        out = measure(url, args.cases, args.runs, skip_load=bool(args.database_url))
    write_summary("bench_settlement_figures", args.cases, out)
    print(f"national figures p50 {out['national']['p50']} s (target ≤ {TARGET_SECONDS} s)", flush=True)
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
