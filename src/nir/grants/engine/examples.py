"""``nir grants check``: run worked examples in the format of ``grant-examples.json`` (grants.md A.10).

A file holds ``{"examples": [...], "rate_sources": {...}}``, a list of examples or one example. Each
example gives its persons' facts (``persons[].facts``, by ``label``), its ``scheme``, its
``grant_year`` (a year, a list of years, or null), a cut-off (``known_at``) or payment ``rounds``, the
rates it uses (they override the shipped parameters for that example), and ``expected``. Every key of
``expected`` that is present is checked (the texts ``note``, ``reason``, ``pending_reason`` and
``paid_in`` only explain): ``lines`` (as a set: no more, no fewer, for the persons of ``lines_for``
when given), ``total``, ``not_eligible``, ``not_recipients``, ``statement_lines`` (per round: its
``lines`` with their delta as ``amount``, or the round's ``delta``; ``delta_total``), ``total_after``,
``year_index_by_grant_year``, ``grant_types_by_grant_year`` and a person label's attributes
(the extra grant's eligibility and deadlines).

:func:`check` returns one message per failing expectation; :func:`run` prints them and
``N passed, M failed`` and returns 0 only if every example passes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nir.grants import engine
from nir.grants.engine import params as grant_params
from nir.grants.engine import rounds
from nir.grants.engine.facts import GrantFactsError, population, timestamp
from nir.grants.engine.model import Line
from nir.rules.parameters import ParameterSet

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

EXPLAINING = {"note", "reason", "pending_reason", "paid_in"}


class ExampleError(ValueError):
    """The example itself cannot be read."""


def load(path: Path | str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The examples of one file and its ``rate_sources``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ExampleError(f"kan ikke leses: {e}") from None
    if isinstance(doc, dict) and "examples" in doc:
        return list(doc["examples"]), dict(doc.get("rate_sources") or {})
    if isinstance(doc, list):
        return doc, {}
    if isinstance(doc, dict):
        return [doc], {}
    raise ExampleError("forventet et objekt med «examples», en liste eller ett eksempel")


def find_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.rglob("*.json")))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(str(p))
    return files, missing


def _facts(example: Mapping[str, Any], person: Mapping[str, Any]) -> dict[str, Any]:
    """A person's facts; the mapping grant's example gives ``permit`` and ``mapping`` with the host
    municipality on the example instead."""
    if "facts" in person:
        return dict(person["facts"])
    facts: dict[str, Any] = {}
    if "permit" in person:
        facts["permits"] = [person["permit"]]
    if "mapping" in person:
        facts["competence_mappings"] = [{**person["mapping"], "host_municipality": example.get("host_municipality")}]
    return facts


def _years(example: Mapping[str, Any]) -> list[int]:
    y = example.get("grant_year")
    if y is None:
        return []
    return [int(v) for v in y] if isinstance(y, list) else [int(y)]


def _kr(amount: Decimal | int | float) -> int:
    return int(rounds.kroner(Decimal(str(amount))))


def _project(line: Line | rounds.StatementLine, fields: Iterable[str]) -> tuple[Any, ...]:
    out: list[Any] = []
    for f in fields:
        if f == "amount":
            out.append(_kr(line.delta if isinstance(line, rounds.StatementLine) else line.amount))
        elif f == "period":
            out.append((line.period[0].isoformat(), line.period[1].isoformat()) if line.period else None)
        else:
            out.append(getattr(line, f))
    return tuple(out)


def _expected(e: Mapping[str, Any], fields: Iterable[str]) -> tuple[Any, ...]:
    out = []
    for f in fields:
        v = e.get(f)
        if f == "period" and isinstance(v, Mapping):
            v = (v.get("from"), v.get("to"))
        out.append(v)
    return tuple(out)


def compare_lines(actual: list[Any], expected: list[Mapping[str, Any]], where: str) -> list[str]:
    """``expected`` as a set: the same lines, no more, no fewer (on the keys every expected line gives),
    and each expected line matched on all of its own keys."""
    if not expected:
        got_lines = [_project(a, ["person", "grant_type", "recipient", "amount"]) for a in actual]
        return [f"{where}: forventet ingen linjer, fikk {len(actual)}: {got_lines}"] if actual else []
    keys = [set(e) - EXPLAINING for e in expected]
    common = sorted(set.intersection(*keys))
    got = Counter(_project(a, common) for a in actual)
    want = Counter(_expected(e, common) for e in expected)
    out = []
    if got != want:
        out.append(f"{where}: linjer ({', '.join(common)}) forventet {sorted(want.elements(), key=str)}, "
                   f"fikk {sorted(got.elements(), key=str)}")  # fmt: skip
    for e, k in zip(expected, keys, strict=True):
        fields = sorted(k)
        if not any(_project(a, fields) == _expected(e, fields) for a in actual):
            out.append(f"{where}: ingen linje svarer til {dict((f, e[f]) for f in fields)}")
    return out


def _json(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return _kr(v)
    return v


def check(
    example: Mapping[str, Any], rate_sources: Mapping[str, Any] = {}, base: ParameterSet | None = None
) -> list[str]:
    """Every failing expectation of one example, as messages (empty: it passes)."""
    eid = str(example.get("id") or "?")
    scheme = str(example.get("scheme") or "")
    if scheme not in engine.SCHEMES and not example.get("municipalities"):
        return [f"{eid}: ukjent ordning {scheme!r}"]
    ps = grant_params.with_rates(base or grant_params.default(), example.get("rates") or [], rate_sources)
    persons = {str(p["label"]): _facts(example, p) for p in example.get("persons") or []}
    exp: Mapping[str, Any] = example.get("expected") or {}
    try:
        if example.get("rounds"):
            return _check_rounds(eid, example, scheme, persons, ps, exp)
        if example.get("municipalities"):
            return _check_recipients(eid, example, scheme, ps, exp)
        return _check_lines(eid, example, scheme, persons, ps, exp)
    except GrantFactsError as e:
        return [f"{eid}: {e}"]


def _check_lines(
    eid: str, example: Mapping[str, Any], scheme: str, persons: dict[str, Any], ps: ParameterSet, exp: Mapping[str, Any]
) -> list[str]:
    known_at = timestamp(example.get("known_at"), "known_at")
    ctx = engine.Context(population(persons, known_at), ps, known_at)
    lines: list[Line] = []
    findings = []
    for year in _years(example):
        for pid in persons:
            out = engine.entitlements(ctx, pid, year, [scheme])
            lines.extend(out.lines)
            findings.extend(out.findings)
    checked = lines
    if "lines_for" in exp:
        checked = [ln for ln in lines if ln.person in set(exp["lines_for"])]
    msgs: list[str] = []
    if "lines" in exp:
        msgs += compare_lines(checked, exp["lines"], eid)
    if "total" in exp and _kr(sum((ln.amount for ln in checked), Decimal(0))) != int(exp["total"]):
        msgs.append(
            f"{eid}: total forventet {exp['total']}, fikk {_kr(sum((ln.amount for ln in checked), Decimal(0)))}"
        )
    for ne in exp.get("not_eligible") or []:
        who = ne["person"]
        if any(ln.person == who for ln in lines):
            got_types = [ln.grant_type for ln in lines if ln.person == who]
            msgs.append(f"{eid}: {who} skulle ikke utløse tilskudd, men fikk {got_types}")
        elif not any(f.person == who and f.kind == "not_eligible" for f in findings):
            msgs.append(f"{eid}: {who} mangler begrunnelse for at personen ikke er i målgruppen")
    for r in exp.get("not_recipients") or []:
        if any(ln.recipient == r for ln in lines):
            msgs.append(f"{eid}: {r} skulle ikke motta noe")
    for key, attr in (("year_index_by_grant_year", "year_index"), ("grant_types_by_grant_year", "grant_type")):
        for year, want in (exp.get(key) or {}).items():
            ctx_lines = [ln for pid in persons for ln in engine.entitlements(ctx, pid, int(year), [scheme]).lines]
            got: Any = sorted({getattr(ln, attr) for ln in ctx_lines})
            got = (got[0] if got else None) if attr == "year_index" else got
            if got != (sorted(want) if isinstance(want, list) else want):
                msgs.append(f"{eid}: {key}[{year}] forventet {want}, fikk {got}")
    for label, want in exp.items():
        if label in persons and isinstance(want, Mapping):
            attributes = engine.ATTRIBUTES.get(scheme)
            if attributes is None:
                msgs.append(f"{eid}: ordningen {scheme} gir ingen egenskaper per person")
                continue
            got_attrs = attributes(ctx, ctx.population[label])
            for k, v in want.items():
                if k in EXPLAINING:
                    continue
                if _json(got_attrs.get(k)) != v:
                    msgs.append(f"{eid}: {label}.{k} forventet {v!r}, fikk {_json(got_attrs.get(k))!r}")
    return msgs


def _check_recipients(
    eid: str, example: Mapping[str, Any], scheme: str, ps: ParameterSet, exp: Mapping[str, Any]
) -> list[str]:
    fn = engine.RECIPIENT_GRANTS.get(scheme)
    if fn is None:
        return [f"{eid}: ordningen {scheme} har ikke tilskudd per kommune"]
    ctx = engine.Context(engine.Population({}), ps)
    year = _years(example)[0]
    got = {}
    for m in example["municipalities"]:
        line = fn(ctx, str(m["municipality"]), int(m["persons_in_basis"]), year)
        got[str(m["municipality"])] = (line.grant_type if line else None, _kr(line.amount) if line else 0)
    msgs = []
    for e in exp.get("lines") or []:
        want = (e.get("grant_type"), int(e.get("amount") or 0))
        if got.get(str(e["recipient"])) != want:
            msgs.append(f"{eid}: {e['recipient']} forventet {want}, fikk {got.get(str(e['recipient']))}")
    return msgs


def _check_rounds(
    eid: str, example: Mapping[str, Any], scheme: str, persons: dict[str, Any], ps: ParameterSet, exp: Mapping[str, Any]
) -> list[str]:
    paid: dict[rounds.Key, Decimal] = {}
    results: dict[str, rounds.RoundResult] = {}
    after: dict[str, dict[str, Decimal]] = {}
    for r in example["rounds"]:
        rnd = rounds.Round.parse(str(r["round"]), timestamp(r.get("cutoff_known_at"), "cutoff_known_at"), ps)
        res = rounds.run(rnd, persons, paid, ps, [scheme])
        results[rnd.id] = res
        paid = rounds.paid_after(paid, res)
        totals: dict[str, Decimal] = {}
        for key, amount in paid.items():
            totals[key[3]] = totals.get(key[3], Decimal(0)) + amount
        after[rnd.id] = totals
    recipient, grant_type = exp.get("recipient"), exp.get("grant_type")

    def chosen(res: rounds.RoundResult, person: str | None) -> list[rounds.StatementLine]:
        return [
            s
            for s in res.lines
            if person in (None, s.person) and recipient in (None, s.recipient) and grant_type in (None, s.grant_type)
        ]

    msgs: list[str] = []
    for sl in exp.get("statement_lines") or []:
        rid = str(sl["round"])
        if rid not in results:
            msgs.append(f"{eid}: terminen {rid} er ikke i eksemplets «rounds»")
            continue
        got = chosen(results[rid], sl.get("person"))
        where = f"{eid} {rid}"
        if "lines" in sl:
            msgs += compare_lines(got, sl["lines"], where)
        delta = _kr(sum((s.delta for s in got), Decimal(0)))
        if "delta" in sl and delta != int(sl["delta"]):
            msgs.append(f"{where}: delta forventet {sl['delta']}, fikk {delta}")
        if "delta_total" in sl and delta != int(sl["delta_total"]):
            msgs.append(f"{where}: delta_total forventet {sl['delta_total']}, fikk {delta}")
        if "requires_notice" in sl and any(s.requires_notice for s in got) != bool(sl["requires_notice"]):
            msgs.append(f"{where}: requires_notice forventet {sl['requires_notice']}")
    if "total" in exp:
        total = sum((s.delta for res in results.values() for s in chosen(res, None)), Decimal(0))
        if _kr(total) != int(exp["total"]):
            msgs.append(f"{eid}: total over terminene forventet {exp['total']}, fikk {_kr(total)}")
    for rid, want in (exp.get("total_after") or {}).items():
        for rcp, amount in want.items():
            got_amount = _kr(after.get(rid, {}).get(rcp, Decimal(0)))
            if got_amount != int(amount):
                msgs.append(f"{eid} {rid}: netto for {rcp} forventet {amount}, fikk {got_amount}")
    return msgs


def run(paths: Iterable[Path | str], out: SupportsWrite[str]) -> int:
    """Check every example under ``paths``: one line per failing expectation, then ``N passed, M failed``.
    Returns 0 iff every example passes (and every path exists)."""
    files, missing = find_files(paths)
    for m in missing:
        out.write(f"{m}: finnes ikke\n")
    passed = failed = 0
    for f in files:
        try:
            examples, sources = load(f)
        except ExampleError as e:
            out.write(f"{f}: {e}\n")
            failed += 1
            continue
        for ex in examples:
            msgs = check(ex, sources)
            for m in msgs:
                out.write(f"{f}: {m}\n")
            if msgs:
                failed += 1
            else:
                passed += 1
    out.write(f"{passed} passed, {failed} failed\n")
    return 1 if failed or missing else 0
