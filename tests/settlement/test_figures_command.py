"""``nir settlement figures`` and ``nir settlement weekly-list``: the same numbers as the module, each format,
the user's area, bad input refused, one audit event per run."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from nir.access.models import AuditEvent, Role
from nir.testing.builders import make_user
from nir.testing.settlement_builders import SettlementWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled():
    w = SettlementWorld()
    import datetime as dt

    a = w.case([w.adult(), w.child()], permit=dt.date(2025, 1, 10))
    w.settle(a, "5001", dt.date(2025, 3, 5))
    b = w.case([w.um()], permit=dt.date(2025, 1, 10))
    w.settle(b, "4601", dt.date(2025, 3, 6))


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("settlement", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_figures_json_csv_xlsx(settled, tmp_path):
    out, err = run("figures", "--year", "2025", "--format", "json", "--known-at", "2026-01-31")
    doc = json.loads(out)
    values = {f["key"]: f["value"] for f in doc["figures"]}
    assert (values["settled"], values["settled_um"], values["families"]) == (3, 1, 1)
    assert {m["code"]: m["settled"] for m in doc["municipalities"]} == {"5001": 2, "4601": 1}
    assert doc["monthly"][2]["settled"] == 3 and "3 bosatte" in err
    csv_out, _ = run("figures", "--year", "2025", "--area", "46")
    assert "Bosatte personer;1" in csv_out and "5001" not in csv_out
    run("figures", "--year", "2025", "--format", "xlsx", "--out", str(tmp_path / "t.xlsx"))
    wb = load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["Nøkkeltall", "Per fylke", "Per kommune", "Per måned", "Bosettingsklare"]
    events = AuditEvent.objects.filter(channel="command", what="settlement:figures")
    assert events.count() == 3 and all(e.action == "statistics" for e in events)


def test_weekly_list_and_a_users_area(settled, django_user_model):
    # ISO week 10 of 2025: 3.–9.3.
    out, _ = run("weekly-list", "--year", "2025", "--week", "10", "--format", "json")
    doc = json.loads(out)
    assert doc["total"]["total"] == 3 and [m["code"] for m in doc["municipalities"]] == ["4601", "5001"]
    make_user(django_user_model, "fk-vestland", "f-46", roles=[Role.COUNTY_OFFICER])
    out, _ = run("weekly-list", "--year", "2025", "--week", "10", "--format", "json", "--user", "fk-vestland")
    assert [m["code"] for m in json.loads(out)["municipalities"]] == ["4601"]
    assert AuditEvent.objects.filter(what="settlement:weekly-list", user__username="fk-vestland").exists()


def test_bad_input_is_refused(settled, django_user_model):
    with pytest.raises(CommandError, match="ukjent kommune"):
        run("figures", "--year", "2025", "--area", "9999")
    with pytest.raises(CommandError, match="ugyldig uke"):
        run("weekly-list", "--year", "2025", "--week", "60")
    with pytest.raises(CommandError, match="--known-at"):
        run("figures", "--known-at", "i går")
    with pytest.raises(CommandError, match="xlsx"):
        run("figures", "--format", "xlsx")
    make_user(django_user_model, "fk-vestland", "f-46", roles=[Role.COUNTY_OFFICER])
    with pytest.raises(CommandError, match="utenfor"):
        run("figures", "--area", "5001", "--user", "fk-vestland")
    make_user(django_user_model, "saksbeh", "k-5001", roles=[Role.CASEWORKER])
    with pytest.raises(CommandError, match="ikke tilgang"):
        run("figures", "--user", "saksbeh")
