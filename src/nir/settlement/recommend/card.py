"""The model card: what a trained recommendation model is for, what it learned from, how well it
did on years it had not seen, and its limits. A JSON-serialisable dict (stored as ``card.json``
beside the model and in the model registry) and its Markdown rendering for people."""

from __future__ import annotations

from typing import Any

from . import features as F

INTENDED_USE = (
    "Decision support for IMDi's settlement caseworkers: for a refugee household ready for "
    "settlement, the predicted chance that each member aged 16-64 is in work or education two years "
    "after settlement and that the household still lives in the municipality, for every "
    "municipality, so the batch can be assigned to maximise both and each case explained. "
    "The caseworker decides; the model never settles anyone by itself."
)
LIMITS = (
    "Learned from past settlements only: households placed by a partly random past policy, so "
    "municipalities with few past settlements get estimates shrunk towards the average.",
    "Predictions for a new year use the latest training year's level, calibrated on held-out years; "
    "a change in the labour market since then is not seen.",
    "The indicators of a synthetic world are SYNTHETIC, not statistics; figures measured on a world "
    "say how the method behaves, not how Norwegian municipalities are.",
    "A household's value is the SUM over its members aged 16-64 of P(work) times P(stay): a family "
    "is never scored by its most employable member; children's outcomes are not predicted.",
    "Not for decisions about a person's rights; not for ranking persons against each other.",
)


def build_card(**info: Any) -> dict[str, Any]:
    learner = info["learner"]
    return {
        "version": info["version"],
        "trained_at": info["trained_at"],
        "intended_use": INTENDED_USE,
        "training_data": {
            "period": f"{info['years'][0]}-{info['years'][-1]}",
            "years": info["years"],
            "households": info["households"],
            "persons_16_64": info["persons"],
            "municipalities_with_settlements": info["municipalities_seen"],
            "sha256": info["data_hash"],
        },
        "outcomes": {
            "work": "in work or education two years after settlement, persons aged 16-64",
            "stay": "household still registered in the settlement municipality two years after settlement",
            "joint": "sum over members aged 16-64 of P(work) x P(stay) (the assignment's objective)",
        },
        "features": {
            "work": list(F.WORK_COLUMNS),
            "stay": list(F.STAY_COLUMNS),
            "pair_features": list(F.PAIR_COLUMNS),
            "municipality_effects": (
                "empirical-Bayes shrunken mean residual of a municipality-blind logistic model, per "
                "municipality and outcome; out-of-fold (5 folds by household) for training rows"
            ),
            "effects_spread": info.get("effects_spread", {}),
        },
        "learner": {
            "chosen": learner,
            "compared": info["learners"],
            "interactions": info["interactions"],
            "rule": "per outcome, the lowest log-loss on the latest held-out year",
        },
        "validation": {
            "method": "leave one settlement year out: train on the other years, predict the held-out "
            "year at the municipalities where its households were settled",
            "held_out_years": info["held_out_years"],
            "by_learner": info["validation"],
        },
        "calibration": {
            "method": "Platt map (logistic on the logit) per outcome, fitted on the pooled held-out-year "
            "predictions of the chosen learner; per-year calibrated totals use a map fitted on the other years",
            "map": info["calibration"],
            "table_by_decile": info["calibration_table"],
        },
        "uncertainty": {
            "method": f"ensemble of {info['n_boot']} models on bootstrap resamples of households; "
            "sd = spread of the members' predictions; the joint's sd from the work and stay sds (delta method)",
            "members": info["n_boot"],
        },
        "limits": list(LIMITS),
        "fairness": None,  # filled by fairness_report on a batch (fairness.py)
        "seconds": info["seconds"],
    }


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def render_markdown(card: dict[str, Any]) -> str:
    """The card for people: headings, the validation table per held-out year, the calibration table."""
    td = card["training_data"]
    lines = [
        f"# Model card — {card['version']}",
        "",
        "## Intended use",
        "",
        card["intended_use"],
        "",
        "## Training data",
        "",
        f"Settlements {td['period']}: {td['households']} households, {td['persons_16_64']} persons aged 16-64, "
        f"{td['municipalities_with_settlements']} municipalities with settlements. Data hash `{td['sha256'][:16]}`.",
        "",
        "## Outcomes",
        "",
        *(f"- **{k}**: {v}" for k, v in card["outcomes"].items()),
        "",
        "## Features",
        "",
        f"- Work model: {', '.join(card['features']['work'])}",
        f"- Stay model: {', '.join(card['features']['stay'])}",
        f"- Municipality effects: {card['features']['municipality_effects']}",
        "",
        "## Learner",
        "",
        "Chosen: "
        + ", ".join(f"**{v}** for {k}" for k, v in card["learner"]["chosen"].items())
        + f" of {', '.join(card['learner']['compared'])} "
        f"({card['learner']['rule']}).",
        "",
        "## Validation by held-out year",
        "",
        card["validation"]["method"] + ".",
        "",
        "| learner | year | outcome | n | log-loss | AUC | Brier | observed | predicted | calibrated |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for learner, years in card["validation"]["by_learner"].items():
        for year, row in years.items():
            for o, m in row.items():
                lines.append(
                    f"| {learner} | {year} | {o} | {m['n']} | {_fmt(m['log_loss'])} | {_fmt(m['auc'])} | "
                    f"{_fmt(m['brier'])} | {m['observed_total']} | {_fmt(m['predicted_total'])} | "
                    f"{_fmt(m.get('calibrated_predicted_total', ''))} |"
                )
    cal = card["calibration"]
    lines += ["", "## Calibration", "", cal["method"] + ".", ""]
    for o, t in cal["table_by_decile"].items():
        lines += [f"**{o}** (map {cal['map'][o]})", "", "| decile | n | predicted | observed |", "|---|---|---|---|"]
        lines += [f"| {r['decile']} | {r['n']} | {r['predicted']:.3f} | {r['observed']:.3f} |" for r in t]
        lines.append("")
    lines += ["## Uncertainty", "", card["uncertainty"]["method"] + ".", "", "## Limits", ""]
    lines += [f"- {x}" for x in card["limits"]]
    lines += ["", "## Fairness", ""]
    fair = card.get("fairness")
    if not fair:
        lines.append("No fairness report attached yet (run one on a batch: fairness.fairness_report).")
    elif fair.get("skipped"):
        lines.append(f"Not computed: {fair['skipped']}")
    else:
        basis = fair.get("basis")
        if basis:
            lines.append(
                f"The {basis['households']} households of {basis['year']} (a sample), assigned by the optimiser "
                f"under that year's places ({basis['places']}; connections {basis['connections']}), against "
                "capacity-proportional random assignment under the same places."
            )
            lines.append("")
        lines.append(
            f"Tolerance {fair.get('tolerance')}: "
            + (
                "no group worse off than random."
                if fair.get("passed")
                else f"flagged: {', '.join(fair.get('flagged', []))}."
            )
        )
        for g, v in fair.get("groups", {}).items():
            lines.append(f"- {g}: P(work) {v['work']:.3f} vs random {v['work_random']:.3f} (n={v['n']})")
    lines += ["", f"Version `{card['version']}`, trained {card['trained_at']}.", ""]
    return "\n".join(lines)
