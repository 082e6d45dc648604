"""nir.api.render: answers encoded straight from their documents, exactly as Ninja would render
them through the schema; with NIR_API_CHECK_ANSWERS a document that drifts from its schema fails."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
from pydantic import BaseModel

from nir.api import render
from nir.api.schemas import Out


class _Inner(Out):
    day: dt.date
    at: dt.datetime
    hours: decimal.Decimal | None = None


class _Doc(Out):
    name: str
    inner: _Inner
    items: list[int]


DOC = {
    "name": "Åse",
    "items": [1, 2],
    "inner": {
        "day": dt.date(2026, 11, 23),
        "hours": decimal.Decimal("37.5"),
        "at": dt.datetime(2026, 11, 23, 11, 5, 7, 123456, tzinfo=dt.UTC),
    },
}


def test_encoding_gives_the_json_ninja_renders_for_the_same_values():
    """Dates ISO 8601, datetimes to the millisecond with Z for UTC, decimals as strings (Django's encoder)."""
    ours = json.loads(render.encode(DOC))
    assert ours == json.loads(render.as_ninja_renders(_Doc, DOC))
    assert ours["inner"] == {"day": "2026-11-23", "at": "2026-11-23T11:05:07.123Z", "hours": "37.5"}


@pytest.mark.parametrize(
    "drift, where",
    [
        ({**DOC, "extra": 1}, "/extra: not in the schema"),
        ({**DOC, "inner": {k: v for k, v in DOC["inner"].items() if k != "hours"}}, "/inner/hours: missing"),
        ({**DOC, "items": ["1", 2]}, "/items/0"),
    ],
)
def test_a_document_that_drifts_from_its_schema_fails_when_checked(settings, drift, where):
    settings.NIR_API_CHECK_ANSWERS = True
    with pytest.raises(render.AnswerDoesNotMatchSchema) as e:
        render.answer(201, _Doc, drift)
    assert where in str(e.value)


def test_unchecked_answers_are_only_encoded(settings):
    settings.NIR_API_CHECK_ANSWERS = False
    response = render.answer(201, _Doc, {**DOC, "extra": 1})
    assert response.status_code == 201 and response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["extra"] == 1


def test_a_document_as_the_schema_makes_it_passes(settings):
    settings.NIR_API_CHECK_ANSWERS = True
    response = render.answer(200, _Doc, DOC)
    assert json.loads(response.content)["inner"]["at"] == "2026-11-23T11:05:07.123Z"
    assert isinstance(_Doc.model_validate(DOC), BaseModel)
