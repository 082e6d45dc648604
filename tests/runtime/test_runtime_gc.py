"""nir.runtime.tune_gc: applied by the WSGI application (nir.wsgi) at start-up."""

from __future__ import annotations

import gc

from nir import runtime


def test_tune_gc_sets_thresholds_and_freezes_startup_objects():
    before = gc.get_threshold()
    try:
        runtime.tune_gc()
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_wsgi_module_applies_it():
    source = runtime.__file__.replace("runtime.py", "wsgi.py")
    with open(source, encoding="utf-8") as fh:
        text = fh.read()
    assert "tune_gc()" in text.split("get_wsgi_application()", 1)[1]
