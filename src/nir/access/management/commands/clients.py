"""nir clients — machine clients (API-klienter) of municipal case systems and their keys.

    nir clients create CLIENT_ID --organisation CODE --name NAME --source-system SYSTEM --scope S [--scope S …]
    nir clients add-key CLIENT_ID (--public-key FILE | --generate --private-key-out FILE) [--algorithm ES256]
    nir clients revoke-key KID
    nir clients list
    nir clients grant CLIENT_ID --kid KID --private-key FILE --scope S …   # a signed JWT grant, for testing

Key rotation: ``add-key`` a new key, let the case system sign with it, then ``revoke-key`` the old
one. The private key never reaches NIR (``--generate`` writes it to a file for the client and keeps
only the public half). docs/api.md describes the token flow.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nir.access import oauth
from nir.access.models import ApiClient, Organisation
from nir.access.policy import SCOPES, scope_refusal


class Command(BaseCommand):
    help = "Machine clients (OAuth2 client credentials, Maskinporten style): create, keys, list (docs/api.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        c = sub.add_parser("create", help="Registrer en API-klient for en organisasjon")
        c.add_argument("client_id")
        c.add_argument("--organisation", required=True, help="organisation code, e.g. k-5001")
        c.add_argument("--name", required=True)
        c.add_argument("--source-system", required=True, help="the case system (fagsystem) registered as source")
        c.add_argument("--scope", action="append", dest="scopes", required=True, choices=SCOPES)
        k = sub.add_parser("add-key", help="Legg til en offentlig nøkkel (nøkkelrotasjon)")
        k.add_argument("client_id")
        k.add_argument("--public-key", help="PEM file with the client's public key")
        k.add_argument(
            "--generate", action="store_true", help="make a key pair; the private half goes to --private-key-out"
        )
        k.add_argument("--private-key-out", help="where --generate writes the private key (mode 600)")
        k.add_argument("--algorithm", default="ES256", choices=oauth.CLIENT_ALGORITHMS)
        k.add_argument("--kid", help="key id (default: generated)")
        k.add_argument("--expires", help="expiry date YYYY-MM-DD (default: none)")
        r = sub.add_parser("revoke-key", help="Trekk tilbake en nøkkel")
        r.add_argument("kid")
        sub.add_parser("list", help="Vis klienter og nøkler")
        g = sub.add_parser("grant", help="Lag en signert JWT-grant (for testing med curl)")
        g.add_argument("client_id")
        g.add_argument("--kid", required=True)
        g.add_argument("--private-key", required=True)
        g.add_argument("--algorithm", default="ES256", choices=oauth.CLIENT_ALGORITHMS)
        g.add_argument("--scope", action="append", dest="scopes", required=True, choices=SCOPES)

    def handle(self, *args, sub, **o):
        return getattr(self, "_" + sub.replace("-", "_"))(o)

    @staticmethod
    def _client(client_id) -> ApiClient:
        try:
            return ApiClient.objects.select_related("organisation").get(client_id=client_id)
        except ApiClient.DoesNotExist:
            raise CommandError(f"ukjent klient {client_id!r}") from None

    def _create(self, o):
        try:
            org = Organisation.objects.get(code=o["organisation"])
        except Organisation.DoesNotExist:
            raise CommandError(f"ukjent organisasjon {o['organisation']!r}") from None
        if ApiClient.objects.filter(client_id=o["client_id"]).exists():
            raise CommandError(f"klienten {o['client_id']!r} finnes allerede")
        refusal = scope_refusal(org, o["scopes"])
        if refusal:
            raise CommandError(refusal)
        client = ApiClient.objects.create(
            client_id=o["client_id"],
            name=o["name"],
            organisation=org,
            source_system=o["source_system"],
            scopes=sorted(set(o["scopes"])),
        )
        self.stdout.write(f"Klient {client.client_id} opprettet for {org.name} med scope {' '.join(client.scopes)}")

    def _add_key(self, o):
        client = self._client(o["client_id"])
        if bool(o["public_key"]) == bool(o["generate"]):
            raise CommandError("oppgi enten --public-key FIL eller --generate --private-key-out FIL")
        if o["generate"]:
            if not o["private_key_out"]:
                raise CommandError("--generate krever --private-key-out FIL")
            private_pem, public_pem = oauth.generate_client_key(o["algorithm"])
            fd = os.open(o["private_key_out"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(private_pem)
        else:
            public_pem = Path(o["public_key"]).read_text()
        expires = None
        if o["expires"]:
            try:
                day = dt.date.fromisoformat(o["expires"])
            except ValueError:
                raise CommandError("--expires må være ÅÅÅÅ-MM-DD") from None
            expires = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        try:
            key = oauth.add_client_key(client, public_pem, algorithm=o["algorithm"], kid=o["kid"], expires_at=expires)
        except ValueError as e:
            raise CommandError(f"ugyldig nøkkel: {e}") from None
        self.stdout.write(f"Nøkkel {key.kid} ({key.algorithm}) lagt til for {client.client_id}")

    def _revoke_key(self, o):
        if not oauth.revoke_client_key(o["kid"]):
            raise CommandError(f"ingen aktiv nøkkel med kid {o['kid']!r}")
        self.stdout.write(f"Nøkkel {o['kid']} er trukket tilbake")

    def _list(self, o):
        for client in ApiClient.objects.select_related("organisation").order_by("client_id"):
            state = "aktiv" if client.active else "deaktivert"
            self.stdout.write(
                f"{client.client_id}  {client.organisation.code}  {state}  scope: {' '.join(client.scopes)}"
            )
            for key in client.keys.order_by("created_at"):
                status = (
                    "trukket tilbake"
                    if key.revoked_at
                    else ("utløpt" if key.expires_at and key.expires_at <= timezone.now() else "aktiv")
                )
                self.stdout.write(f"    {key.kid}  {key.algorithm}  {status}")

    def _grant(self, o):
        client = self._client(o["client_id"])
        refusal = scope_refusal(client.organisation, o["scopes"])
        if refusal:
            raise CommandError(refusal)
        missing = sorted(set(o["scopes"]) - set(client.scopes or []))
        if missing:
            raise CommandError(f"klienten {client.client_id} har ikke scope {' '.join(missing)}")
        grant = oauth.make_grant(
            o["client_id"], o["kid"], Path(o["private_key"]).read_text(), o["scopes"], algorithm=o["algorithm"]
        )
        self.stdout.write(grant)
