"""nir demo — a ready-to-use demo: synthetic population and demo users with printed passwords."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from nir import actions
from nir.access import oauth
from nir.access.models import ApiClient, Organisation, RoleAssignment
from nir.access.policy import scopes_for
from nir.access.roles import OrganisationKind, Role
from nir.register.errors import RegistrationRefused
from nir.register.models import FollowUp, Measure, Participation, Person

DEMO_USERS = [
    # username, first, last, organisation code, roles, staff
    ("imdi-admin", "Ingrid", "Admin", "imdi", [Role.IMDI_ADMIN, Role.IMDI_ANALYST], True),
    ("trondheim-saksbehandler", "Tor", "Saksbehandler", "k-5001", [Role.CASEWORKER], False),
    ("bergen-saksbehandler", "Berit", "Saksbehandler", "k-4601", [Role.CASEWORKER], False),
    # Trondheim's own administrator: its users and their roles (Administrering › Brukere)
    ("trondheim-lokaladmin", "Liv", "Lokaladmin", "k-5001", [Role.CASEWORKER, Role.MUNICIPALITY_ADMIN], False),
    ("statsforvalter-trondelag", "Siri", "Tilsyn", "sf-trl", [Role.COUNTY_GOVERNOR], False),
    # Bosetting (issue 17, settlement.md § 2)
    ("imdi-bosetting-midt", "Mari", "Bosetting", "imdi-midt", [Role.SETTLEMENT_CASEWORKER], False),
    ("imdi-bosetting-nasjonalt", "Nils", "Bosetting", "imdi", [Role.SETTLEMENT_NATIONAL], False),
    ("trondheim-bosetting", "Trine", "Bosetting", "k-5001", [Role.SETTLEMENT_COORDINATOR], False),
    ("mottak-trondheim", "Mona", "Mottak", "mottak-trondheim", [Role.RECEPTION_CASEWORKER], False),
    ("bufetat-saksbehandler", "Bjørn", "Bufetat", "bufetat", [Role.RECEPTION_CASEWORKER], False),
    ("trondelag-fylkeskommune", "Frida", "Fylke", "f-50", [Role.COUNTY_OFFICER], False),
]

# Organisations of the Bosetting demo users (get_or_create: the reference data's Bosetting
# organisations, with the same codes, may already hold the IMDi regional office and Bufetat).
DEMO_ORGANISATIONS = [
    # code, kind, name, municipality, counties
    ("imdi-midt", OrganisationKind.IMDI, "IMDi Midt-Norge", "", ["15", "50"]),
    ("mottak-trondheim", OrganisationKind.RECEPTION, "Trondheim mottak (UDI)", "5001", ["50"]),
    ("bufetat", OrganisationKind.BUFETAT, "Barne-, ungdoms- og familieetaten (Bufetat)", "", []),
]


# The settlement years before this one the demo generates (years back: from, to): 2019–2024 in 2026, so
# each has its outcomes two years later in the register.
HISTORY_YEARS = (7, 2)

DEMO_CLIENT = "demo-fagsystem-trondheim"
# The source system of the demo's own registrations (the implausible ones, ``_implausible``).
DEMO_SOURCE = "Syntetiske demodata"


class Command(BaseCommand):
    help = "Load the demo: a synthetic population (if the register is empty) and demo users with fresh passwords."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-settlement", action="store_true", help="no synthetic settlement year (Bosetting) with the population"
        )
        parser.add_argument(
            "--no-grants", action="store_true", help="no payment round (Tilskudd) computed for the population"
        )

    def handle(self, *args, persons, seed, no_settlement=False, no_grants=False, **opts):
        self._organisations()
        made_settlement = False
        if not Person.objects.exists():
            self.stdout.write(f"Genererer syntetisk befolkning ({persons} personer, seed {seed}) …")
            call_command("synth", persons=persons, seed=seed, quiet=True, stdout=self.stdout)
            if not no_settlement:
                self._settlement(seed)
                made_settlement = True
            self.stdout.write("Regelmotoren vurderer befolkningen (kategorier, frister, avvik) …")
            call_command("rules", "reevaluate", "--quiet", stdout=self.stdout)
            n = self._implausible()
            self.stdout.write(
                f"Registrerte {n} usannsynlige, men godtatte registreringer (arbeidslisten Datakvalitet)."
            )
            if not no_grants:
                self._grants_round()
        else:
            self.stdout.write(
                f"Registeret har allerede {Person.objects.count()} personer; ingen ny befolkning generert."
            )
        lines = self._users()
        if made_settlement:
            n = self._open_proposals()
            self.stdout.write(f"Foreslo {n} bosettingsklare saker for Trondheim (Bosetting › Forslag).")
            self._recommendation_model()
        self.stdout.write("")
        self.stdout.write("Demobrukere (passordene er nye ved hver kjøring):")
        for username, org, roles, password in lines:
            self.stdout.write(f"  {username:<26} {password}   {org} – {roles}")
        self.stdout.write("")
        self.stdout.write(
            "Åpne http://127.0.0.1:8000 og logg inn. Administrasjon: http://127.0.0.1:8000/admin/ (imdi-admin)"
        )
        client_id, kid, key_file = self._api_client()
        self.stdout.write("")
        self.stdout.write(f"API-klient (fagsystem i Trondheim, OAuth2 som Maskinporten; docs/api.md): {client_id}")
        self.stdout.write(f"  privat nøkkel {key_file} (ny ved hver kjøring), kid {kid}. Tilgangstoken:")
        self.stdout.write(
            f"  curl -d grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer -d assertion=$(nir clients grant "
            f"{client_id} --kid {kid} --private-key {key_file} --scope nir:persons.read) "
            "http://127.0.0.1:8000/oauth/token"
        )

    def _grants_round(self) -> None:
        """The latest payment round whose cut-off has passed, computed as a draft (``nir grants calculate``),
        so that the Tilskudd pages show real statements (issue 20 § 6)."""
        from nir.grants.engine.rounds import Round

        now = dt.datetime.now(dt.UTC)
        year = now.year
        past = [q for q in (1, 2, 3, 4) if Round.parse(f"{year}Q{q}").cutoff <= now]
        quarter = past[-1] if past else 4
        year = year if past else year - 1
        self.stdout.write(f"Beregner tilskuddsterminen {year}Q{quarter} (utkast; Tilskudd › Terminer) …")
        call_command("grants", "calculate", "--year", str(year), "--round", str(quarter), stdout=self.stdout)

    def _settlement(self, seed: int) -> None:
        """This year's settlement (nir.synth.settlement), linked to the population's persons settled by
        agreement: need, request, decisions, capacity, cases, proposals, agreements and settled; and the
        settlement years ``HISTORY_YEARS`` before it (2019–2024 in 2026), so that the register holds
        settled households with their programme results and moves two years later for the
        recommendation tool to learn from (``_recommendation_model``)."""
        from nir.synth import settlement
        from nir.synth.generator import default_now

        now = default_now()
        t0 = time.monotonic()
        households = persons = 0
        for year in range(now.year - HISTORY_YEARS[0], now.year - HISTORY_YEARS[1] + 1):
            past = settlement.generate(year, seed, now)
            households += past.settled_households
            persons += past.settled_persons
        self.stdout.write(
            f"Bosettingshistorikk {now.year - HISTORY_YEARS[0]}–{now.year - HISTORY_YEARS[1]}: {households} "
            f"bosatte husstander, {persons} personer ({time.monotonic() - t0:.0f} s)."
        )
        result = settlement.generate(now.year, seed, now)
        self.stdout.write(
            f"Bosettingsår {result.year}: {result.cases} saker, {result.settled_persons} bosatte personer, "
            f"{result.ready_end_persons} bosettingsklare nå (nir synth settlement-summary)."
        )

    def _recommendation_model(self) -> None:
        """Train the recommendation model on the register's settled households (with their outcomes two
        years later) and register it for use (``recommend_source.train_from_register``): one audited read
        of the history, as the demo's system actor acting for IMDi."""
        from nir.settlement import recommend_source
        from nir.settlement.recommend.data import DataError

        t0 = time.monotonic()
        acting = actions.Acting.system(DEMO_SOURCE, channel="command", endpoint="nir demo")
        try:
            today = timezone.localdate()
            done = recommend_source.train_from_register(
                acting,
                today,
                since=dt.date(today.year - HISTORY_YEARS[0], 1, 1),
                register=True,
                endpoint="nir demo",
                quick=True,
            )
        except DataError as e:
            self.stdout.write(f"Ingen anbefalingsmodell trent: {e}")
            return
        size = sum(f.stat().st_size for f in done.directory.rglob("*") if f.is_file())
        self.stdout.write(
            f"Anbefalingsmodell {done.model.version} trent på registeret: {done.extract.households} husstander, "
            f"{done.extract.persons} personer, {time.monotonic() - t0:.0f} s, {size / 1e3:.0f} kB "
            "(Bosetting › Fordeling)."
        )

    def _open_proposals(self, municipality: str = "5001", wanted: int = 2) -> int:
        """A few ready cases proposed to Trondheim by the demo's IMDi caseworker (imdi-bosetting-midt)
        through the action layer (``nir.settlement.actions.assignment.propose``: region, readiness and
        free capacity checked, audited), so that the demo's settlement coordinator (trondheim-bosetting)
        has proposals to accept or decline: the synthetic year's own open proposals may all have
        passed their deadline by today."""
        from nir.settlement import selectors
        from nir.settlement.actions import assignment
        from nir.settlement.errors import SettlementRefused

        user = get_user_model().objects.get(username="imdi-bosetting-midt")
        acting = actions.Acting.for_user(user, channel="command", source_system=DEMO_SOURCE)
        made = 0
        for row in selectors.work_list(user, limit=500, all_regions=True).cases:
            if made >= wanted:
                break
            try:
                assignment.propose(acting, row["number"], municipality)
            except SettlementRefused:
                continue  # no free capacity of this household's kind, or needs Trondheim cannot meet
            made += 1
        return made

    @transaction.atomic
    def _organisations(self) -> None:
        for code, kind, name, municipality, counties in DEMO_ORGANISATIONS:
            Organisation.objects.get_or_create(
                code=code,
                defaults={"kind": kind, "name": name, "municipality_number": municipality, "county_numbers": counties},
            )

    def _implausible(self) -> int:
        """A few registrations the plausibility check accepts with a warning (docs/rules.md «Plausibility»),
        for persons followed up in Trondheim and Bergen, so that the work list «Datakvalitet» has rows:
        participation above full time last month, a measure of 45 hours a week. Through the action layer,
        as the synthetic generator's system actor, judged and audited like any write."""
        acting = actions.Acting.system(DEMO_SOURCE)
        today = timezone.localdate()
        last = today.replace(day=1) - dt.timedelta(days=1)
        first = last.replace(day=1)
        stored = 0
        for municipality, count in (("5001", 3), ("4601", 2)):
            duf_numbers = (
                FollowUp.objects.current()
                .filter(municipality=municipality, valid_from__lte=today)
                .exclude(valid_to__lt=today)
                .order_by("person_id")
                .values_list("person__duf", flat=True)[:count]
            )
            for i, duf in enumerate(duf_numbers):
                if i % 2 == 0:
                    model, values = (
                        Participation,
                        {"scheme": "intro", "from_date": first, "to_date": last, "hours": Decimal("210")},
                    )
                else:
                    values = {
                        "scheme": "intro",
                        "measure": "work_practice",
                        "from_date": first,
                        "to_date": None,
                        "hours_per_week": Decimal("45"),
                    }
                    model = Measure
                try:
                    actions.register(acting, duf, model, values, what="demo:implausible")
                except RegistrationRefused:
                    continue
                stored += 1
        return stored

    @transaction.atomic
    def _api_client(self):
        """A demo case system for Trondheim with every scope a municipality may hold: a fresh key each run,
        the old ones revoked."""
        trondheim = Organisation.objects.get(code="k-5001")
        client, _ = ApiClient.objects.update_or_create(
            client_id=DEMO_CLIENT,
            defaults={
                "name": "Demo-fagsystem Trondheim",
                "source_system": "Demo-fagsystem",
                "organisation": trondheim,
                "scopes": scopes_for(trondheim),
                "active": True,
            },
        )
        client.keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        private_pem, public_pem = oauth.generate_client_key("ES256")
        key = oauth.add_client_key(client, public_pem)
        key_file = os.path.join(settings.VAR_DIR, f"{DEMO_CLIENT}.pem")
        if os.path.exists(key_file):
            os.unlink(key_file)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(private_pem)
        return client.client_id, key.kid, key_file

    @transaction.atomic
    def _users(self):
        User = get_user_model()
        out = []
        for username, first, last, org_code, roles, staff in DEMO_USERS:
            org = Organisation.objects.get(code=org_code)
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name, user.organisation = first, last, org
            user.is_staff = user.is_superuser = staff
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save()
            for role in roles:
                RoleAssignment.objects.get_or_create(user=user, role=role, organisation=org)
            out.append((username, org.name, ", ".join(Role(r).label for r in roles), password))
        return out
