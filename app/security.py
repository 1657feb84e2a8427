"""Password hashing, session and API tokens, CSRF tokens and sign-in rate limits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import Settings

SESSION_COOKIE = "openrec_session"
CSRF_COOKIE = "openrec_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
API_TOKEN_PREFIX = "orc_"  # noqa: S105 - a prefix, not a secret

# Argon2id with the library's defaults (RFC 9106 second recommended option).
_password_hash = PasswordHash((Argon2Hasher(),))
# Verifying against a fixed hash for unknown emails keeps sign-in timing uniform.
_DUMMY_HASH = _password_hash.hash("openrec-timing-equaliser")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches; an unknown user costs the same time as a known one."""
    if password_hash is None:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    return _password_hash.verify(password, password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as SHA-256 digests: a database leak reveals no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(settings: Settings, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=salt)


def sign_session(settings: Settings, token: str) -> str:
    return _serializer(settings, "session").dumps(token)


def unsign_session(settings: Settings, value: str) -> str | None:
    try:
        token = _serializer(settings, "session").loads(value)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def csrf_token_for(settings: Settings, csrf_cookie: str) -> str:
    """The form/header token that proves the request came from a page we served."""
    return hmac.new(settings.secret_key.encode(), csrf_cookie.encode(), hashlib.sha256).hexdigest()


def csrf_valid(settings: Settings, csrf_cookie: str | None, submitted: str | None) -> bool:
    if not csrf_cookie or not submitted:
        return False
    return hmac.compare_digest(csrf_token_for(settings, csrf_cookie), submitted)


@dataclass(frozen=True)
class Throttle:
    """Outcome of a rate-limit check: allowed, or blocked for `retry_after` seconds."""

    allowed: bool
    retry_after: int = 0


class LoginLimiter:
    """Failed sign-ins per account and per address, in a moving window.

    Memory storage in the embedded mode; Redis in service mode so every web process
    shares the counts.
    """

    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(settings.redis_url if settings.redis_url else "memory://")
        self._limiter = MovingWindowRateLimiter(storage)
        window = settings.openrec_login_window_s
        self._per_account = RateLimitItemPerSecond(settings.openrec_login_attempts, window)
        # An address may hold several people (an office, a family): allow more.
        self._per_address = RateLimitItemPerSecond(settings.openrec_login_attempts * 4, window)

    def _keys(self, email: str, address: str) -> list[tuple[RateLimitItemPerSecond, str]]:
        return [(self._per_account, f"login:account:{email}"), (self._per_address, f"login:address:{address}")]

    def check(self, email: str, address: str) -> Throttle:
        retry = 0
        for item, key in self._keys(email, address):
            if not self._limiter.test(item, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, key)
                retry = max(retry, int(reset_at - time.time()) + 1)
        return Throttle(allowed=retry == 0, retry_after=retry)

    def failed(self, email: str, address: str) -> None:
        for item, key in self._keys(email, address):
            self._limiter.hit(item, key)

    def clear(self, email: str) -> None:
        """A successful sign-in clears the account's failures (not the address's)."""
        self._limiter.clear(self._per_account, f"login:account:{email}")
