"""The regelmotor: NIR's rules as code (regelmotor.md).

Pure Python — no Django, no database: facts in, results out at a given date.

    from nir.rules import evaluate, validate_registration, parameters
    result = evaluate(facts, as_of=datetime.date(2026, 4, 1))
    result.to_json()        # {"law", "intro", "norwegian", "deviations", "errors", "explanations"}

Layout (rules filed by act and section):

* ``integreringsforskriften/``  — if. § 72 which act applies, if. §§ 10/19 absence
* ``integreringsloven/``        — § 8 target group, § 8 fourth paragraph (work),
  ch. 6A, if. § 43h, §§ 13–14 final goals, §§ 26–28 and 32 Norwegian, the general
  decision rules (regelmotor.md § 5)
* ``nir_004/``                  — the 004 deviation report
* ``table``, ``checks``         — decision tables and error checks, run per person and on columns
* ``introduksjonsloven/``       — the repealed act, isolated for phase-out
* ``parameters/``               — effective-dated parameters (YAML) and their loader
* ``workdays``, ``dates``       — workday and month arithmetic
* ``cases``, ``cli``            — the JSON case format and ``nir rules check/evaluate``
"""

from nir.rules import parameters
from nir.rules.engine import Violation, evaluate, new_violations, validate_registration
from nir.rules.model import InvalidFacts, Result

__all__ = ["evaluate", "validate_registration", "new_violations", "Violation", "Result", "InvalidFacts", "parameters"]
