"""Helpers of the audit tests: the register builder of the report tests, loaded under its own name."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _load_report_helpers():
    path = Path(__file__).resolve().parents[1] / "reports" / "conftest.py"
    spec = importlib.util.spec_from_file_location("access_audit_register_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load_report_helpers()
