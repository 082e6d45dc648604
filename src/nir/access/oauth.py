"""OAuth2 client credentials for machine clients, modelled on Maskinporten (docs/api.md).

1. A municipal case system (``ApiClient``) registers a public key (``ApiClientKey``, ``kid``).
2. It signs a short JWT *grant* with its private key — header ``kid``, ``alg`` ES256/RS256/PS256;
   claims ``iss`` = its client id, ``aud`` = NIR's issuer, ``scope``, ``iat``, ``exp`` (at most
   two minutes later), ``jti`` (used once) — and posts it to ``/oauth/token``
   (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``assertion=<grant>``).
3. NIR answers with an *access token*: a JWT signed with NIR's own key (ES256), valid
   ``NIR_OAUTH_TOKEN_LIFETIME`` seconds (120), carrying the client id, its organisation and the
   granted scopes. The API accepts it as ``Authorization: Bearer <token>`` (``nir.api.auth``).

NIR's signing keys are PEM files in ``NIR_OAUTH_KEY_DIR`` (``var/oauth-keys``); the newest signs,
every one present verifies, and ``/oauth/jwks`` publishes their public halves. ``nir oauth
rotate-key`` adds a key; ``nir oauth retire-keys`` removes the ones no valid token can carry.
A client rotates its own key by adding a new ``ApiClientKey`` and revoking the old one
(``nir clients add-key`` / ``revoke-key``).

Every refusal raises ``OAuthError`` with an RFC 6749 § 5.2 error code. Nothing here logs a token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from nir.access.models import ApiClient, ApiClientKey, OAuthGrantUse
from nir.access.policy import SCOPE_PERMISSIONS, Permission, scope_refusal, scopes_beyond_ceiling

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ALGORITHMS = ("ES256", "RS256", "PS256")  # never "none" or a shared secret (HS*)
TOKEN_ALGORITHM = "ES256"
MAX_GRANT_LIFETIME = 120  # seconds between the grant's iat and exp (Maskinporten: 120)
LEEWAY = 10  # seconds of clock skew accepted


def issuer() -> str:
    return getattr(settings, "NIR_OAUTH_ISSUER", "urn:no:imdi:nir")


def audience() -> str:
    """The ``aud`` of NIR's access tokens: the API."""
    return getattr(settings, "NIR_OAUTH_AUDIENCE", "urn:no:imdi:nir:api")


def token_lifetime() -> int:
    return int(getattr(settings, "NIR_OAUTH_TOKEN_LIFETIME", 120))


def key_dir() -> Path:
    return Path(getattr(settings, "NIR_OAUTH_KEY_DIR", None) or Path(settings.VAR_DIR) / "oauth-keys")


class OAuthError(Exception):
    """A refused grant or token; ``error`` is the RFC 6749 § 5.2 code, ``status`` the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400):
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}")


# --- NIR's signing keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: ec.EllipticCurvePrivateKey
    created: float

    @property
    def public(self):
        return self.private.public_key()

    def jwk(self) -> dict:
        numbers = self.public.public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x),
            "y": b64(numbers.y),
            "kid": self.kid,
            "use": "sig",
            "alg": TOKEN_ALGORITHM,
        }


@dataclass
class _KeyRing:
    directory: Path | None = None
    keys: dict[str, SigningKey] = field(default_factory=dict)
    mtime: float | None = None
    checked: float = 0.0  # time.monotonic() of the last look at the directory


_ring = _KeyRing()
_ring_lock = threading.Lock()


def _load(directory: Path) -> dict[str, SigningKey]:
    keys = {}
    for path in sorted(directory.glob("*.pem")):
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(private, ec.EllipticCurvePrivateKey):
            keys[path.stem] = SigningKey(path.stem, private, path.stat().st_mtime)
    return keys


# How often a process looks at the key directory for keys rotated or retired by another process
# (``nir oauth``): every verified request asks for the keys, and two file-system calls per request
# were ~1 % of a registration's CPU. A retired key is then refused within this many seconds.
KEY_DIR_CHECK_SECONDS = 1.0


def signing_keys(*, reload: bool = False) -> dict[str, SigningKey]:
    """The keys in the key directory (read again when it changed, looked at no more than once per
    ``KEY_DIR_CHECK_SECONDS``); one is created if none exists."""
    directory = key_dir()
    now = time.monotonic()
    ring = _ring
    if not reload and ring.keys and ring.directory == directory and now - ring.checked < KEY_DIR_CHECK_SECONDS:
        return ring.keys
    with _ring_lock:
        _ring.checked = now
        mtime = directory.stat().st_mtime if directory.exists() else None
        if reload or _ring.directory != directory or _ring.mtime != mtime or not _ring.keys:
            keys = _load(directory) if directory.exists() else {}
            if not keys:
                rotate_key(_locked=True)
                keys = _load(directory)
                mtime = directory.stat().st_mtime
            _ring.directory, _ring.keys, _ring.mtime = directory, keys, mtime
        return _ring.keys


def current_key() -> SigningKey:
    keys = signing_keys()
    return max(keys.values(), key=lambda k: (k.created, k.kid))


def rotate_key(*, _locked: bool = False) -> str:
    """Write a new signing key (the newest signs from now on); return its kid."""
    directory = key_dir()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    kid = f"nir-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(directory / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    if not _locked:
        signing_keys(reload=True)
    return kid


def retire_keys() -> list[str]:
    """Remove every signing key but the newest whose successor is older than a token's lifetime:
    no valid token can have been signed with it. Returns the kids removed."""
    keys = sorted(signing_keys(reload=True).values(), key=lambda k: (k.created, k.kid))
    now = timezone.now().timestamp()
    removed = []
    for older, newer in zip(keys, keys[1:]):
        if now - newer.created > token_lifetime() + LEEWAY:
            (key_dir() / f"{older.kid}.pem").unlink(missing_ok=True)
            removed.append(older.kid)
    signing_keys(reload=True)
    return removed


def jwks() -> dict:
    return {"keys": [k.jwk() for k in sorted(signing_keys().values(), key=lambda k: k.kid)]}


# --- client keys ------------------------------------------------------------------------------------


def revoke_client_key(kid: str) -> bool:
    """Revoke the active client key ``kid`` (``nir clients revoke-key``, the administration page):
    grants signed with it are refused from now on; access tokens already issued expire within
    their lifetime. False when no active key has this id."""
    return bool(ApiClientKey.objects.filter(kid=kid, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def generate_client_key(algorithm: str = "ES256") -> tuple[str, str]:
    """A new key pair for a client: (private PEM, public PEM). The private half is the client's."""
    if algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm in ("RS256", "PS256"):
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"ukjent algoritme {algorithm}")
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def add_client_key(
    client: ApiClient,
    public_pem: str,
    *,
    algorithm: str = "ES256",
    kid: str | None = None,
    expires_at: dt.datetime | None = None,
) -> ApiClientKey:
    if algorithm not in CLIENT_ALGORITHMS:
        raise ValueError(f"algoritmen må være en av {', '.join(CLIENT_ALGORITHMS)}")
    serialization.load_pem_public_key(public_pem.encode())  # refuses anything that is not a public key
    kid = kid or f"{client.client_id}-{uuid.uuid4().hex[:12]}"
    return ApiClientKey.objects.create(
        client=client, kid=kid, algorithm=algorithm, public_key=public_pem, expires_at=expires_at
    )


def make_grant(
    client_id: str,
    kid: str,
    private_pem: str,
    scopes,
    *,
    algorithm: str = "ES256",
    lifetime: int = MAX_GRANT_LIFETIME,
    now: dt.datetime | None = None,
    **claims,
) -> str:
    """A client's JWT grant (what a case system does with its own key; used by tests, benchmarks
    and ``nir clients token``)."""
    now = now or timezone.now()
    payload = {
        "iss": client_id,
        "aud": issuer(),
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, private_pem, algorithm=algorithm, headers={"kid": kid})


# --- the token endpoint's work --------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    client: ApiClient


def _client_key(kid: str) -> ApiClientKey:
    key = ApiClientKey.objects.select_related("client__organisation").filter(kid=kid).first()
    now = timezone.now()
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise OAuthError("invalid_client", "ukjent, utløpt eller tilbaketrukket nøkkel (kid)", 401)
    client = key.client
    if not client.active or not client.organisation.active:
        raise OAuthError("invalid_client", "klienten eller organisasjonen er ikke aktiv", 401)
    return key


def exchange_grant(assertion: str, *, grant_type: str = JWT_BEARER) -> IssuedToken:
    """Check a client's JWT grant and issue an access token for the scopes it asks for."""
    if grant_type != JWT_BEARER:
        raise OAuthError("unsupported_grant_type", f"grant_type må være {JWT_BEARER}")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "assertion er ikke en JWT") from None
    kid, alg = header.get("kid"), header.get("alg")
    if not isinstance(kid, str) or not kid:
        raise OAuthError("invalid_grant", "JWT-hodet mangler kid")
    key = _client_key(kid)
    if alg != key.algorithm:
        raise OAuthError("invalid_grant", f"nøkkelen {kid} signerer med {key.algorithm}, ikke {alg}")
    try:
        claims = jwt.decode(
            assertion,
            key.public_key,
            algorithms=[key.algorithm],
            audience=issuer(),
            issuer=key.client.client_id,
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "iat", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_grant", "grant er utløpt (exp)") from None
    except jwt.InvalidAudienceError:
        raise OAuthError("invalid_grant", f"aud må være {issuer()}") from None
    except jwt.InvalidIssuerError:
        raise OAuthError("invalid_grant", "iss må være klientens client_id") from None
    except jwt.MissingRequiredClaimError as e:
        raise OAuthError("invalid_grant", f"grant mangler {e.claim}") from None
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "signaturen eller innholdet er ugyldig") from None
    iat, exp, jti = claims["iat"], claims["exp"], claims["jti"]
    if not isinstance(jti, str) or not 0 < len(jti) <= 200:
        raise OAuthError("invalid_grant", "jti må være en tekst på høyst 200 tegn")
    if exp - iat > MAX_GRANT_LIFETIME:
        raise OAuthError("invalid_grant", f"grant kan gjelde i høyst {MAX_GRANT_LIFETIME} sekunder (exp − iat)")
    now = timezone.now()
    if iat > now.timestamp() + LEEWAY:
        raise OAuthError("invalid_grant", "iat er i framtiden")
    asked = str(claims.get("scope") or "").split()
    if not asked:
        raise OAuthError("invalid_scope", "scope mangler")
    unknown = [s for s in asked if s not in SCOPE_PERMISSIONS]
    if unknown:
        raise OAuthError("invalid_scope", f"ukjent scope: {' '.join(unknown)}")
    not_granted = [s for s in asked if s not in (key.client.scopes or [])]
    if not_granted:
        raise OAuthError("invalid_scope", f"klienten har ikke tilgang til scope: {' '.join(not_granted)}")
    refusal = scope_refusal(key.client.organisation, asked)
    if refusal:
        raise OAuthError("invalid_scope", refusal)
    try:
        with transaction.atomic():
            OAuthGrantUse.objects.create(
                client=key.client, jti=jti, expires_at=dt.datetime.fromtimestamp(exp + LEEWAY, tz=dt.UTC)
            )
    except IntegrityError:
        raise OAuthError("invalid_grant", "grant er allerede brukt (jti)") from None
    scope = " ".join(sorted(set(asked)))
    return IssuedToken(_sign_token(key.client, scope, now), token_lifetime(), scope, key.client)


def _sign_token(client: ApiClient, scope: str, now: dt.datetime) -> str:
    signing = current_key()
    iat = int(now.timestamp())
    payload = {
        "iss": issuer(),
        "aud": audience(),
        "sub": client.client_id,
        "client_id": client.client_id,
        "org": client.organisation.code,
        "scope": scope,
        "iat": iat,
        "exp": iat + token_lifetime(),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, signing.private, algorithm=TOKEN_ALGORITHM, headers={"kid": signing.kid})


def purge_used_grants() -> int:
    """Forget used grants that have expired anyway (they can no longer be replayed)."""
    return OAuthGrantUse.objects.filter(expires_at__lt=timezone.now()).delete()[0]


# --- the API's side: a bearer token becomes a principal ---------------------------------------------


@dataclass(eq=False)
class ClientPrincipal:
    """A machine client acting for its organisation, with the scopes of its access token.

    It answers the questions ``person_scope`` and ``policy.permissions`` ask of a user.
    """

    client: ApiClient
    scopes: frozenset[str]
    token_id: str
    is_authenticated = True
    is_superuser = False
    is_anonymous = False
    is_client = True

    @property
    def is_active(self) -> bool:
        return self.client.active

    @property
    def organisation(self):
        return self.client.organisation

    @property
    def pk(self):
        return None

    def granted_permission_sets(self) -> list[frozenset[Permission]]:
        return [SCOPE_PERMISSIONS[s] for s in self.scopes if s in SCOPE_PERMISSIONS]

    def __str__(self) -> str:  # the rate limits' key
        return f"client:{self.client.client_id}"


def verify_token(token: str) -> ClientPrincipal:
    """The principal of a bearer access token; ``OAuthError(invalid_token)`` when it is not valid.

    A client sends the same token for its whole lifetime (``token_lifetime``, 2 minutes): its
    signature is verified once per process (``_verified``); later requests check only that it has
    not expired, that the key that signed it is still NIR's, and (always) that the client is active;
    the principal's scopes are the token's as far as the client still holds them (``_principal``).
    """
    key = (token, audience(), issuer())
    hit = _verified.get(key)
    if hit is not None:
        kid, exp, claims = hit
        if time.time() <= exp + LEEWAY and kid in signing_keys():
            return _principal(claims)
        _verified.pop(key, None)
    claims, kid = _verify_signed(token)
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        now = time.time()
        for k, (_kid, exp, _c) in list(_verified.items()):
            if now > exp + LEEWAY:
                _verified.pop(k, None)
        if len(_verified) >= VERIFIED_CACHE_SIZE:
            _verified.clear()
    _verified[key] = (kid, float(claims["exp"]), claims)
    return _principal(claims)


# Access tokens whose signature this process has verified: (token, audience, issuer) → (kid, exp, claims).
VERIFIED_CACHE_SIZE = 20_000
_verified: dict[tuple[str, str, str], tuple[str, float, dict]] = {}


def _principal(claims: dict) -> ClientPrincipal:
    """The token's client with the token's scopes as far as the client holds them *now*: a scope
    removed from the client (or one its organisation's kind may not hold) no longer counts, even in
    a token issued before (``CLIENT_CACHE_SECONDS``)."""
    client = _active_client(str(claims["client_id"]))
    if client is None:
        raise OAuthError("invalid_token", "klienten er ikke aktiv", 401)
    return ClientPrincipal(
        client, frozenset(str(claims["scope"]).split()) & _current_scopes(client), str(claims["jti"])
    )


def _current_scopes(client: ApiClient) -> frozenset[str]:
    held = getattr(client, "_nir_current_scopes", None)  # once per cached client, not per request
    if held is None:
        scopes = [s for s in (client.scopes or []) if isinstance(s, str)]
        held = frozenset(scopes) - frozenset(scopes_beyond_ceiling(client.organisation, scopes))
        client._nir_current_scopes = held
    return held


def _verify_signed(token: str) -> tuple[dict, str]:
    """The claims and key id of a token whose signature, audience, issuer and times are valid."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise OAuthError("invalid_token", "tokenet er ikke en JWT", 401) from None
    keys = signing_keys()
    signing = keys.get(kid) if isinstance(kid, str) else None
    if signing is None:
        signing = signing_keys(reload=True).get(kid) if isinstance(kid, str) else None
    if signing is None:
        raise OAuthError("invalid_token", "tokenet er signert med en ukjent nøkkel", 401)
    try:
        claims = jwt.decode(
            token,
            signing.public,
            algorithms=[TOKEN_ALGORITHM],
            audience=audience(),
            issuer=issuer(),
            leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "client_id", "scope", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_token", "tokenet er utløpt", 401) from None
    except jwt.PyJWTError:
        raise OAuthError("invalid_token", "tokenet er ugyldig", 401) from None
    return claims, kid


# Clients read by verify_token, kept a few seconds per process: a busy client costs one look-up
# per CLIENT_CACHE_SECONDS, and a deactivated client (or organisation), or a scope removed from a
# client, takes effect on every token already issued within that time (docs/api.md).
CLIENT_CACHE_SECONDS = 5.0
_client_cache: dict[str, tuple[float, ApiClient | None]] = {}


def _active_client(client_id: str) -> ApiClient | None:
    now = time.monotonic()
    hit = _client_cache.get(client_id)
    if hit is not None and now - hit[0] < CLIENT_CACHE_SECONDS:
        return hit[1]
    client = ApiClient.objects.select_related("organisation").filter(client_id=client_id).first()
    if client is not None and (not client.active or not client.organisation.active):
        client = None
    if len(_client_cache) > 10_000:
        _client_cache.clear()
    _client_cache[client_id] = (now, client)
    return client


def forget_clients() -> None:
    """Drop the cached clients and verified tokens (after an administrator changes one; tests)."""
    _client_cache.clear()
    _verified.clear()


def token_fingerprint(token: str) -> str:
    """A short, non-reversible reference to a token for logs (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def metadata() -> dict:
    """RFC 8414 authorization server metadata (the subset that applies)."""
    return {
        "issuer": issuer(),
        "token_endpoint": "/oauth/token",
        "jwks_uri": "/oauth/jwks",
        "grant_types_supported": [JWT_BEARER],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(CLIENT_ALGORITHMS),
        "scopes_supported": sorted(SCOPE_PERMISSIONS),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
