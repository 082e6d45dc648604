"""Nothing but the action layer writes registrations (issue 15 § 1).

An AST scan of every module under ``src/nir``: outside the action layer (``nir.actions``) and the
register's storage beneath it, no module may

* import the register's storage (``nir.register.services``, ``write_sql``, ``bulk``) — the write
  functions are reached through an action, which checks access and records the audit event;
* create, update or delete register rows through the ORM (``Model.objects.create/bulk_create/
  update/…`` on a register model), construct a register model instance, or ``.save()`` a row read
  from a register model;
* send its own ``INSERT``/``UPDATE``/``DELETE``/``COPY`` to a register table.

A new writer therefore has to be an action (or be listed below, with the reason).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "nir"

# Modules that may write registrations, and why.
ALLOWED = {
    "actions": "the action layer",
    "register/services.py": "the register's storage beneath the actions",
    "register/write_sql.py": "the storage's PostgreSQL fast path (and its Django fallback)",
    "register/bulk.py": "the storage of the bulk re-evaluation (called by nir.actions.reevaluate)",
    "register/migrations": "schema migrations",
    "register/db.py": "the append-only triggers",
    "synth": "the synthetic population generator's bulk load (COPY): generated persons, not personal data",
    "testing": "test builders (nir.testing.builders): hand-made registers for the test suite",
}
STORAGE_MODULES = {"nir.register.services", "nir.register.write_sql", "nir.register.bulk"}
WRITE_METHODS = {"create", "bulk_create", "update", "get_or_create", "update_or_create", "delete", "bulk_update"}
REGISTER_TABLE_WRITE = re.compile(r'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?register_', re.IGNORECASE)


def _register_models() -> set[str]:
    from django.db import models

    from nir.register import models as m

    return {
        name
        for name, obj in vars(m).items()
        if isinstance(obj, type) and issubclass(obj, models.Model) and obj._meta.app_label == "register"
    }


def _allowed(path: Path) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return any(rel == key or rel.startswith(key.rstrip("/") + "/") for key in ALLOWED)


class _Scan(ast.NodeVisitor):
    def __init__(self, models: set[str]):
        self.models = models
        self.aliases: set[str] = set()  # names bound to the module nir.register.models
        self.names: set[str] = set()  # register model classes imported by name
        self.rows: set[str] = set()  # variables bound to register rows (or querysets of them)
        self.problems: list[str] = []

    def _storage_import(self, node, module: str) -> None:
        if module in STORAGE_MODULES:
            self.problems.append(f"line {node.lineno}: imports the register's storage {module}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._storage_import(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._storage_import(node, module)
        for alias in node.names:
            self._storage_import(node, f"{module}.{alias.name}")
            if module == "nir.register" and alias.name == "models":
                self.aliases.add(alias.asname or alias.name)
            if module == "nir.register.models" and alias.name in self.models:
                self.names.add(alias.asname or alias.name)
        self.generic_visit(node)

    def _is_model(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        return (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.aliases
            and node.attr in self.models
        )

    def _manager_of_model(self, node: ast.AST) -> bool:
        """``Model.objects`` (possibly followed by ``.filter(…)`` and the like)."""
        while True:
            if isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Attribute):
                if node.attr == "objects" and self._is_model(node.value):
                    return True
                node = node.value
            else:
                return False

    def _mentions_model(self, node: ast.AST) -> bool:
        return any(self._is_model(n) for n in ast.walk(node))

    def _bind(self, targets, value: ast.AST) -> None:
        if self._mentions_model(value):
            for target in targets:
                self.rows |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}

    def visit_Assign(self, node: ast.Assign) -> None:
        self._bind(node.targets, node.value)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._bind([node.target], node.iter)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self._is_model(func):
            self.problems.append(f"line {node.lineno}: constructs a register row ({ast.unparse(func)})")
        if isinstance(func, ast.Attribute):
            if func.attr in WRITE_METHODS and self._manager_of_model(func.value):
                self.problems.append(f"line {node.lineno}: writes through the ORM ({ast.unparse(func)})")
            if func.attr == "save" and (
                self._mentions_model(func.value) or (isinstance(func.value, ast.Name) and func.value.id in self.rows)
            ):
                self.problems.append(f"line {node.lineno}: .save() of a register row ({ast.unparse(func)})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and REGISTER_TABLE_WRITE.search(node.value):
            self.problems.append(f"line {node.lineno}: SQL that writes a register table")


def scan(source: str, models: set[str]) -> list[str]:
    visitor = _Scan(models)
    visitor.visit(ast.parse(source))
    return visitor.problems


@pytest.mark.django_db(databases=[])
def test_nothing_outside_the_action_layer_writes_registrations():
    models = _register_models()
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if _allowed(path):
            continue
        problems = scan(path.read_text(encoding="utf-8"), models)
        if problems:
            found[path.relative_to(SRC).as_posix()] = problems
    assert found == {}, "write through nir.actions instead:\n" + "\n".join(
        f"  {p}: {'; '.join(v)}" for p, v in found.items()
    )


@pytest.mark.parametrize(
    "source",
    [
        "from nir.register import services\nservices.register(p, M, {}, a)",
        "from nir.register.services import register",
        "import nir.register.write_sql",
        "from nir.register import models as m\nm.Decision.objects.create(person=p)",
        "from nir.register import models as m\nm.DerivedStatus.objects.filter(pk=1).update(superseded_at=None)",
        "from nir.register.models import Absence\nAbsence.objects.bulk_create([])",
        "from nir.register import models as m\nm.Absence(person=p)",
        "from nir.register import models as m\nrow = m.Decision.objects.get(pk=1)\nrow.save()",
        "from nir.register.models import Absence\nfor row in Absence.objects.all():\n    row.save()",
        "cur.execute('INSERT INTO \"register_decision\" (id) VALUES (1)')",
    ],
)
def test_the_scan_finds_each_kind_of_write(source):
    assert scan(source, {"Decision", "DerivedStatus", "Absence"}), source


def test_the_scan_lets_reads_pass():
    source = (
        "from nir.register import models as m\n"
        "m.Decision.objects.current().filter(person=p).first()\n"
        "from nir.access.models import AuditEvent\nAuditEvent.objects.create(x=1)\n"
        "user = User.objects.get(pk=1)\nuser.save()\n"
    )
    assert scan(source, {"Decision"}) == []


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return out


@pytest.mark.parametrize(
    "below, forbidden",
    [
        # the layers beneath the actions never call them
        (("rules", "codes", "reference", "register", "access", "db"), ("nir.actions",)),
        # the fast paths' plumbing is neutral: no application
        (("db",), ("nir.register", "nir.access", "nir.api", "nir.web", "nir.reports")),
    ],
)
def test_the_layers_beneath_do_not_import_upwards(below, forbidden):
    found = {}
    for package in below:
        for path in sorted((SRC / package).rglob("*.py")):
            if "management" in path.parts:  # the commands are an entry point, above the actions
                continue
            bad = sorted(i for i in _imports(path) if any(i == f or i.startswith(f + ".") for f in forbidden))
            if bad:
                found[path.relative_to(SRC).as_posix()] = bad
    assert found == {}
