"""The recommendation model registry (issue 18): a trained model registered through the action layer by
IMDi's national settlement staff only (audited, append-only), the newest registered is the one in use,
a model whose files changed after registration is refused; training from the register end to end."""

import copy
import datetime as dt
import json

import numpy as np
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from nir import actions
from nir.access.models import AuditEvent, Role
from nir.access.policy import AccessDenied
from nir.actions.acting import Acting
from nir.register import models as rm
from nir.register.actors import REGELMOTOR, Actor
from nir.settlement import recommend_registry, recommend_source
from nir.settlement.actions import planning, recommendation
from nir.settlement.errors import SettlementRefused
from nir.settlement.models import RecommendationModelVersion
from nir.settlement.recommend.data import GROUPS, DataError, households
from nir.settlement.recommend.model import train
from nir.testing.builders import Register, make_user

from .test_recommend_source import programme

pytestmark = pytest.mark.django_db

SYSTEM = Acting.system("Test")


def synthetic_history(munis, n=150, seed=0):
    """A small history in formats.md's shape: three years, two dozen municipalities, outcomes that
    depend on the person and the municipality's unemployment."""
    rng = np.random.default_rng(seed)
    numbers = munis.numbers[:24]
    out = []
    for i in range(n):
        year = 2019 + i % 3
        k = numbers[int(rng.integers(0, len(numbers)))]
        unemployment = munis.columns["unemployment_rate"][munis.index[k]]
        persons = []
        stay = bool(rng.random() < 0.85)
        for j in range(1 + int(rng.integers(0, 3))):
            age = int(rng.integers(18, 60)) if j == 0 else int(rng.integers(2, 50))
            p = 1 / (1 + np.exp(-(0.8 - 0.3 * unemployment + 0.02 * (40 - age))))
            persons.append(
                {
                    "person_id": f"H{year}-{i:06d}-{j + 1}",
                    "role": "adult" if age >= 18 else "child",
                    "age": age,
                    "sex": "F" if rng.random() < 0.5 else "M",
                    "country_group": GROUPS[int(rng.integers(0, len(GROUPS)))],
                    "education": "primary",
                    "work_experience_years": int(rng.integers(0, 10)),
                    "english_level": 1,
                    "norwegian_level": 0,
                    "special_need": "none",
                    "unaccompanied_minor": False,
                    "outcomes": {
                        "work_or_education_2y": bool(rng.random() < p) if 16 <= age <= 64 else None,
                        "stayed_2y": stay,
                    },
                }
            )
        out.append(
            {
                "household_id": f"H{year}-{i:06d}",
                "settlement_date": f"{year}-03-01",
                "settled_municipality": k,
                "resettlement": False,
                "connection_municipality": None,
                "persons": persons,
            }
        )
    return out


@pytest.fixture
def model_dir(tmp_path, settings):
    settings.NIR_MODEL_DIR = tmp_path / "models"
    recommend_registry.clear_cache()
    yield settings.NIR_MODEL_DIR
    recommend_registry.clear_cache()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from nir.settlement import indicators
    from nir.settlement.recommend.data import read_municipalities

    munis = read_municipalities(indicators.PUBLIC_WORLD / "municipalities.csv")
    hh = households(synthetic_history(munis), munis)
    first = train(hh, munis, validate_years="latest", n_boot=2)
    second = copy.copy(first)  # a later version of the same fit (a new training takes seconds more)
    second.version = first.version + "-2"
    second.card = {**first.card, "version": second.version}
    return [first, second]


def saved(model, model_dir, name):
    folder = model_dir / name
    model.save(folder)
    return folder


@pytest.fixture
def staff(django_user_model):
    return {
        "national": make_user(django_user_model, "bs-nasjonal", "imdi", roles=[Role.SETTLEMENT_NATIONAL]),
        "caseworker": make_user(django_user_model, "bs-midt", "imdi", roles=[Role.SETTLEMENT_CASEWORKER]),
        "municipality": make_user(django_user_model, "bs-koord", "k-5001", roles=[Role.SETTLEMENT_COORDINATOR]),
    }


def test_register_model_needs_national_settlement_staff_and_is_audited(trained, model_dir, staff):
    folder = saved(trained[0], model_dir, "a")
    for who in ("caseworker", "municipality"):
        with pytest.raises(AccessDenied):
            recommendation.register_model(Acting.for_user(staff[who], channel="web"), folder, source="world")
    assert not RecommendationModelVersion.objects.exists()
    row = recommendation.register_model(Acting.for_user(staff["national"], channel="web"), folder, source="world")
    assert row.version == trained[0].version and row.path == "a" and row.source == "world"
    assert row.sha256 == recommend_registry.artefact_sha256(folder) and len(row.sha256) == 64
    assert row.card["version"] == row.version and json.dumps(row.card)
    assert (row.period_from, row.period_to) == (dt.date(2019, 1, 1), dt.date(2021, 12, 31))
    event = AuditEvent.objects.get(what="settlement.model.register")
    assert event.user_id == staff["national"].pk and event.filters["version"] == row.version
    assert event.person_count == 0
    with pytest.raises(SettlementRefused, match="allerede registrert"):
        recommendation.register_model(Acting.for_user(staff["national"], channel="web"), folder, source="world")
    with pytest.raises(IntegrityError), transaction.atomic():  # append-only
        RecommendationModelVersion.objects.filter(pk=row.pk).update(path="b")


def test_register_model_refuses_a_folder_outside_the_model_dir_or_not_a_model(trained, model_dir, tmp_path):
    outside = tmp_path / "elsewhere"
    trained[0].save(outside)
    with pytest.raises(SettlementRefused, match="NIR_MODEL_DIR"):
        recommendation.register_model(SYSTEM, outside, source="world")
    empty = model_dir / "empty"
    empty.mkdir(parents=True)
    with pytest.raises(SettlementRefused, match="ikke en modell"):
        recommendation.register_model(SYSTEM, empty, source="world")
    with pytest.raises(SettlementRefused, match="kilde"):
        recommendation.register_model(SYSTEM, empty, source="elsewhere")


def test_current_model_is_the_newest_registered(trained, model_dir):
    assert recommend_registry.current_model() is None
    recommendation.register_model(SYSTEM, saved(trained[0], model_dir, "first"), source="world")
    model, row = recommend_registry.current_model()
    assert row.version == model.version == trained[0].version
    assert recommend_registry.current_model()[0] is model  # cached per version
    recommendation.register_model(SYSTEM, saved(trained[1], model_dir, "second"), source="world")
    model2, row2 = recommend_registry.current_model()
    assert row2.version == model2.version == trained[1].version and model2 is not model


def test_a_tampered_model_is_refused(trained, model_dir):
    folder = saved(trained[0], model_dir, "tampered")
    recommendation.register_model(SYSTEM, folder, source="world")
    card = folder / "card.json"
    card.write_text(card.read_text(encoding="utf-8").replace("household", "HOUSEHOLD", 1), encoding="utf-8")
    with pytest.raises(recommend_registry.ModelIntegrityError, match="endret"):
        recommend_registry.current_model()


@pytest.fixture
def register_history(model_dir):
    """Sixty persons settled by agreement three and four years ago in four municipalities, each in the
    programme (half ended in work), a fifth moved away after a year."""
    planning.load_indicators(SYSTEM)

    today = timezone.localdate()
    reg = Register(Actor.for_system(REGELMOTOR, source_system="test"))
    rng = np.random.default_rng(3)
    for i in range(60):
        settled = dt.date(today.year - 4 + i % 2, 1 + i % 12, 10)
        k = ("5001", "4601", "0301", "1103")[i % 4]
        person = reg.person(
            f"Test{i}",
            "Person",
            municipality=k,
            permit=settled - dt.timedelta(days=60),
            settled=settled,
            follow_up_from=settled,
            birth=dt.date(1985 + i % 15, 2, 3),
        )
        actions.register(
            SYSTEM,
            person.duf,
            rm.Residence,
            {
                "municipality": k,
                "district": "",
                "address": "",
                "postal_code": "",
                "valid_from": settled,
                "valid_to": None,
            },
        )
        programme(
            person.duf,
            settled + dt.timedelta(days=20),
            reason="work" if rng.random() < 0.5 else "health",
            ended=settled + dt.timedelta(days=400),
        )
        if i % 5 == 0:  # a fifth move to another municipality after a year
            actions.move(SYSTEM, person.duf, {"move_date": settled + dt.timedelta(days=365), "municipality": "5501"})


def test_train_from_register_end_to_end(register_history, model_dir):
    """The register's own households trained, saved (no identity in the files) and registered."""
    done = recommend_source.train_from_register(SYSTEM, timezone.localdate(), register=True, quick=True)
    assert done.extract.households == 60 and done.row.source == "register"
    summary = done.row.card["training_data"]["register"]
    assert summary["work_or_education_observed"] == 60 and summary["stayed_true"] == 48
    assert done.directory.is_relative_to(model_dir)
    text = " ".join(f.read_bytes().decode("latin-1") for f in done.directory.rglob("*") if f.is_file())
    for p in rm.Person.objects.all():
        assert p.duf not in text
    for d in rm.PersonDetails.objects.current():
        assert d.national_id not in text and f"{d.first_name} {d.last_name}" not in text
    assert recommend_registry.current_model()[1].pk == done.row.pk
    event = AuditEvent.objects.get(what="settlement.recommendation.history")
    assert event.person_count == 60 and event.purpose == recommend_source.TRAINING_PURPOSE


def test_train_command(register_history, model_dir, staff):
    with pytest.raises(DataError, match="dato"):
        recommend_source.train_command(until="07.12.2026")
    with pytest.raises(DataError, match="kan ikke trene"):
        recommend_source.train_command(until=timezone.localdate().isoformat(), user="bs-midt")
    with pytest.raises(DataError, match="ukjent bruker"):
        recommend_source.train_command(until=timezone.localdate().isoformat(), user="nobody")
    lines = []
    done = recommend_source.train_command(
        until=timezone.localdate().isoformat(), register=True, user="bs-nasjonal", write=lines.append, quick=True
    )
    assert done.row.registered_by_user_id == staff["national"].pk
    assert lines[0].startswith(f"Modell {done.model.version} trent på registeret") and "60 husstander" in lines[0]
    assert "48 ble boende" in lines[1] and lines[-1].startswith("Registrert som gjeldende modell")
    event = AuditEvent.objects.get(what="settlement.recommendation.history")
    assert event.user_id == staff["national"].pk and event.channel == "command"


def test_train_command_line(register_history, model_dir, staff):
    """nir settlement train --from-register: the register's history trained and registered; refused
    without --until or for a user without the right (exit status 2, nothing registered)."""
    import io

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--until"):
        call_command("settlement", "train", "--from-register", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="kan ikke trene"):
        call_command(
            "settlement",
            "train",
            "--from-register",
            "--until",
            timezone.localdate().isoformat(),
            "--user",
            "bs-midt",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not RecommendationModelVersion.objects.exists()
    out = io.StringIO()
    call_command(
        "settlement",
        "train",
        "--from-register",
        "--until",
        timezone.localdate().isoformat(),
        "--register",
        "--user",
        "bs-nasjonal",
        stdout=out,
        stderr=io.StringIO(),
    )
    row = RecommendationModelVersion.objects.get()
    assert "60 husstander" in out.getvalue() and row.registered_by_user_id == staff["national"].pk
    assert AuditEvent.objects.filter(what="settlement.recommendation.history", channel="command").count() == 1
