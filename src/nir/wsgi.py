import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nir.settings")
_full = get_wsgi_application()

from nir.handlers import BearerApiHandler, application_for  # noqa: E402  (after Django is set up)

# Machine clients' bearer-token API requests take a shorter middleware chain (nir.handlers).
application = application_for(_full, BearerApiHandler())

from nir.runtime import tune_gc  # noqa: E402  (after the application is loaded)

tune_gc()
