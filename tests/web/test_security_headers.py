"""Security headers, CSP and CSRF (nir.web.security, settings; docs/security.md)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from nir.reports import charts
from nir.web import security

SRC = Path(__file__).resolve().parents[2] / "src"
STRICT = [
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d for d in (part.strip() for part in policy.split(";"))}


def assert_page_policy(response):
    """The application's policy: own origin only, inline elements only with this response's nonce."""
    policy = response["Content-Security-Policy"]
    for directive in STRICT:
        assert directive in policy
    d = directives(response)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy
    nonce = re.fullmatch(r"style-src 'self' 'nonce-([\w-]+)'", d["style-src"]).group(1)
    assert d["script-src"] == f"script-src 'self' 'nonce-{nonce}'"
    assert d["style-src-attr"] == "style-src-attr 'unsafe-hashes' " + security.sha256_source(
        "max-width:100%;height:auto"
    )
    html = response.content.decode()
    # every inline element carries this response's nonce; no other style attribute than the charts'
    for tag in re.findall(r"<(?:style|script)\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    for value in re.findall(r'\sstyle="([^"]*)"', html):
        assert value in security.ALLOWED_STYLE_ATTRIBUTES, value
    return nonce


@pytest.fixture
def admin_client_(db, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("sjef", password=None))
    return client


# --- the CSP on pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_has_the_csp(client):
    r = client.get("/login/")
    assert r.status_code == 200
    first = assert_page_policy(r)
    second = assert_page_policy(client.get("/login/"))
    assert first != second  # a new nonce for every response
    assert r["X-Content-Type-Options"] == "nosniff" and r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_home_and_report_pages_have_the_csp(admin_client_):
    for url in (
        "/arbeidsflate/",
        "/personer/",
        "/regelmotor/",
        "/administrering/",
        "/rapporter/",
        "/rapporter/avvik-sluttmaal/",
        "/rapporter/aarsstatistikk/?year=2025",
        "/rapporter/aarsrapport/5001/2025/",
    ):
        r = admin_client_.get(url)
        assert r.status_code == 200, url
        assert_page_policy(r)


@pytest.mark.django_db
def test_yearly_report_keeps_its_print_script_under_the_nonce(admin_client_):
    r = admin_client_.get("/rapporter/aarsrapport/5001/2025/")
    nonce = assert_page_policy(r)
    html = r.content.decode()
    assert f'<script nonce="{nonce}">' in html and "window.print()" in html


def test_charts_use_only_the_allowed_style_attribute():
    svg = str(charts.bar_chart("Tittel", ["A", "B"], {"Serie": [1, 2]}, unit="personer", description="Beskrivelse"))
    values = re.findall(r'\sstyle="([^"]*)"', svg)
    assert values and set(values) <= set(security.ALLOWED_STYLE_ATTRIBUTES)


@pytest.mark.django_db
def test_json_responses_get_nosniff_and_no_csp(client, admin_client_):
    for r in (client.get("/helse/"), admin_client_.get("/api/v1/openapi.json"), client.get("/api/v1/codes")):
        assert r["Content-Type"].startswith(("application/json", "application/problem+json"))
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in r


@pytest.mark.django_db
def test_admin_pages_have_the_csp(admin_client_):
    r = admin_client_.get("/admin/")
    assert r.status_code == 200 and "Content-Security-Policy" in r


# --- the API docs page (Swagger UI from the CDN) -------------------------------------------------


@pytest.mark.django_db
def test_api_docs_page_works_with_its_own_csp(admin_client_):
    r = admin_client_.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" in html
    d = directives(r)
    policy = r["Content-Security-Policy"]
    for directive in STRICT[2:]:
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    # the script and stylesheet from exactly Swagger UI's folder on the CDN, not the whole CDN
    assert d["style-src"] == "style-src 'self' https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
    assert d["img-src"] == "img-src 'self' data: https://django-ninja.dev/img/"
    # the inline start-up script, allowed by its hash
    inline = [m.group(1) for m in re.finditer(r"<script>(.*?)</script>", html, re.DOTALL)]
    assert len(inline) == 1 and "SwaggerUIBundle(configObject)" in inline[0]
    assert d["script-src"] == (
        "script-src 'self' https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/ " + security.sha256_source(inline[0])
    )
    # every resource the page loads is allowed by the policy
    for url in re.findall(r'(?:src|href)="(https://[^"]+)"', html):
        assert url.startswith(("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/", "https://django-ninja.dev/img/")), url


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_post_without_csrf_token_is_refused(django_user_model):
    django_user_model.objects.create_user("saksbehandler", password="et-langt-passord-1")
    client = Client(enforce_csrf_checks=True)
    r = client.post("/login/", {"username": "saksbehandler", "password": "et-langt-passord-1"})
    assert r.status_code == 403 and "_auth_user_id" not in client.session
    # with the token from the form it works
    page = client.get("/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = client.post(
        "/login/", {"username": "saksbehandler", "password": "et-langt-passord-1", "csrfmiddlewaretoken": token}
    )
    assert r.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_cookie_flags(client, django_user_model):
    django_user_model.objects.create_user("saksbehandler", password="et-langt-passord-1")
    client.get("/login/")
    client.post("/login/", {"username": "saksbehandler", "password": "et-langt-passord-1"})
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert not session["secure"]  # plain http for `make run`; secure with NIR_HTTPS=1 (below)


# --- HTTPS settings from the environment --------------------------------------------------------

PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
from django.core.management import call_command
import io
secure = Client().get("/login/", secure=True)
plain = Client().get("/login/")
out = io.StringIO()
call_command("check", deploy=True, stdout=out, stderr=out)
print(json.dumps({
    "hsts": secure.get("Strict-Transport-Security"), "plain_status": plain.status_code,
    "plain_location": plain.get("Location"), "session_secure": s.SESSION_COOKIE_SECURE,
    "csrf_secure": s.CSRF_COOKIE_SECURE, "proxy_header": s.SECURE_PROXY_SSL_HEADER,
    "check": out.getvalue(),
}))
"""


def run_probe(tmp_path, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NIR_", "OIDC_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "nir.settings",
            "PYTHONPATH": str(SRC),
            "NIR_VAR_DIR": str(tmp_path),
            "NIR_DEBUG": "0",
            "NIR_SECRET_KEY": secrets.token_urlsafe(60),
        },
        **env_extra,
    )
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_https_settings_only_with_nir_https(tmp_path):
    on = run_probe(tmp_path, NIR_HTTPS="1")
    assert on["hsts"] == "max-age=31536000; includeSubDomains"
    assert on["plain_status"] == 301 and on["plain_location"] == "https://testserver/login/"
    assert on["session_secure"] and on["csrf_secure"]
    assert on["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # `manage.py check --deploy`: only the HSTS preload list remains (a decision for the whole domain)
    warnings = re.findall(r"\(security\.(W\d+)\)", on["check"])
    assert warnings == ["W021"], on["check"]

    off = run_probe(tmp_path)
    assert off["hsts"] is None and off["plain_status"] == 200
    assert not off["session_secure"] and not off["csrf_secure"] and off["proxy_header"] is None
    assert {"W004", "W008", "W012", "W016"} <= set(re.findall(r"\(security\.(W\d+)\)", off["check"]))
