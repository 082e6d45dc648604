"""The user interface is in bokmål through Django's i18n catalogue (issue 6, point 7).

Source strings are English; ``src/nir/locale/nb/LC_MESSAGES/django.po`` holds their bokmål
translations and the committed ``django.mo`` is what Django reads. These tests fail when a
template or view gains a string without a translation, when a translation is empty or fuzzy,
or when the ``.mo`` was not rebuilt after the ``.po`` changed (``scripts/build-messages.sh``).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.utils import translation

SRC = Path(__file__).resolve().parents[2] / "src" / "nir"
CATALOGUE = SRC / "locale" / "nb" / "LC_MESSAGES"

TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+(?:as\s+\w+|context\s+["'].*?["']|noop))*\s*%\}"""
)
TEMPLATE_BLOCK = re.compile(r"\{%\s*blocktrans(?:late)?\b([^%]*)%\}(.*?)\{%\s*endblocktrans(?:late)?\s*%\}", re.S)
PYTHON_CALL = re.compile(
    r"""\b(?:_|gettext|gettext_lazy|pgettext_lazy|pgettext)\(\s*(["'])((?:\\.|(?!\1).)+)\1\s*[,)]"""
)
VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _block_msgid(options: str, body: str) -> str | None:
    if "plural" in body or "count" in options:
        return None  # plural forms: checked by rendering, not by this extractor
    if "trimmed" in options:
        body = " ".join(line.strip() for line in body.strip().splitlines())
    return VARIABLE.sub(lambda m: f"%({m.group(1)})s", body)


def source_msgids() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= {m.group(2) for m in TEMPLATE_TRANSLATE.finditer(text)}
        found |= {msgid for m in TEMPLATE_BLOCK.finditer(text) if (msgid := _block_msgid(m.group(1), m.group(2)))}
    for path in (SRC / "web").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= {m.group(2).encode().decode("unicode_escape") for m in PYTHON_CALL.finditer(text)}
    return found


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(CATALOGUE / "django.po"))


def test_every_message_has_a_bokmal_translation(po):
    untranslated = [e.msgid for e in po if not e.obsolete and (not e.msgstr and not e.msgstr_plural)]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert not untranslated, f"meldinger uten oversettelse: {untranslated}"
    assert not fuzzy, f"usikre (fuzzy) oversettelser: {fuzzy}"


def test_compiled_catalogue_matches_the_po_file(po):
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or dict(e.msgstr_plural) for e in mo}
    source = {
        (e.msgctxt, e.msgid): e.msgstr or {int(k): v for k, v in e.msgstr_plural.items()}
        for e in po
        if not e.obsolete and e.msgid
    }
    compiled.pop((None, ""), None)
    assert {k: v for k, v in compiled.items() if k[1]} == {k: v for k, v in source.items()}, (
        "django.mo er ikke bygget på nytt etter endringer i django.po: kjør scripts/build-messages.sh"
    )


def test_every_source_string_of_the_web_application_is_in_the_catalogue(po):
    msgids = {e.msgid for e in po}
    missing = sorted(m for m in source_msgids() if m not in msgids)
    assert not missing, f"tekster i maler/kode som mangler i katalogen: {missing}"


def test_the_extractor_finds_strings_it_must_find():
    """The check above cannot pass by finding nothing."""
    found = source_msgids()
    assert {"Skip to main content", "Main menu", "Work area", "Help: %(label)s"} <= found


def test_pages_are_rendered_in_bokmal():
    with translation.override("nb"):
        assert translation.gettext("Skip to main content") == "Hopp til hovedinnhold"
        assert translation.gettext("Rules engine") == "Regelmotor"
