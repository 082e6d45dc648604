from django.core.management.base import BaseCommand

from nir.reference.loaders import load_all


class Command(BaseCommand):
    help = "Load municipalities, counties, districts, code lists and organisations from the repo's data files (idempotent)."

    def handle(self, *args, **opts):
        load_all(using=opts.get("database", "default"), verbosity=opts["verbosity"], stdout=self.stdout)
