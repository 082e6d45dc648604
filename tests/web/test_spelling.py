"""One spelling of the register's terms wherever a user reads them (issue 16 § 4): «sluttmål» and
«deltaker/deltakere/deltakelse» as in docs/glossary.md — never NIR's old ASCII «sluttmaal» or the
variant «deltager/deltagelse». Slugs, URLs, ids and template names may stay ASCII
(``avvik-sluttmaal``, ``/ny/sluttmaal/``, ``#sluttmaal-intro``): they are not read as words.

Scanned: the bokmål catalogue (every msgstr), the visible text of every template (tags, template
tags and attribute values taken out), the help texts delivered with the application, the code lists
(labels and groups), and the domain texts the pages, exports and charts show (report titles, help
texts, definitions and column headers; the statistics' figures; category, deviation and status
labels; the key-figure labels).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
import yaml

from nir import codes
from nir.register.explain import CATEGORY_LABELS, DEVIATION_LABELS, LAW_LABELS
from nir.reports import registry, statistics, worklist

SRC = Path(__file__).resolve().parents[2] / "src" / "nir"
WRONG = re.compile(r"sluttmaal|deltag(?:er|else)", re.IGNORECASE)

# Template tags, comments, expressions and the markup around the text.
_TEMPLATE_CODE = re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)


def wrong(text: str) -> list[str]:
    return [m.group(0) for m in WRONG.finditer(text or "")]


def visible_template_text(source: str) -> str:
    """The words of a template a user can read: the translated texts and the literal text between tags."""
    words = [m.group(2) for m in re.finditer(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""", source)]
    words += [
        m.group(1) for m in re.finditer(r"\{%\s*blocktrans(?:late)?\b[^%]*%\}(.*?)\{%\s*endblocktrans", source, re.S)
    ]
    words.append(_TAG.sub(" ", _TEMPLATE_CODE.sub(" ", source)))
    return "\n".join(words)


def test_the_scan_finds_the_wrong_spellings():
    """The scan itself: it finds both misspellings and passes slugs and ids."""
    assert wrong("Personer med avvik i registrering av sluttmaal") == ["sluttmaal"]
    assert wrong("Deltagere som har avsluttet") == ["Deltager"]
    assert wrong("Deltakere, sluttmål, deltakelse") == []
    html = '<a href="/rapporter/avvik-sluttmaal/" id="sluttmaal-intro">{% translate "Final goal" %}</a> Deltagere'
    assert wrong(visible_template_text(html)) == ["Deltager"]
    assert wrong(visible_template_text('{% include "web/persons/sections/sluttmaal.html" %}')) == []


def test_the_bokmal_catalogue():
    po = polib.pofile(str(SRC / "locale" / "nb" / "LC_MESSAGES" / "django.po"))
    found = {}
    for e in po:
        texts = [e.msgstr, *e.msgstr_plural.values()]
        hits = [w for t in texts for w in wrong(t)]
        if hits:
            found[e.msgid] = hits
    assert not found, f"feil skrivemåte i django.po (bruk sluttmål, deltaker): {found}"


def test_the_templates():
    found = {}
    for path in SRC.rglob("*.html"):
        hits = wrong(visible_template_text(path.read_text(encoding="utf-8")))
        if hits:
            found[str(path.relative_to(SRC))] = hits
    assert not found, f"feil skrivemåte i malene (bruk sluttmål, deltaker): {found}"


def test_the_help_texts_delivered_with_the_application():
    data = yaml.safe_load((SRC / "web" / "data" / "help_texts.yaml").read_text(encoding="utf-8"))
    found = {key: wrong(f"{v.get('title', '')} {v.get('text', '')}") for key, v in data.items()}
    assert not {k: v for k, v in found.items() if v}


def test_the_code_lists():
    found = {}
    for name, cl in codes.all_lists().items():
        for c in cl.codes:
            hits = wrong(f"{c.label} {c.group}")
            if hits:
                found[f"{name}.{c.code}"] = hits
    assert not found, f"feil skrivemåte i kodelistene: {found}"


def _domain_texts():
    for d in registry.REPORTS.values():
        yield f"rapport {d.id}", [d.title, d.help_text, d.definition, *(c.header for c in d.columns)]
    for f in statistics.FIGURES.values():
        yield f"tall {f.id}", [f.title, f.definition, *(c.label for c in f.columns), *(s[2] for s in f.shares)]
    yield "kategorier", [label for labels in CATEGORY_LABELS.values() for label in labels.values()]
    yield "avvik", list(DEVIATION_LABELS.values())
    yield "lover", list(LAW_LABELS.values())
    yield "status", [*registry.STATUS_LABELS.values(), *registry.MISSING_LABELS.values(), *registry.SCHEMES.values()]
    yield "nøkkeltall", [str(v) for v in worklist.FIGURE_LABELS.values()]


@pytest.mark.parametrize("where, texts", list(_domain_texts()), ids=lambda v: v if isinstance(v, str) else "")
def test_the_domain_texts_of_reports_statistics_and_exports(where, texts):
    assert not [w for t in texts for w in wrong(t)], f"{where}: {texts}"
