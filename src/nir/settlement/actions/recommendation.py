"""The recommendation tool's writes (issue 18): registering a trained model for use.

    row = recommendation.register_model(acting, directory, source="register")

In one transaction: the access check (``may_manage_models``: IMDi's national settlement staff and
administrators; a named system actor, e.g. ``nir demo``, acts for IMDi), the model loaded from
``directory`` (which must lie under ``settings.NIR_MODEL_DIR``) to read its version and card, the SHA-256
of its files, the append-only ``RecommendationModelVersion`` row and the audit event. A model already
registered (its version) or a folder that is not a model is refused with ``SettlementRefused``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from nir.access.policy import AccessDenied, Permission
from nir.access.settlement import may_manage_models
from nir.actions.acting import Acting
from nir.settlement import recommend_registry, store
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import ModelSource, RecommendationModelVersion

__all__ = ["register_model"]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _json_safe(value: Any) -> Any:
    """The card as JSON both databases store: a non-finite number (NaN, ±inf) becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item"):  # a numpy scalar
        return _json_safe(value.item())
    return str(value)


def _period(card: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    """The training period from the card's data section: the register extract's settlement dates when
    trained on the register, else the settlement years (``training_data.years``)."""
    data = card.get("training_data") or {}
    if not isinstance(data, dict):
        return None, None
    register = data.get("register") or {}
    if isinstance(register, dict) and register.get("settled_until"):
        return _date(register.get("settled_from")), _date(register.get("settled_until"))
    years = [int(y) for y in data.get("years") or [] if str(y).isdigit()]
    if years:
        return dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    return None, None


def register_model(acting: Acting, directory: str | Path, *, source: str) -> RecommendationModelVersion:
    """Register the model trained to ``directory`` for use (see the module text)."""
    if source not in ModelSource.values:
        raise SettlementRefused("source", f"ukjent kilde {source!r} (register eller world)")
    root = recommend_registry.model_dir().resolve()
    folder = Path(directory).resolve()
    with transaction.atomic():
        if not acting.unrestricted and not may_manage_models(acting.principal):
            raise AccessDenied(Permission.SETTLEMENT_PLAN, "Bare IMDis nasjonale bosettingsstab registrerer modeller.")
        if not folder.is_relative_to(root):
            raise SettlementRefused("directory", f"modellen må ligge under NIR_MODEL_DIR ({root})")
        if not folder.is_dir():
            raise SettlementRefused("directory", f"mappen {folder} finnes ikke")
        from nir.settlement.recommend.model import RecommendationModel

        try:
            model = RecommendationModel.load(folder)
        except Exception as e:  # any folder that does not load is not a model
            raise SettlementRefused("directory", f"mappen {folder.name} er ikke en modell ({e})") from None
        version = str(model.version)
        if RecommendationModelVersion.objects.filter(version=version).exists():
            raise SettlementRefused("version", f"modellversjon {version} er allerede registrert")
        card = _json_safe(dict(model.card or {}))
        start, end = _period(card)
        trained = card.get("trained_at")
        try:
            trained_at = dt.datetime.fromisoformat(str(trained).replace("Z", "+00:00")) if trained else timezone.now()
        except ValueError:
            trained_at = timezone.now()
        if timezone.is_naive(trained_at):
            trained_at = timezone.make_aware(trained_at, dt.UTC)
        sha = recommend_registry.artefact_sha256(folder)
        row = store.create(
            RecommendationModelVersion,
            acting,
            version=version[:80],
            trained_at=trained_at,
            period_from=start,
            period_to=end,
            source=source,
            card=card,
            path=folder.relative_to(root).as_posix(),
            sha256=sha,
        )
        acting.audit(
            what="settlement.model.register",
            persons=[],
            filters={"version": version, "source": source, "sha256": sha, "path": row.path},
        )
    return row
