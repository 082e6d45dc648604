"""The recommendation model registry: which trained model is in use.

A model is trained to a folder under ``settings.NIR_MODEL_DIR`` (``nir settlement train … --register``,
``nir demo``) and registered through the action ``nir.settlement.actions.recommendation.register_model``
as a ``RecommendationModelVersion`` row (append-only): its version, training period, source, model card,
folder and the SHA-256 of its files. ``current_model()`` loads the newest registered model with
``RecommendationModel.load``, after checking that its files still have the registered SHA-256 (a changed
file is refused: ``ModelIntegrityError``), and keeps it per version, so a page loads a model once per
process and a newly registered version is picked up at the next call.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

from nir.settlement.models import RecommendationModelVersion

__all__ = ["ModelIntegrityError", "artefact_sha256", "current_model", "model_dir", "resolve_path"]


class ModelIntegrityError(RuntimeError):
    """A registered model's files are missing or are not the files that were registered."""


def model_dir() -> Path:
    return Path(settings.NIR_MODEL_DIR)


def resolve_path(path: str) -> Path:
    """A row's folder: relative to ``NIR_MODEL_DIR``."""
    return model_dir() / path


def artefact_sha256(directory: str | Path) -> str:
    """SHA-256 over every file of a model folder: each file's path (relative, sorted) and content."""
    root = Path(directory)
    if not root.is_dir():
        raise ModelIntegrityError(f"modellmappen {root} finnes ikke")
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not files:
        raise ModelIntegrityError(f"modellmappen {root} er tom")
    for p in files:
        rel = p.relative_to(root).as_posix().encode()
        digest.update(len(rel).to_bytes(4, "big") + rel)
        data = p.read_bytes()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


_lock = threading.Lock()
_cache: dict[tuple[str, str], Any] = {}


def load_verified(row: RecommendationModelVersion) -> Any:
    """The model of ``row``, its files checked against the registered SHA-256 (``ModelIntegrityError``)."""
    from nir.settlement.recommend.model import RecommendationModel

    directory = resolve_path(row.path)
    found = artefact_sha256(directory)
    if found != row.sha256:
        raise ModelIntegrityError(
            f"modellen {row.version}: filene i {directory} er endret etter registreringen (SHA-256 stemmer ikke)"
        )
    model = RecommendationModel.load(directory)
    if getattr(model, "version", row.version) != row.version:
        raise ModelIntegrityError(f"modellen i {directory} er versjon {model.version}, ikke {row.version}")
    return model


def current_model() -> tuple[Any, RecommendationModelVersion] | None:
    """The newest registered model and its row; None when no model is registered. Loaded (and checked)
    once per version and process."""
    row = RecommendationModelVersion.objects.order_by("-recorded_at", "-pk").first()
    if row is None:
        return None
    key = (row.version, row.sha256)
    with _lock:
        model = _cache.get(key)
        if model is None:
            model = load_verified(row)
            _cache.clear()  # keep only the model in use
            _cache[key] = model
    return model, row


def clear_cache() -> None:
    with _lock:
        _cache.clear()
