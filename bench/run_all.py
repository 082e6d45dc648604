"""Run every benchmark in bench/ (``make bench``): ``python bench/run_all.py [--persons N]``.

Each ``bench/*.py`` other than this file is a benchmark that accepts
``--persons N``; they run one after the other, each against its own throwaway
database, and the exit status is non-zero if any of them fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name == Path(__file__).name or script.name.startswith("_"):
            continue
        print(f"\n=== {script.name} --persons {args.persons}", flush=True)
        if subprocess.call([sys.executable, str(script), "--persons", str(args.persons)]) != 0:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
