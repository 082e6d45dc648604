"""Who registers: a user, an API client or a system actor (``Regelmotor``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from nir.register.models import ActorKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

REGELMOTOR = "Regelmotor"


class Client(Protocol):
    """What a registration records of an API client (``nir.access.models.ApiClient``, a layer above)."""

    pk: Any
    source_system: str


@dataclass(frozen=True)
class Actor:
    kind: str
    source_system: str
    user_id: int | None = None
    client_id: int | None = None
    system: str = ""

    @classmethod
    def for_user(cls, user: AbstractBaseUser | AnonymousUser, source_system: str = "NIR") -> Actor:
        return cls(kind=ActorKind.USER, source_system=source_system, user_id=user.pk)

    @classmethod
    def for_client(cls, client: Client) -> Actor:
        return cls(kind=ActorKind.CLIENT, source_system=client.source_system, client_id=client.pk)

    @classmethod
    def for_system(cls, name: str = REGELMOTOR, source_system: str | None = None) -> Actor:
        return cls(kind=ActorKind.SYSTEM, source_system=source_system or name, system=name)

    def row_fields(self) -> dict[str, Any]:
        return {
            "registered_by_kind": self.kind,
            "registered_by_user_id": self.user_id,
            "registered_by_client_id": self.client_id,
            "registered_by_system": self.system,
            "source_system": self.source_system,
        }
