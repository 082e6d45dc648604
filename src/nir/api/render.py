"""The API's busiest answers, rendered straight from the documents the endpoints build.

Ninja validates a view's answer against its response schema with pydantic, dumps it again and
encodes it with the standard library's JSON encoder: ~7 % of an API registration. The documents
of the person endpoints are built by one function each (``nir.access.read.person_out``,
``nir.api.persons.registration_out``) to the schema's shape, so in production ``answer`` only
encodes them (orjson, dates and times as Django's encoder writes them).

That they keep the schema's shape is checked, not assumed: with ``NIR_API_CHECK_ANSWERS`` (on when
debugging and in the test suite) every answer is also put through the schema as Ninja would, and a
difference is an error (500), so any test — the schema fuzz run among them — catches a document that
drifts from its schema. The OpenAPI document is unchanged: the operations still declare the schema.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

CONTENT_TYPE = "application/json; charset=utf-8"
_django = DjangoJSONEncoder()


class AnswerDoesNotMatchSchema(AssertionError):
    """A document differs from what its response schema makes of it (only raised when checking)."""


def _default(value: Any) -> Any:
    # dates and times (orjson passes them here), decimals, UUIDs… as Django's (and Ninja's) encoder
    return _django.default(value)


def encode(doc: Any) -> bytes:
    return orjson.dumps(doc, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def as_ninja_renders(schema: type[BaseModel], doc: Any) -> str:
    """``doc`` as Ninja answers it for an operation declaring ``schema`` (``by_alias=True``)."""
    return json.dumps(schema.model_validate(doc).model_dump(by_alias=True), cls=NinjaJSONEncoder)


def answer(status: int, schema: type[BaseModel], doc: dict[str, Any]) -> HttpResponse:
    """The HTTP answer ``doc`` under ``schema`` (declared by the operation for ``status``)."""
    content = encode(doc)
    if settings.NIR_API_CHECK_ANSWERS:
        expected = json.loads(as_ninja_renders(schema, doc))
        got = json.loads(content)
        if got != expected:
            raise AnswerDoesNotMatchSchema(
                f"the {schema.__name__} document differs from its schema: {_first_difference(got, expected)}"
            )
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)


def _first_difference(got: Any, expected: Any, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in sorted(set(got) | set(expected)):
            if key not in expected:
                return f"{path}/{key}: not in the schema"
            if key not in got:
                return f"{path}/{key}: missing (the schema gives {expected[key]!r})"
            if got[key] != expected[key]:
                return _first_difference(got[key], expected[key], f"{path}/{key}")
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for i, (a, b) in enumerate(zip(got, expected)):
            if a != b:
                return _first_difference(a, b, f"{path}/{i}")
    return f"{path or '/'}: {got!r} != {expected!r}"
