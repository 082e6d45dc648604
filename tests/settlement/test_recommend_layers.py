"""The recommendation engine (nir.settlement.recommend) is pure: no Django, so it runs the same in the
commands on a world's files, in the web pages and in the API (issue 18; docs/settlement-recommendation.md)."""

import ast
import pathlib

ENGINE = pathlib.Path(__file__).resolve().parents[2] / "src" / "nir" / "settlement" / "recommend"


def test_recommend_engine_imports_no_django_and_nothing_of_the_application() -> None:
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("django", "ninja") or (
                    name.startswith("nir.") and not name.startswith("nir.settlement.recommend")
                ):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders, offenders
