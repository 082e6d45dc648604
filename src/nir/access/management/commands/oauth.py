"""nir oauth — NIR's own token-signing keys and the used-grant register.

nir oauth rotate-key     # a new signing key; the newest signs, all present verify
nir oauth retire-keys    # remove keys no valid token can have been signed with
nir oauth purge-grants   # forget used grants (jti) that have expired
nir oauth jwks           # print the published public keys
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from nir.access import oauth


class Command(BaseCommand):
    help = "NIR's OAuth2 signing keys (rotation) and used grants (docs/api.md)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate-key", "retire-keys", "purge-grants", "jwks"])

    def handle(self, *args, action, **o):
        if action == "rotate-key":
            self.stdout.write(f"Ny signeringsnøkkel: {oauth.rotate_key()}")
        elif action == "retire-keys":
            removed = oauth.retire_keys()
            self.stdout.write(f"Fjernet {len(removed)} nøkler: {' '.join(removed) or '–'}")
        elif action == "purge-grants":
            self.stdout.write(f"Glemte {oauth.purge_used_grants()} brukte grants")
        else:
            self.stdout.write(json.dumps(oauth.jwks(), indent=2))
