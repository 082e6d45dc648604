import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nir.settings")
application = get_wsgi_application()

from nir.runtime import tune_gc  # noqa: E402  (after the application is loaded)

tune_gc()
