"""Nothing but the action layer writes registrations (issue 15 § 1) or settlement rows (issue 17).

An AST scan of every module under ``src/nir``, once per kind of data (``TARGETS``): outside its
action layer and the storage beneath it, no module may

* import the storage (the register's ``nir.register.services``, ``write_sql``, ``bulk``; the
  settlement's ``nir.settlement.store``) — the write functions are reached through an action, which
  checks access and records the audit event (importing the store's ``ChangedMeanwhile``, an
  exception to catch, is no write);
* create, update or delete rows through the ORM (``Model.objects.create/bulk_create/update/…`` on a
  register or settlement model), construct a model instance, or ``.save()`` a row read from one;
* send its own ``INSERT``/``UPDATE``/``DELETE``/``COPY`` to a register or settlement table.

A new writer therefore has to be an action (or be listed below, with the reason).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "nir"

WRITE_METHODS = {"create", "bulk_create", "update", "get_or_create", "update_or_create", "delete", "bulk_update"}


@dataclass(frozen=True)
class Target:
    """One kind of protected data: its models' package, its storage, its tables, who may write it."""

    package: str  # the app's package: its models are ``<package>.models``
    label: str  # the Django app label (which models are its rows)
    storage: frozenset[str]  # the storage modules beneath the actions
    table_prefix: str
    allowed: dict[str, str]  # paths under src/nir that may write, and why
    harmless: frozenset[str] = field(default_factory=frozenset)  # names a storage module exports that write nothing

    @property
    def table_write(self) -> re.Pattern[str]:
        return re.compile(rf'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?{self.table_prefix}', re.IGNORECASE)


REGISTER = Target(
    package="nir.register",
    label="register",
    storage=frozenset({"nir.register.services", "nir.register.write_sql", "nir.register.bulk"}),
    table_prefix="register_",
    allowed={
        "actions": "the action layer",
        "register/services.py": "the register's storage beneath the actions",
        "register/write_sql.py": "the storage's PostgreSQL fast path (and its Django fallback)",
        "register/bulk.py": "the storage of the bulk re-evaluation (called by nir.actions.reevaluate)",
        "register/migrations": "schema migrations",
        "register/db.py": "the append-only triggers",
        "synth": "the synthetic population generator's bulk load (COPY): generated persons, not personal data",
        "testing": "test builders (nir.testing.builders): hand-made registers for the test suite",
    },
)
SETTLEMENT = Target(
    package="nir.settlement",
    label="settlement",
    storage=frozenset({"nir.settlement.store"}),
    table_prefix="settlement_",
    allowed={
        "settlement/actions": "the settlement's action layer (nir.settlement.actions)",
        "settlement/store.py": "the settlement's storage beneath its actions (create, supersede, annul)",
        "settlement/migrations": "schema migrations",
        "settlement/db.py": "the append-only triggers",
        "synth": "the synthetic settlement year's bulk load: generated households, not personal data",
        "testing": "test builders (nir.testing): hand-made settlement data for the test suite",
    },
    harmless=frozenset({"ChangedMeanwhile"}),
)
GRANTS = Target(
    package="nir.grants",
    label="grants",
    storage=frozenset(),
    table_prefix="grants_",
    allowed={
        "grants/actions.py": "the payment rounds' action layer (nir.grants.actions)",
        "grants/migrations": "schema migrations",
        "grants/db.py": "the frozen-round triggers",
    },
)
TARGETS = {"register": REGISTER, "settlement": SETTLEMENT, "grants": GRANTS}

# The register's list, by its old names (kept for readers of earlier issues)
ALLOWED = REGISTER.allowed
STORAGE_MODULES = REGISTER.storage
REGISTER_TABLE_WRITE = REGISTER.table_write


def _models(target: Target) -> set[str]:
    import importlib

    from django.db import models

    m = importlib.import_module(f"{target.package}.models")
    return {
        name
        for name, obj in vars(m).items()
        if isinstance(obj, type) and issubclass(obj, models.Model) and obj._meta.app_label == target.label
    }


def _register_models() -> set[str]:
    return _models(REGISTER)


def _allowed(path: Path, target: Target = REGISTER) -> bool:
    rel = path.relative_to(SRC).as_posix()
    return any(rel == key or rel.startswith(key.rstrip("/") + "/") for key in target.allowed)


class _Scan(ast.NodeVisitor):
    def __init__(self, models: set[str], target: Target = REGISTER):
        self.target = target
        self.what = "register" if target is REGISTER else target.label
        self.models = models
        self.aliases: set[str] = set()  # names bound to the module <package>.models
        self.names: set[str] = set()  # model classes imported by name
        self.rows: set[str] = set()  # variables bound to rows (or querysets of them)
        self.problems: list[str] = []
        self.storage_aliases: dict[str, tuple[int, str]] = {}  # name → (line, storage module imported)

    def _storage_import(self, node, module: str) -> None:
        if module in self.target.storage:
            self.problems.append(f"line {node.lineno}: imports the {self.what}'s storage {module}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._storage_import(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        harmless = module in self.target.storage and all(a.name in self.target.harmless for a in node.names)
        if not harmless:
            self._storage_import(node, module)
        for alias in node.names:
            full = f"{module}.{alias.name}"
            if full in self.target.storage and self.target.harmless:
                # ``from nir.settlement import store``: a write only if it is used for more than its
                # harmless names (``store.ChangedMeanwhile``); judged once the module is read (``finish``)
                self.storage_aliases[alias.asname or alias.name] = (node.lineno, full)
            elif not harmless:
                self._storage_import(node, full)
            if module == self.target.package and alias.name == "models":
                self.aliases.add(alias.asname or alias.name)
            if module == f"{self.target.package}.models" and alias.name in self.models:
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
            self.problems.append(f"line {node.lineno}: constructs a {self.what} row ({ast.unparse(func)})")
        if isinstance(func, ast.Attribute):
            if func.attr in WRITE_METHODS and self._manager_of_model(func.value):
                self.problems.append(f"line {node.lineno}: writes through the ORM ({ast.unparse(func)})")
            if func.attr == "save" and (
                self._mentions_model(func.value) or (isinstance(func.value, ast.Name) and func.value.id in self.rows)
            ):
                self.problems.append(f"line {node.lineno}: .save() of a {self.what} row ({ast.unparse(func)})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and self.target.table_write.search(node.value):
            self.problems.append(f"line {node.lineno}: SQL that writes a {self.what} table")

    def finish(self, tree: ast.AST) -> None:
        """A storage module imported by name is a write unless every use is one of its harmless names."""
        if not self.storage_aliases:
            return
        harmless_uses = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.storage_aliases
            and node.attr in self.target.harmless
        }
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in self.storage_aliases]
        for name, (line, module) in self.storage_aliases.items():
            mine = [n for n in uses if n.id == name]
            if not mine or any(id(n) not in harmless_uses for n in mine):
                self.problems.append(f"line {line}: imports the {self.what}'s storage {module}")


def scan(source: str, models: set[str], target: Target = REGISTER) -> list[str]:
    visitor = _Scan(models, target)
    tree = ast.parse(source)
    visitor.visit(tree)
    visitor.finish(tree)
    return visitor.problems


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize("name", list(TARGETS))
def test_nothing_outside_the_action_layer_writes_registrations(name):
    target = TARGETS[name]
    models = _models(target)
    assert models, f"no models found in {target.package}.models"
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if _allowed(path, target):
            continue
        problems = scan(path.read_text(encoding="utf-8"), models, target)
        if problems:
            found[path.relative_to(SRC).as_posix()] = problems
    layer = "nir.actions" if target is REGISTER else f"{target.package}.actions"
    assert found == {}, f"write through {layer} instead:\n" + "\n".join(
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


@pytest.mark.parametrize(
    "source",
    [
        "from nir.settlement import store\nstore.create(M, a)",
        "from nir.settlement import store\ntry:\n    pass\nexcept store.ChangedMeanwhile:\n    store.annul(r, a, 'x')",
        "from nir.settlement import store as s\nf = s.supersede",
        "from nir.settlement import store",
        "from nir.settlement.store import create, ChangedMeanwhile",
        "import nir.settlement.store",
        "from nir.settlement import models as m\nm.CapacityLine.objects.create(places=1)",
        "from nir.settlement import models as m\nm.MunicipalDecision.objects.filter(pk=1).update(persons=2)",
        "from nir.settlement.models import CapacityLine\nCapacityLine.objects.filter(pk=1).delete()",
        "from nir.settlement.models import Agreement\nAgreement(persons=1)",
        "from nir.settlement import models as m\nrow = m.CapacityLine.objects.get(pk=1)\nrow.save()",
        "cur.execute('UPDATE settlement_capacityline SET places = 0')",
        "cur.execute('DELETE FROM \"settlement_municipaldecision\"')",
    ],
)
def test_the_scan_finds_each_kind_of_settlement_write(source):
    assert scan(source, {"CapacityLine", "MunicipalDecision", "Agreement"}, SETTLEMENT), source
    assert not scan(source, {"Decision"}, REGISTER), "the register's scan is about register rows only"


def test_the_settlement_scan_lets_reads_and_the_conflict_exception_pass():
    source = (
        "from nir.settlement.models import CapacityLine\n"
        "CapacityLine.objects.current().filter(municipality='5001').first()\n"
        "from nir.settlement.store import ChangedMeanwhile\n"
        "from nir.settlement import store\ntry:\n    pass\nexcept store.ChangedMeanwhile:\n    pass\n"
        "from nir.register import models as r\nr.Decision.objects.filter(pk=1).first()\n"
    )
    assert scan(source, {"CapacityLine"}, SETTLEMENT) == []


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
