"""``nir rules explain``: one person's derived values and the rules and facts behind them, in Norwegian."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nir import codes, rules
from nir.register import models as m

CATEGORY_LABELS = {
    "intro": {
        "right_and_duty": "Rett og plikt til introduksjonsprogram",
        "right": "Rett til introduksjonsprogram",
        "may_be_offered": "Kan få tilbud om introduksjonsprogram",
        "none": "Ingen rett eller plikt til introduksjonsprogram",
    },
    "norwegian": {
        "right_and_duty": "Rett og plikt til opplæring i norsk og samfunnskunnskap",
        "duty": "Plikt til opplæring i norsk og samfunnskunnskap",
        "right": "Rett til norsk",
        "none": "Ingen rett eller plikt til opplæring i norsk",
    },
}
LAW_LABELS = {"integreringsloven": "Integreringsloven", "introduksjonsloven": "Introduksjonsloven"}
DEVIATION_LABELS = {
    "final_goal_missing": "Med vedtak om introduksjonsprogram, men ikke registrert sluttmål",
    "final_goal_2026_before_2026_start": "Med oppstart i introduksjonsprogram før 2026, men med sluttmål fra 1.1.2026",
    "final_goal_expired": "Med oppstart i introduksjonsprogram fra 2026, men med sluttmål som ikke gjelder lenger",
}
KEY_LABELS = {
    "law": "Lov",
    "intro.category": "NIR-kategori introduksjonsprogram",
    "intro.closed": "Avslutning (Regelmotor)",
    "intro.deadline": "Gjennomføringsfrist introduksjonsprogram",
    "intro.absence_workdays": "Fravær, fri og permisjon (virkedager)",
    "norwegian.category": "NIR-kategori opplæring i norsk",
    "norwegian.deadline": "Gjennomføringsfrist norsk og samfunnskunnskap",
    "norwegian.leave_workdays": "Permisjon norsk (virkedager)",
    "deviations": "Avvik",
}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    if isinstance(value, dict):
        return ", ".join(_fmt(v) for v in value.values())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value) or "ingen"
    return str(value)


def value_label(key: str, value: Any) -> str:
    if key == "law":
        label: str = LAW_LABELS.get(value, value)
        return label
    if key.endswith(".category"):
        category: str = CATEGORY_LABELS[key.split(".")[0]].get(value, value)
        return category
    if key == "deviations":
        return "; ".join(DEVIATION_LABELS.get(v, v) for v in value) or "ingen"
    if key == "intro.final_goal" and value:
        return codes.label("final_goal", value)
    return _fmt(value)


def explain_lines(person: m.Person, result: rules.Result) -> list[str]:
    doc = result.to_json()
    lines = [f"DUF {person.duf} – vurdert per {result.as_of:%d.%m.%Y} (regelmotor)", ""]
    values = {
        "law": doc["law"],
        **{f"intro.{k}": v for k, v in doc["intro"].items()},
        **{f"norwegian.{k}": v for k, v in doc["norwegian"].items()},
        "deviations": doc["deviations"],
    }
    explanations = doc["explanations"]
    unverified = set(result.unverified)
    for key, label in KEY_LABELS.items():
        # three-valued: derived through a rule or parameter not verified against the law
        flag = " [ikke verifisert: " + "; ".join(result.unverified_sources(key)) + "]" if key in unverified else ""
        lines.append(f"{label}: {value_label(key, values.get(key))}{flag}")
        for step in explanations.get(key, []):
            mark = "" if step.get("verified", True) else " (ikke verifisert)"
            lines.append(f"    – {step['text']}{mark}")
            lines.append(f"      regel {step['rule']}, kilde: {step['source']}")
            facts = {k: v for k, v in (step.get("facts") or {}).items() if k != "path"}
            if facts:
                lines.append("      fakta: " + ", ".join(f"{k}={_fmt(v)}" for k, v in facts.items()))
            for p in step.get("parameters", []):
                lines.append(f"      parameter {p['name']} = {_fmt(p['value'])} ({p['source']})")
    if explanations.get("errors"):
        lines.append("")
        lines.append("Regelbrudd (registreringer som ikke er lagt til grunn):")
        for e in explanations["errors"]:
            lines.append(f"    – {e['text']} [{e['rule']}, {e['subject']}; kilde: {e['source']}]")
    return lines
