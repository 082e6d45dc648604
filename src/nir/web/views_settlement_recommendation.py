"""IMDi's validation page for the settlement recommendation tool (issue 18):

    /bosetting/anbefaling/modell/   the current model's card (version, training period, features, learner,
                                    validation per held-out year, calibration, fairness by group,
                                    uncertainty, limits) and every registered version

Only IMDi's settlement staff (``SETTLEMENT_ASSIGN`` in an IMDi organisation). The card is the model's
own JSON (``recommend_registry.current_model()``; keys from ``nir.settlement.recommend.card``): the
page shows the sections it knows in their order and then whatever else the card holds, so a card with
more or fewer keys is shown as it is. No personal data: figures over the training history only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import HttpResponseForbidden
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nir.access.policy import Permission, allows
from nir.access.settlement import is_imdi
from nir.settlement import recommend_service

#: Card sections shown first, in this order, with their headings; any other key follows.
SECTIONS = (
    ("version", gettext_lazy("Version")),
    ("trained_at", gettext_lazy("Trained")),
    ("training_period", gettext_lazy("Training period")),
    ("training", gettext_lazy("Training data")),
    ("features", gettext_lazy("Features")),
    ("learner", gettext_lazy("Learner")),
    ("learner_choice", gettext_lazy("Learner")),
    ("validation", gettext_lazy("Validation by held-out year")),
    ("calibration", gettext_lazy("Calibration")),
    ("fairness", gettext_lazy("Fairness by group")),
    ("uncertainty", gettext_lazy("Uncertainty")),
    ("limits", gettext_lazy("Limits")),
)
MAX_ROWS = 200  # rows of one table shown


def may_see_model(principal) -> bool:
    return allows(principal, Permission.SETTLEMENT_ASSIGN) and is_imdi(principal)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _html(value: Any, depth: int = 0) -> SafeString:
    """The card's JSON as HTML: a list of objects a table, an object of flat objects (fairness by
    group) a table keyed by its names, any other object a description list, a list of scalars a list,
    a scalar its text (all escaped)."""
    if depth > 4:
        return format_html("{}", _scalar(value))
    if isinstance(value, dict):
        if not value:
            return mark_safe("–")
        if len(value) > 1 and all(
            isinstance(v, dict) and v and not isinstance(next(iter(v.values())), dict) for v in value.values()
        ):
            # an object of like rows (fairness by group): a table with the key as its first column
            return _html([{_("Group"): str(k), **v} for k, v in value.items()], depth)
        items = format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>", ((str(k).replace("_", " "), _html(v, depth + 1)) for k, v in value.items())
        )
        return format_html('<dl class="bs-card">{}</dl>', items)
    if isinstance(value, list):
        if not value:
            return mark_safe("–")
        if all(isinstance(v, dict) for v in value):
            columns: list[str] = []
            for row in value[:MAX_ROWS]:
                columns += [k for k in row if k not in columns]
            head = format_html_join("", '<th scope="col">{}</th>', ((c.replace("_", " "),) for c in columns))
            body = format_html_join(
                "",
                "<tr>{}</tr>",
                (
                    (format_html_join("", "<td>{}</td>", ((_html(row.get(c), depth + 1),) for c in columns)),)
                    for row in value[:MAX_ROWS]
                ),
            )
            return format_html(
                '<div class="table-wrap"><table class="ds-table ov-table" data-size="sm"><thead><tr>{}</tr></thead>'
                "<tbody>{}</tbody></table></div>",
                head,
                body,
            )
        return format_html(
            '<ul class="bs-list">{}</ul>', format_html_join("", "<li>{}</li>", ((_html(v, depth + 1),) for v in value))
        )
    return format_html("{}", _scalar(value))


def card_sections(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card as headed sections: the known ones first, then the rest in the card's order."""
    known = {k for k, _label in SECTIONS}
    out = [{"key": k, "label": label, "html": _html(card[k])} for k, label in SECTIONS if k in card]
    out += [
        {"key": k, "label": str(k).replace("_", " ").capitalize(), "html": _html(v)}
        for k, v in card.items()
        if k not in known
    ]
    return out


def _versions() -> list[dict[str, Any]]:
    try:
        model = apps.get_model("settlement", "RecommendationModelVersion")
    except LookupError:
        return []
    rows = []
    for r in model._default_manager.order_by("-pk")[:100]:
        rows.append(
            {
                "version": getattr(r, "version", ""),
                "trained_at": getattr(r, "trained_at", None),
                "period_start": getattr(r, "period_from", None) or "",
                "period_end": getattr(r, "period_to", None) or "",
                "source": r.get_source_display() if hasattr(r, "get_source_display") else getattr(r, "source", ""),
                "sha256": getattr(r, "sha256", ""),
            }
        )
    return rows


@never_cache
@require_http_methods(["GET"])
def model_page(request):
    if not may_see_model(request.user):
        return HttpResponseForbidden(_("Only IMDi's settlement staff see the recommendation model."))
    current = recommend_service.current_model()
    card: dict[str, Any] = {}
    version = ""
    if current is not None:
        model, row = current
        version = str(model.version)
        card = dict(getattr(row, "card", None) or getattr(model, "card", None) or {})
    return render(
        request,
        "web/settlement_cases/recommendation_model.html",
        {
            "available": current is not None,
            "version": version,
            "sections": card_sections(card),
            "versions": _versions(),
        },
    )
