"""nir dbrole — the application's own PostgreSQL role, which owns nothing (nir.access.dbrole).

    nir dbrole [ROLE] [--create] [--password-env VAR]

Runs as the schema's owner (``NIR_MIGRATE_DATABASE_URL``; nir.cli). ROLE defaults to
``NIR_APP_DB_ROLE`` (DATABASE_URL's user). ``--create`` creates the role (LOGIN, nothing else;
needs CREATEROLE) with the password in the environment variable VAR. Revokes everything, then
grants exactly the application's privileges; ``nir migrate`` repeats the grants. docs/security.md.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from nir.access.dbrole import RoleError, grant_app_role


class Command(BaseCommand):
    help = (
        "PostgreSQL: create (--create) and grant the application's database role: SELECT and INSERT on "
        "the append-only tables (UPDATE of superseded_at only), ordinary rights on the rest, owns nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", help="the role (default: NIR_APP_DB_ROLE, DATABASE_URL's user)")
        parser.add_argument("--create", action="store_true", help="create the role if it does not exist")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="with --create: the environment variable that holds the role's password",
        )

    def handle(self, *args, role=None, create=False, password_env=None, **options):
        role = role or settings.NIR_APP_DB_ROLE
        if not role:
            raise CommandError("ingen rolle: oppgi ROLLE, eller sett NIR_APP_DB_ROLE / NIR_MIGRATE_DATABASE_URL")
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"miljøvariabelen {password_env} er tom eller mangler")
        try:
            grants = grant_app_role("default", role, create=create, password=password)
        except RoleError as e:
            raise CommandError(str(e)) from None
        width = max(map(len, grants), default=0)
        for table, privileges in grants.items():
            self.stdout.write(f"{table:<{width}}  {privileges}")
        self.stderr.write(f"rollen {role}: rettigheter på {len(grants)} tabeller (eier ingenting)")
