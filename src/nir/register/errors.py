"""Refusals: every refused registration names the field and the rule it broke."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.rule}]"


class RegistrationRefused(Exception):
    """Raised by the write path; nothing has been stored when it is raised."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class ConcurrentChange(RegistrationRefused):
    """The row to correct was superseded by someone else in the meantime."""

    @classmethod
    def already_superseded(cls) -> ConcurrentChange:
        return cls(
            [
                Problem(
                    "id", "already_superseded", "registreringen er allerede korrigert eller slettet; last siden på nytt"
                )
            ]
        )


class RegistrationNotFound(LookupError):
    """No registration of that kind and id about that person (or none the actor may see)."""
