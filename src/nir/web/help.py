"""Help texts: look up the current text of a key (cached per process), write a new version."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from nir.web.models import HelpText

DEFAULTS = Path(__file__).parent / "data" / "help_texts.yaml"
CACHE_KEY = "nir:help-texts"
CACHE_SECONDS = 60


def defaults() -> dict[str, dict]:
    return yaml.safe_load(DEFAULTS.read_text(encoding="utf-8")) or {}


def load_defaults(**_) -> int:
    """Add the delivered text of every key that has none yet (an edited key is left alone)."""
    existing = set(HelpText.objects.values_list("key", flat=True).distinct())
    now = timezone.now()
    new = [
        HelpText(key=key, title=v["title"], text=v["text"].strip(), recorded_at=now)
        for key, v in defaults().items()
        if key not in existing
    ]
    HelpText.objects.bulk_create(new)
    cache.delete(CACHE_KEY)
    return len(new)


def current_texts() -> dict[str, HelpText]:
    texts = cache.get(CACHE_KEY)
    if texts is None:
        texts = {h.key: h for h in HelpText.objects.current()}
        cache.set(CACHE_KEY, texts, CACHE_SECONDS)
    return texts


def text_for(key: str) -> HelpText | None:
    return current_texts().get(key)


@transaction.atomic
def save_text(key: str, title: str, text: str, user) -> HelpText:
    """A new version of ``key``'s text; the previous version is kept, superseded."""
    now = timezone.now()
    HelpText.objects.select_for_update().filter(key=key, superseded_at__isnull=True).update(superseded_at=now)
    row = HelpText.objects.create(key=key, title=title, text=text.strip(), recorded_at=now, recorded_by=user)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))
    return row
