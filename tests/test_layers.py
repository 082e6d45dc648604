"""The layers of ``src/nir`` point one way (issue 15 § 2; README "Layout").

A module may import only from its own layer or from a lower one. The order, lowest first::

    0  nir.identity, nir.logging, nir.codes, nir.runtime, nir.isodates,      base utilities (no application:
       nir.cli_options, nir.db, nir.spreadsheet                              fast-path plumbing, CSV/XLSX writers)
    1  nir.rules                                                             the Regelmotor (pure, no Django)
    2  nir.reference                                                         municipalities, counties, code lists
    3  nir.register                                                          the register: models, history, interchange
    4  nir.access                                                            who may see or do what; audit; person reads
    5  nir.actions                                                           the one write path (access check + audit)
    6  nir.reports                                                           reports, statistics, research extract
    7  nir.settlement, nir.grants, nir.synth                                 settlement, grants, synthetic registers
    8  nir.api, nir.web                                                      the REST API and the web application
    9  nir.cli, nir.urls, nir.wsgi, nir.handlers, nir.settings, nir.testing  wiring and the test harness

And no two modules import each other (``test_no_import_cycle``), not even through an import inside a
function, the old way of dodging a cycle; the one cycle left is listed in ``KNOWN_CYCLES`` with the
work that ends it.

Every import is checked: at module level and inside functions, ``import nir.x`` and
``from nir.x import y`` (relative ones resolved), and ``importlib.import_module("nir.x")`` /
``__import__("nir.x")`` with a literal name. A management command belongs to the package it is in.
The scan reads the source with ``ast``; it imports nothing, so a cycle cannot hide a violation.

Not imports, and so not checked: Django's model references by name. The register's rows name who
registered them (``registered_by_user`` → ``AUTH_USER_MODEL``, ``registered_by_client`` →
``"access.ApiClient"``), foreign keys into ``access`` that the database resolves, not Python.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import nir

SRC = Path(nir.__file__).parent

LAYERS: list[tuple[str, ...]] = [
    (
        "nir.identity",
        "nir.logging",
        "nir.codes",
        "nir.runtime",
        "nir.isodates",
        "nir.cli_options",
        "nir.db",
        "nir.spreadsheet",
    ),
    ("nir.rules",),
    ("nir.reference",),
    ("nir.register",),
    ("nir.access",),
    ("nir.actions",),
    ("nir.reports",),
    ("nir.settlement", "nir.grants", "nir.synth"),
    ("nir.api", "nir.web"),
    ("nir.cli", "nir.urls", "nir.wsgi", "nir.handlers", "nir.settings", "nir.testing"),
]

# Packages on the same layer that must not import each other either.
INDEPENDENT = {frozenset(("nir.api", "nir.web"))}

LAYER_OF: dict[str, int] = {prefix: level for level, prefixes in enumerate(LAYERS) for prefix in prefixes}


def layer_of(module: str) -> tuple[int, str] | None:
    """The layer of a dotted module name and the prefix that placed it (longest prefix wins);
    ``None`` for the package root ``nir`` itself and for anything outside ``nir``."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYER_OF:
            return LAYER_OF[prefix], prefix
    return None


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    module_layer: int
    module_prefix: str
    imported_layer: int
    imported_prefix: str

    def __str__(self) -> str:
        if self.module_layer == self.imported_layer:
            return (
                f"{self.module}:{self.line} imports {self.imported} — {self.module_prefix} may not import "
                f"its sibling {self.imported_prefix} (both layer {self.module_layer})"
            )
        return (
            f"{self.module}:{self.line} imports {self.imported} — "
            f"layer {self.module_layer} ({self.module_prefix}) may not import "
            f"layer {self.imported_layer} ({self.imported_prefix})"
        )


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every ``nir…`` module a tree imports, with its line: ``from a.b import c`` yields
    ``a.b.c`` (c may be a submodule; if it is a name, ``a.b.c`` still falls in a.b's layer)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((node.lineno, arg.value))
    return [(line, name) for line, name in found if name == "nir" or name.startswith("nir.")]


def violations(root: Path = SRC) -> list[Violation]:
    """Every import under ``root`` that points to a higher layer, or from one independent sibling
    to another (``api`` and ``web`` share layer 8 but neither may import the other); one per line
    and imported package."""
    found: list[Violation] = []
    seen: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        own = layer_of(module)
        if own is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in imported_names(tree, module, path.name == "__init__.py"):
            other = layer_of(name)
            if other is None or (module, line, other[1]) in seen:
                continue
            if other[0] > own[0] or frozenset((own[1], other[1])) in INDEPENDENT:
                seen.add((module, line, other[1]))
                found.append(Violation(module, line, name, own[0], own[1], other[0], other[1]))
    return sorted(found, key=lambda v: (v.module, v.line))


def unplaced(root: Path = SRC) -> list[str]:
    """Modules under ``root`` that belong to no layer (a new top-level package must be placed)."""
    return [
        module_name(p, root)
        for p in sorted(root.rglob("*.py"))
        if module_name(p, root) != "nir" and layer_of(module_name(p, root)) is None
    ]


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module → the modules under ``root`` it imports (anywhere in it). An import of a module's own
    package (``from nir.rules import x`` in ``nir.rules.engine``) is how packages work, not an edge."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = {
            name
            for _line, name in imported_names(tree, module, path.name == "__init__.py")
            if name in files and name != module and not module.startswith(name + ".")
        }
    return graph


def cycles(root: Path = SRC) -> list[list[str]]:
    """The import cycles under ``root``: groups of modules that import each other, directly or not
    (Tarjan's strongly connected components), counting imports inside functions too."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# The import cycles still allowed, each to end with the work that removes it:
# services <-> derivation ends with the action layer (issue 15 § 1: derivation only judges).
KNOWN_CYCLES = {frozenset({"nir.register.derivation", "nir.register.services"})}


def test_no_import_points_up():
    found = violations()
    assert not found, "imports that point up a layer:\n" + "\n".join(map(str, found))


def test_no_import_cycle():
    """No two modules import each other, not even inside a function (the old way of dodging a cycle)."""
    found = [c for c in cycles() if frozenset(c) not in KNOWN_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_every_module_has_a_layer():
    assert unplaced() == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "nir"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_catches_a_planted_upward_import(tmp_path):
    """The scan is not vacuous: upward imports of every shape are found, with module, line and layers."""
    root = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "register/__init__.py": "",
            "register/models.py": "import datetime\n\nfrom nir.reports.queries import run\n",
            "register/management/commands/export.py": ("def handle():\n    import nir.web.views\n"),
            "register/services.py": "from ..access import policy\n",
            "rules/engine.py": "import importlib\nm = importlib.import_module('nir.register.models')\n",
            "access/views.py": "from nir.register import models\nfrom . import policy\n",
            "reports/queries.py": "from nir.access.scope import persons\nfrom nir.actions import do_register\n",
            "access/policy.py": "import nir.rules\n\nimport nir.actions.persons\n",
            "actions/__init__.py": "from nir.reports import queries\n",
            "api/reports_api.py": "def view():\n    from nir.web.views_reports import params_from_query\n",
            "web/views.py": "from nir.api import api\nfrom nir.reports import params\n",
        },
    )
    found = {(v.module, v.line, v.imported_prefix) for v in violations(root)}
    assert found == {
        ("nir.register.models", 3, "nir.reports"),
        ("nir.register.management.commands.export", 2, "nir.web"),
        ("nir.register.services", 1, "nir.access"),
        ("nir.rules.engine", 2, "nir.register"),
        ("nir.access.policy", 3, "nir.actions"),
        ("nir.actions", 1, "nir.reports"),
        ("nir.api.reports_api", 2, "nir.web"),
        ("nir.web.views", 1, "nir.api"),
    }
    message = str(next(v for v in violations(root) if v.module == "nir.register.models"))
    assert message == (
        "nir.register.models:3 imports nir.reports.queries — layer 3 (nir.register) "
        "may not import layer 6 (nir.reports)"
    )


def test_the_checker_catches_a_planted_cycle(tmp_path):
    """A cycle hidden in a function-level import, as access.models <-> access.policy was, is found;
    a module importing its own package is not a cycle."""
    root = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "access/__init__.py": "",
            "access/models.py": "def permissions():\n    from nir.access.policy import role_permission_sets\n",
            "access/policy.py": "from nir.access.models import Role\n",
            "rules/__init__.py": "from nir.rules.engine import evaluate\n",
            "rules/engine.py": "from nir.rules import model\n",
            "rules/model.py": "",
        },
    )
    assert cycles(root) == [["nir.access.models", "nir.access.policy"]]


def test_the_checker_names_an_unplaced_package(tmp_path):
    root = _plant(tmp_path, {"__init__.py": "", "newthing/__init__.py": "", "register/models.py": ""})
    assert unplaced(root) == ["nir.newthing"]


@pytest.mark.parametrize(
    "module, layer",
    [
        ("nir.identity", 0),
        ("nir.cli_options", 0),
        ("nir.cli", 9),
        ("nir.rules.vector", 1),
        ("nir.access.management.commands.history", 4),
        ("nir.reports.params", 6),
        ("nir.synth.writers", 7),
        ("nir.testing.builders", 9),
        ("nir.actions.persons", 5),
    ],
)
def test_layer_of(module, layer):
    assert layer_of(module)[0] == layer
