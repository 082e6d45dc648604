"""Helpers of the Personer tests: counts of registrations, audit events, page text, the htmx header."""

from __future__ import annotations

from nir.access.models import AuditEvent
from nir.register import models as m
from nir.testing import builders as helpers

at = helpers.at


def national_id(person) -> str:
    return m.PersonDetails.objects.current().get(person=person).national_id


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in m.ALL_REGISTRATION_MODELS}


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def text(response) -> str:
    return response.content.decode()


HX = {"HX-Request": "true"}
