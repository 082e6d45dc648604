"""``nir loadrefdata``: reference data and code lists (``nir.reference``), then the organisations
derived from them (``nir.access.loaders``); the same as every ``nir migrate`` does afterwards.
The command lives in ``access`` because it loads both layers."""

from django.core.management.base import BaseCommand

from nir.access.loaders import load_organisations
from nir.reference.loaders import load_all


class Command(BaseCommand):
    help = (
        "Load municipalities, counties, districts, code lists and organisations from the repo's data files "
        "(idempotent)."
    )

    def handle(self, *args, **opts):
        using = opts.get("database", "default")
        result = load_all(using=using)
        result["organisations"] = load_organisations(using)
        if opts["verbosity"]:
            self.stdout.write(
                "Referansedata: {counties} fylker, {municipalities} kommuner, {districts} bydeler, "
                "{codes} koder, {organisations} organisasjoner".format(**result)
            )
