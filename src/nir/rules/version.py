"""A fingerprint of the rules in force: the rule definitions, the parameters and the code lists.

Stored on every derived row, so that the register can say which version of the
rules derived a value and ``nir rules reevaluate`` can find what a rule change
affected.

It covers only what can change a derived value: the rule modules of ``nir.rules``
(the decision tables, the building blocks and the interpreters), the parameters
(``parameters/*.yaml``) and the code lists the rules read (``nir.codes``). It does
not cover the tools around them — the command line (``cli.py``), the case runner
(``cases.py``), the test helpers (``testing.py``), the catalogue and the document
generator (``catalogue.py``, ``docs.py``) — and within
what it covers it ignores what derives nothing: comments, docstrings, layout, a
rule's title (``title=`` of a row, the title of ``declare()``) and the descriptions
and notes of parameters and codes. A new test helper or a better title therefore
does not mark every derived row as stale; a changed condition, outcome, explanation
text, parameter value, validity date, source or verified flag does.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import yaml

_RULES_DIR = Path(__file__).parent
_CODES_DIR = _RULES_DIR.parent / "codes"

# Modules of nir.rules that hold no rule definition (catalogue.NOT_RULE_MODULES, as file names).
NOT_RULE_FILES = frozenset({"cli.py", "testing.py", "cases.py", "catalogue.py", "docs.py", "version.py"})
# Keys of the YAML data that describe rather than define (shown on pages, derive nothing).
DESCRIPTIVE_KEYS = frozenset({"description", "note"})


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:] or [ast.Pass()]
    return body


def _call_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def python_definition(source: str) -> str:
    """The definition of a module without comments, docstrings, layout or rule titles."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = _strip_docstring(node.body)
        if isinstance(node, ast.Call):
            node.keywords = [k for k in node.keywords if k.arg != "title"]
            if _call_name(node.func) == "declare" and len(node.args) >= 2:
                node.args[1] = ast.Constant("")
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k not in DESCRIPTIVE_KEYS}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def yaml_definition(text: str) -> str:
    """The data of a parameter or code-list file without comments, layout, descriptions or notes."""
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return json.dumps(_without_descriptions(data), sort_keys=True, default=str, ensure_ascii=False)


def rule_files(rules_dir: Path = _RULES_DIR, codes_dir: Path = _CODES_DIR) -> list[Path]:
    """The files the fingerprint covers."""
    files = [
        *(p for p in rules_dir.rglob("*.py") if p.name not in NOT_RULE_FILES or p.parent != rules_dir),
        *rules_dir.rglob("*.yaml"),
        *codes_dir.rglob("*.yaml"),
        *codes_dir.rglob("*.py"),
    ]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def fingerprint(rules_dir: Path = _RULES_DIR, codes_dir: Path = _CODES_DIR) -> str:
    """The rules version of the definitions in ``rules_dir`` and ``codes_dir``."""
    h = hashlib.sha256()
    for f in rule_files(rules_dir, codes_dir):
        text = f.read_text(encoding="utf-8")
        h.update(f.relative_to(rules_dir.parent).as_posix().encode())
        h.update((python_definition(text) if f.suffix == ".py" else yaml_definition(text)).encode())
    return h.hexdigest()[:12]


def _raw_digest(rules_dir: Path = _RULES_DIR, codes_dir: Path = _CODES_DIR) -> str:
    h = hashlib.sha256(Path(__file__).read_bytes())  # and of how the fingerprint is computed
    for f in rule_files(rules_dir, codes_dir):
        h.update(f.relative_to(rules_dir.parent).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _cached_fingerprint() -> str:
    """:func:`fingerprint`, remembered per exact content of the files (parsing them costs about a
    second; reading them a few milliseconds) in the user's cache directory, when it can be written."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nir"
    path = cache / f"rules-version-{_raw_digest()}"
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        pass
    value = fingerprint()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(value, encoding="ascii")
    except OSError:
        pass
    return value


RULES_VERSION = _cached_fingerprint()
