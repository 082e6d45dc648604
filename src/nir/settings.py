"""Django settings for NIR og Bosetting.

Everything that differs between a laptop, CI and production comes from the
environment: ``DATABASE_URL`` (default: the embedded SQLite database under
``var/``), ``NIR_SECRET_KEY``, ``NIR_DEBUG``, ``NIR_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

SRC_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SRC_DIR.parents[1]
VAR_DIR = Path(os.environ.get("NIR_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("NIR_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("NIR_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("NIR_SECRET_KEY must be set when NIR_DEBUG=0")
ALLOWED_HOSTS = os.environ.get("NIR_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Synthetic identity numbers (Skatteetaten's series, month + 80) are accepted
# only where the register holds synthetic data (development, test, demo).
NIR_ACCEPT_SYNTHETIC_IDS = os.environ.get("NIR_ACCEPT_SYNTHETIC_IDS", "1" if DEBUG else "0") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "nir.reference",
    "nir.access",
    "nir.register",
    "nir.reports",
    "nir.api",
    "nir.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nir.urls"
WSGI_APPLICATION = "nir.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'nir.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the lock at BEGIN, so two
        # writers queue instead of failing half-way ("database is locked").
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    # JIT compilation off: the register's queries are short index lookups whose estimated cost
    # (correlated subqueries) crosses jit_above_cost, and compiling then takes ~0.7 s of a 50 ms query.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The register's covering indexes (INCLUDE columns) are for PostgreSQL; on the embedded SQLite
# database they are plain indexes on their key columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "access.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Every handler carries the filter that removes national identity numbers,
# including Django's request log (URLs may contain search terms).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_identity_numbers": {"()": "nir.logging.RedactIdentityNumbers"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
        "plain": {"format": "{levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_identity_numbers"], "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "filters": ["no_identity_numbers"], "formatter": "django.server"},
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "nir": {"handlers": ["console"], "level": os.environ.get("NIR_LOG_LEVEL", "INFO"), "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
