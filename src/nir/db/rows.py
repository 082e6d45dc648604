"""Model instances from rows read with the fast paths' own statements."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import signals

_M = TypeVar("_M", bound=models.Model)


def loaded_instance(model: type[_M], values: dict[str, Any], db: str = "default") -> _M:
    """A model instance as ``Model.from_db`` makes it from a database row, ``values`` by attname
    (every concrete field), without running ``Model.__init__``.

    ``__init__`` goes through every field and its descriptor; for the ~10 rows read on every write
    that was most of the cost of reading them. The instance is the same — attribute values, a
    ``ModelState`` of a loaded row — as long as nobody listens to the model's ``pre_init`` or
    ``post_init`` signals (then ``from_db`` is used).
    """
    if _init_signals(model):
        names = tuple(values)
        return model.from_db(db, names, [values[n] for n in names])
    obj = model.__new__(model)
    obj.__dict__.update(values)
    state = obj._state = models.base.ModelState()
    state.adding = False
    state.db = db
    return obj


def _init_signals(model: type[models.Model]) -> bool:
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
