"""Who acts: the explicit context every action is given.

``Acting`` names the actor (a user, an API client's principal, or a named system actor such as the
``Regelmotor`` or an import system), the organisation it acts for, the channel (web, api, command,
system) and, where there is a request, the request (its id and path go into the audit event). It
gives the register the row fields of the registrant (``actor``), the access policy the principal
(``principal``), and the audit log the event (``audit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nir.access import audit
from nir.access.models import AuditAction, AuditChannel, AuditEvent
from nir.register.actors import Actor

WEB_SOURCE = "NIR"  # the source system of registrations made in the web application
API_USER_SOURCE = "NIR API"  # … and by web-session users through the API (clients name their own)


@dataclass(frozen=True)
class Acting:
    """Who acts, for which organisation, through which channel (see the module text).

    ``principal`` is the user or the API client's principal (``nir.access.oauth.ClientPrincipal``)
    whose permissions and scope the actions apply; it is None for a system actor (``system_name``),
    which acts for the register itself and is not limited to a scope.
    """

    channel: str
    source_system: str
    principal: Any = None
    system_name: str = ""
    request: Any = None
    endpoint: str = ""

    def __post_init__(self) -> None:
        if self.channel not in AuditChannel.values:
            raise ValueError(f"unknown channel {self.channel!r}")
        if (self.principal is None) == (not self.system_name):
            raise ValueError("an actor is either a principal (user or client) or a named system actor")

    # --- constructors ---------------------------------------------------------------------------

    @classmethod
    def from_request(cls, request: Any, *, channel: str | None = None) -> Acting:
        """The principal of a request: the API's (``request.auth``: a user or a machine client) or the
        logged-in user of the web application."""
        principal = getattr(request, "auth", None)
        if principal is not None:
            api = channel or str(AuditChannel.API)
            if getattr(principal, "is_client", False):
                return cls(api, principal.client.source_system, principal=principal, request=request)
            return cls(api, API_USER_SOURCE, principal=principal, request=request)
        return cls(channel or str(AuditChannel.WEB), WEB_SOURCE, principal=request.user, request=request)

    @classmethod
    def for_user(
        cls, user: Any, *, channel: str, source_system: str = WEB_SOURCE, endpoint: str = "", request: Any = None
    ) -> Acting:
        """A user acting with their own permissions and scope (``nir import --user U``: ``channel="command"``)."""
        return cls(channel, source_system, principal=user, request=request, endpoint=endpoint)

    @classmethod
    def system(
        cls, name: str, *, source_system: str | None = None, channel: str = str(AuditChannel.SYSTEM), endpoint: str = ""
    ) -> Acting:
        """A named system actor (``Regelmotor``, an import system): acts for the register, no scope."""
        return cls(channel, source_system or name, system_name=name, endpoint=endpoint)

    # --- what the layers beneath need ------------------------------------------------------------

    @property
    def unrestricted(self) -> bool:
        """A system actor: not limited by a principal's permissions and scope."""
        return self.principal is None

    @property
    def organisation(self) -> Any:
        return getattr(self.principal, "organisation", None)

    @property
    def actor(self) -> Actor:
        """The registrant recorded on every row written."""
        if self.principal is None:
            return Actor.for_system(self.system_name, source_system=self.source_system)
        if getattr(self.principal, "is_client", False):
            return Actor.for_client(self.principal.client)
        return Actor.for_user(self.principal, source_system=self.source_system)

    @property
    def request_id(self) -> str:
        return audit.request_id(self.request) if self.request is not None else ""

    def audit(
        self, *, what: str, persons: Any, action: str = str(AuditAction.WRITE), filters: dict[str, Any] | None = None
    ) -> AuditEvent:
        """Record the action's audit event (``nir.access.audit.record``); raises on failure."""
        return audit.record(
            actor_user=self.principal,
            system=self.system_name,
            action=action,
            channel=self.channel,
            what=what,
            persons=persons,
            filters=filters,
            request=self.request,
            endpoint=self.endpoint,
        )
