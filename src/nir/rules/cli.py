"""``nir rules evaluate``, ``check`` and ``docs`` as plain functions (no argparse, no Django).

The Django management command ``nir.actions.management.commands.rules``
parses the command line and calls these with paths and an output stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nir.rules.cases import CaseError, check_case, find_cases, load_case
from nir.rules.model import InvalidFacts

if TYPE_CHECKING:
    # Any text stream: sys.stdout, or a management command's OutputWrapper (not a TextIO).
    from _typeshed import SupportsWrite


def evaluate_case_file(path: Path | str, out: SupportsWrite[str]) -> int:
    """Print the full result of one case (with explanations) as JSON. Returns the exit status."""
    try:
        case = load_case(path)
        result = case.evaluate()
    except (CaseError, InvalidFacts) as e:
        out.write(f"{path}: {e}\n")
        return 2
    doc = {
        "case": str(path),
        "description": case.description,
        "source": case.source,
        "as_of": case.as_of.isoformat(),
        **result.to_json(),
    }
    out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 0


def check(paths: Iterable[Path | str], out: SupportsWrite[str]) -> int:
    """Check every case under ``paths``: one line per failing expectation
    (file, key path, expected, actual), then ``N passed, M failed``.
    Returns 0 iff every expectation in every case holds (and every path exists)."""
    files, missing = find_cases(paths)
    for m in missing:
        out.write(f"{m}: finnes ikke\n")
    passed = failed = 0
    for f in files:
        try:
            mismatches = check_case(load_case(f))
        except CaseError as e:
            out.write(f"{f}: {e}\n")
            failed += 1
            continue
        for mismatch in mismatches:
            out.write(f"{f}: {mismatch}\n")
        if mismatches:
            failed += 1
        else:
            passed += 1
    out.write(f"{passed} passed, {failed} failed\n")
    return 1 if failed or missing else 0


def docs(out: SupportsWrite[str], check_only: bool = False, root: Path | None = None) -> int:
    """Write the generated rule documents (``docs/rules.md``'s rule tables, ``docs/regler/*.md``), or with
    ``check_only`` only list those that differ from the rule declarations. Returns 1 when ``check_only``
    finds a stale document."""
    from nir.rules import docs as generator

    root = root or generator.ROOT
    if check_only:
        stale = generator.stale(root)
        for path in stale:
            out.write(f"{path}: utdatert, kjør nir rules docs\n")
        out.write(f"{len(stale)} utdaterte dokumenter\n")
        return 1 if stale else 0
    changed = generator.write(root)
    for path in changed:
        out.write(f"{path}: skrevet\n")
    out.write(f"{len(changed)} dokumenter endret\n")
    return 0
