"""Rules-engine tests: pure Python, no database (nir.rules imports no Django)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from rules_support import BASE_FACTS

D = dt.date.fromisoformat


@pytest.fixture
def facts():
    """A refugee (utl_28) granted 2025-10-01, settled by agreement 2025-11-01, aged 37."""
    return copy.deepcopy(BASE_FACTS)
