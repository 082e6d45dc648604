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

# Trained recommendation models (issue 18; nir.settlement.recommend_registry): one folder per version,
# under var/ (kept out of git). The register's row of each version holds the files' SHA-256.
NIR_MODEL_DIR = Path(os.environ.get("NIR_MODEL_DIR", VAR_DIR / "models"))

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
    "nir.actions",
    "nir.reports",
    "nir.settlement",
    "nir.grants",
    "nir.synth",
    "nir.api",
    "nir.web",
]

# --- OpenID Connect login (ID-porten style), off by default; docs/security.md ------------------------
# Switched on purely by the environment (NIR_OIDC_ENABLED=1). The /oidc/ URLs are always mounted
# but answer 404 while this is off (nir.access.oidc.oidc_urlpatterns), so tests can switch it with
# override_settings. Users are never created by a login: an administrator sets User.oidc_subject.
NIR_OIDC_ENABLED = os.environ.get("NIR_OIDC_ENABLED", "0") == "1"
if NIR_OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not os.environ.get(name)
    ]
    if _missing:
        raise RuntimeError(f"NIR_OIDC_ENABLED=1 requires {', '.join(_missing)}")
    OIDC_RP_CLIENT_ID = os.environ["OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ["OIDC_RP_CLIENT_SECRET"]
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["OIDC_OP_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ["OIDC_OP_JWKS_ENDPOINT"]
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")
# Optional checks of the ID token (nir.access.oidc): its issuer, and the acr values asked for and required.
NIR_OIDC_ISSUER = os.environ.get("NIR_OIDC_ISSUER", "")
NIR_OIDC_ACR_VALUES = os.environ.get("NIR_OIDC_ACR_VALUES", "")
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": NIR_OIDC_ACR_VALUES} if NIR_OIDC_ACR_VALUES else {}
OIDC_CREATE_USER = False  # no self-provisioning
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True  # ID-porten requires PKCE
OIDC_STORE_ID_TOKEN = False  # the ID token carries the pid (fødselsnummer): never kept in the session
OIDC_STORE_ACCESS_TOKEN = False
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/login/?oidc=feil"

MIDDLEWARE = [
    # /api/ only: body limit (413), every error as problem+json, Cache-Control: no-store (nir.api.middleware)
    "nir.api.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every HTML response, with a per-request nonce (docs/security.md)
    "nir.web.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # bokmål unless the user chose English in the header, whatever the browser says (nir.web.language)
    "nir.web.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session lasts a working day at most and ends when idle; answers to users are no-store
    "nir.access.sessions.SessionLimitsMiddleware",
    "nir.access.sessions.PrivateAnswersMiddleware",
    # Every page's access rule (nir.access.policy.WEB_RULES); deny by default (docs/access.md)
    "nir.access.middleware.AccessPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Machine clients' API requests (``Authorization: Bearer`` to /api/) use no session, CSRF token,
# language negotiation, messages or page rules: nir.handlers serves them with this shorter chain.
API_BEARER_MIDDLEWARE = [
    mw
    for mw in MIDDLEWARE
    if mw
    not in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "nir.web.language.ChosenLanguageMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "nir.access.sessions.SessionLimitsMiddleware",
        "nir.access.sessions.PrivateAnswersMiddleware",
        "nir.access.middleware.AccessPolicyMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    )
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
                "nir.web.context.navigation",
            ],
        },
    },
]


def _owner_only(path: Path, mode: int) -> None:
    """Take group and other permissions away from ``path`` (ours); leave it be when it is not ours."""
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)
    except OSError:
        pass


def _private_sqlite(db: Path) -> None:
    """The SQLite database (and its -wal/-shm files, which SQLite creates with the database's mode)
    readable by the application's user only (0600), in a directory only it can list (0700 when this
    creates it; var/ is made so also when it exists). docs/security.md."""
    if str(db) in ("", ":memory:") or str(db).startswith("file:"):
        return
    db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if db.parent.resolve() == VAR_DIR.resolve():
        _owner_only(VAR_DIR, 0o700)
    try:
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
    except FileExistsError:
        pass
    except OSError:
        return
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            _owner_only(path, 0o600)


DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'nir.sqlite3'}"
# Two connections on PostgreSQL (docs/security.md): DATABASE_URL is the application's, as a role
# that owns nothing (nir.access.dbrole); NIR_MIGRATE_DATABASE_URL the schema owner's, which
# ``nir migrate`` and the other owner commands use (nir.cli.OWNER_COMMANDS set NIR_DB_AS_OWNER=1).
# Without NIR_MIGRATE_DATABASE_URL one connection does everything (SQLite, development).
APP_DATABASE_URL = os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL)
MIGRATE_DATABASE_URL = os.environ.get("NIR_MIGRATE_DATABASE_URL", "")
DATABASE_AS_OWNER = bool(MIGRATE_DATABASE_URL) and os.environ.get("NIR_DB_AS_OWNER") == "1"
DATABASES = {
    "default": dj_database_url.parse(MIGRATE_DATABASE_URL if DATABASE_AS_OWNER else APP_DATABASE_URL, conn_max_age=60)
}
# The application's role, granted its privileges after every migrate and by ``nir dbrole``:
# NIR_APP_DB_ROLE, else DATABASE_URL's user when the owner has a connection of its own.
NIR_APP_DB_ROLE = os.environ.get("NIR_APP_DB_ROLE") or (
    dj_database_url.parse(APP_DATABASE_URL).get("USER") or "" if MIGRATE_DATABASE_URL else ""
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the lock at BEGIN, so two
        # writers queue instead of failing half-way ("database is locked").
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # recursive_triggers: a REPLACE fires the DELETE triggers of the row it replaces, so the
        # append-only tables refuse it (nir.register.db).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA recursive_triggers=ON;",
    }
    _private_sqlite(Path(DATABASES["default"]["NAME"]))
else:
    # JIT compilation off: the register's queries are short index lookups whose estimated cost
    # (correlated subqueries) crosses jit_above_cost, and compiling then takes ~0.7 s of a 50 ms query.
    # Parallel query off by default: on the two cores that the web workers share, starting workers
    # costs a page more than it saves (a person list's first page walks an index and stops); the
    # statements that read the whole register (nir.reports.statistics, the Kommuner figures of
    # nir.reports.worklist) turn it on for themselves (SET LOCAL).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
    # Prepared statements on: the write path's statements (nir.register.snapshot_sql, write_sql,
    # nir.access.audit) are prepared once per connection instead of parsed and planned on every
    # write. Django turns them off by default for the sake of connection poolers in transaction
    # mode; set NIR_PG_PREPARED=0 behind such a pooler if it does not track prepared statements.
    # (Django's own queries bind parameters on the client and are never prepared.)
    if os.environ.get("NIR_PG_PREPARED", "1") != "0":
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The register's covering indexes (INCLUDE columns) are for PostgreSQL; on the embedded SQLite
# database they are plain indexes on their key columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "access.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
# ModelBackend first (username/password, and the backend of force_login in tests); the OIDC backend
# only with NIR_OIDC_ENABLED=1.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if NIR_OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("nir.access.oidc.NirOIDCBackend")

# Login throttling (nir.access.throttle, docs/security.md): counted in the cache below.
NIR_LOGIN_MAX_FAILURES_PER_USER = int(os.environ.get("NIR_LOGIN_MAX_FAILURES_PER_USER", "5"))
NIR_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("NIR_LOGIN_MAX_FAILURES_PER_IP", "20"))
NIR_LOGIN_WINDOW_SECONDS = int(os.environ.get("NIR_LOGIN_WINDOW_SECONDS", str(15 * 60)))
# How many reverse proxies in front of NIR append to X-Forwarded-For (0: use REMOTE_ADDR).
NIR_LOGIN_TRUSTED_PROXIES = int(os.environ.get("NIR_LOGIN_TRUSTED_PROXIES", "0"))

# Per process. With several worker processes in production configure a shared cache (Redis or
# memcached) here, or the login limits count per process (docs/security.md).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nir"}}

# --- security headers and cookies (docs/security.md) -------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A session lasts a working day at most (absolute) and ends after a while without requests
# (nir.access.sessions; docs/security.md).
NIR_SESSION_MAX_AGE = int(os.environ.get("NIR_SESSION_MAX_AGE", str(9 * 3600)))
NIR_SESSION_IDLE_TIMEOUT = int(os.environ.get("NIR_SESSION_IDLE_TIMEOUT", str(45 * 60)))
SESSION_COOKIE_AGE = NIR_SESSION_MAX_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Readable by scripts on purpose: docs/api.md tells API clients to echo the csrftoken cookie in
# X-CSRFToken. HttpOnly would add nothing: the token is also in every form ({% csrf_token %}).
CSRF_COOKIE_HTTPONLY = False
# Behind HTTPS (NIR_HTTPS=1): HSTS, redirect to https, secure cookies, and trust the proxy's
# X-Forwarded-Proto — only behind a proxy that sets it and strips it from clients' requests.
# Off by default so `make run` works on http://127.0.0.1:8000.
NIR_HTTPS = os.environ.get("NIR_HTTPS", "0") == "1"
if NIR_HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^helse/$"]  # the load balancer's health probe may come over plain http
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
# The language switch in the page header stores the choice in this cookie (nir.web.language).
LANGUAGE_COOKIE_NAME = "nir_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"

STATIC_URL = "static/"
# var/ is private to the application's user (0700, docs/security.md): a web server running as another
# user that serves the collected static files needs them elsewhere (NIR_STATIC_ROOT).
STATIC_ROOT = Path(os.environ.get("NIR_STATIC_ROOT", VAR_DIR / "static"))
# Front-end packages from the npm registry (package.json; installed by ``make install`` with
# ``npm ci``, not committed): Digdir's Designsystemet and htmx, served as static files.
NODE_MODULES = Path(os.environ.get("NIR_NODE_MODULES", PROJECT_DIR / "node_modules"))
STATICFILES_DIRS = [
    ("vendor/designsystemet", NODE_MODULES / "@digdir" / "designsystemet-css" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]

# DUF numbers in log lines (request paths) become keyed pseudonyms (nir.logging.duf_pseudonym):
# HMAC under this key; empty: derived from SECRET_KEY. Set it to keep the pseudonyms across a
# rotation of NIR_SECRET_KEY. ``nir audit log-pseudonym DUF`` computes a person's pseudonym.
NIR_LOG_PSEUDONYM_KEY = os.environ.get("NIR_LOG_PSEUDONYM_KEY", "")

# Every handler carries the filter that removes national identity numbers and replaces DUF
# numbers by their pseudonyms, including Django's request log and the access logs of runserver
# and granian (URLs carry DUF numbers and search terms).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_identity_numbers": {"()": "nir.logging.RedactIdentityNumbers"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
        "plain": {"format": "{levelname} {name}: {message}", "style": "{"},
        "message": {"format": "{message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_identity_numbers"], "formatter": "plain"},
        "django.server": {
            "class": "logging.StreamHandler",
            "filters": ["no_identity_numbers"],
            "formatter": "django.server",
        },
        # granian's access log (``granian --access-log``): each worker configures it, then loads
        # nir.wsgi, whose settings replace its handler with this filtered one (to stdout, as granian's).
        "granian.access": {
            "class": "logging.StreamHandler",
            "filters": ["no_identity_numbers"],
            "formatter": "message",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["granian.access"], "level": "INFO", "propagate": False},
        "nir": {"handlers": ["console"], "level": os.environ.get("NIR_LOG_LEVEL", "INFO"), "propagate": False},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- OAuth2 for machine clients and API rate limits (nir.access.oauth, nir.api.auth; docs/api.md) ---
NIR_OAUTH_ISSUER = os.environ.get("NIR_OAUTH_ISSUER", "urn:no:imdi:nir")
NIR_OAUTH_AUDIENCE = os.environ.get("NIR_OAUTH_AUDIENCE", "urn:no:imdi:nir:api")
NIR_OAUTH_TOKEN_LIFETIME = int(os.environ.get("NIR_OAUTH_TOKEN_LIFETIME", "120"))  # seconds, as Maskinporten
NIR_OAUTH_KEY_DIR = Path(os.environ.get("NIR_OAUTH_KEY_DIR", VAR_DIR / "oauth-keys"))  # NIR's signing keys
# Check the API's directly rendered answers against their response schemas (nir.api.render):
# on when debugging and in the test suite, off in production.
NIR_API_CHECK_ANSWERS = os.environ.get("NIR_API_CHECK_ANSWERS", "1" if DEBUG else "0") == "1"
# Downloads of reports, statistics and the audit log on the web, per user (nir.web.limits): 429 over it.
NIR_EXPORT_RATE_LIMIT = os.environ.get("NIR_EXPORT_RATE_LIMIT", "30/h")
# The largest request body the API accepts (the documented 10,000-item batch is ~2.7 MB); larger is
# 413. Web pages keep Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
NIR_API_MAX_BODY_BYTES = int(os.environ.get("NIR_API_MAX_BODY_BYTES", str(16 * 1024 * 1024)))
NIR_API_RATE_LIMITS = {
    "client": os.environ.get("NIR_API_RATE_LIMIT_CLIENT", "3000/m"),
    "user": os.environ.get("NIR_API_RATE_LIMIT_USER", "600/m"),
}
