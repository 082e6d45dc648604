"""Browser: the guards of the browser tests themselves catch what they are there for – a CSP
violation shows up in the page's log, and axe-core (injected under the page's CSP) reports a
serious violation. If either stopped working, every page would pass without being checked."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_csp_violation_is_caught(page):
    page.goto("/login/")
    with page.expect_console_message(lambda msg: "Content Security Policy" in msg.text):
        page.evaluate("() => document.querySelector('h1').setAttribute('style', 'color: red')")
    caught = [e for e in page.nir_log.unexpected() if "Content Security Policy" in e]
    assert caught, f"no CSP violation in the log: {page.nir_log.errors}"
    with pytest.raises(AssertionError, match="Content Security Policy"):
        page.nir_log.check("the guard test")


def test_axe_reports_a_serious_violation(page, axe_check):
    page.goto("/login/")
    page.evaluate("""() => {
        const img = document.createElement('img');  // no alt text: axe's «image-alt» (critical)
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(img);
    }""")
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page, "vakt-axe")
    (Path(__file__).resolve().parents[3] / "test-artifacts" / "axe" / "vakt-axe.txt").unlink(missing_ok=True)
