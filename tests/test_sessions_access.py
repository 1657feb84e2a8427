"""Sessions and access beyond the basics of test_auth.py, test_csrf_routes.py and test_isolation.py.

Session fixation with a cookie planted before sign-in (the attacker's own session or a
forged one), signatures and expiry, cookie flags with and without HTTPS, a bearer header
that must never fall back to the ambient session cookie (it is what exempts a request
from CSRF), and feed cursors forged to point at another user's run or out of range.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, update

from app.config import get_settings
from app.db import MAX_INTEGER, get_engine, session_scope, utcnow
from app.main import create_app
from app.models import ApiToken, AuthSession, User
from app.security import CSRF_COOKIE, SESSION_COOKIE, sign_session, token_digest, unsign_session
from app.services.feed import cursor_encode
from app.services.users import user_by_email, user_create
from tests.conftest import PASSWORD, csrf_for, signup, unique_email
from tests.user_data import seed_user_data


def _fresh(app) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    client.get("/login")
    return client


def _sign_in(client: TestClient, email: str) -> str:
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client.cookies[SESSION_COOKIE]


def _who(app, cookie: str) -> int | str:  # type: ignore[no-untyped-def]
    """The email a session cookie signs in as, or the status the API answers with."""
    with TestClient(app) as probe:
        probe.cookies.set(SESSION_COOKIE, cookie)
        me = probe.get("/api/me")
    return me.json()["email"] if me.status_code == 200 else me.status_code


def _set_cookies(response_headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cookies = {}
    for name, value in response_headers.multi_items():
        if name == "set-cookie":
            cookies[value.split("=", 1)[0]] = value
    return cookies


# --- session fixation -------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["sign-in", "sign-up"])
def test_a_session_planted_before_sign_in_is_never_accepted_after(app, entry: str) -> None:  # type: ignore[no-untyped-def]
    """The attacker plants their own valid session cookie in the victim's browser, then the victim signs in."""
    with _fresh(app) as attacker, _fresh(app) as victim:
        signup(attacker)
        planted = attacker.cookies[SESSION_COOKIE]
        victim_email = signup(_fresh(app)) if entry == "sign-in" else unique_email("victim")
        victim.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")  # where the app's cookies go

        if entry == "sign-in":
            issued = _sign_in(victim, victim_email)
        else:
            signup(victim, victim_email)
            issued = victim.cookies[SESSION_COOKIE]

        assert issued != planted
        assert unsign_session(get_settings(), issued) != unsign_session(get_settings(), planted)
        assert _who(app, issued) == victim_email
        assert _who(app, planted) == 401  # the planted session ended when the victim signed in
        with session_scope() as db:
            token = unsign_session(get_settings(), planted)
            assert token is not None and db.get(AuthSession, token_digest(token)) is None


def test_a_forged_session_cookie_is_never_accepted(app) -> None:  # type: ignore[no-untyped-def]
    email = signup(_fresh(app))
    with _fresh(app) as victim:
        real = _sign_in(victim, email)
    token = unsign_session(get_settings(), real)
    assert token is not None
    forged = [
        "not-a-signed-value",
        real[:-2] + ("AA" if not real.endswith("AA") else "BB"),  # signature changed
        URLSafeSerializer("another-secret", salt="session").dumps(token),  # signed with another key
        sign_session(get_settings(), "a-token-that-was-never-issued"),
        URLSafeSerializer(get_settings().secret_key, salt="csrf").dumps(token),  # right key, wrong purpose
        "",
    ]
    for value in forged:
        assert _who(app, value) == 401, value
        with TestClient(app) as probe:
            probe.cookies.set(SESSION_COOKIE, value)
            assert probe.get("/settings", follow_redirects=False).status_code == 303
    assert _who(app, real) == email


def test_an_expired_session_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    with _fresh(app) as client:
        email = signup(client)
        cookie = client.cookies[SESSION_COOKIE]
    token = unsign_session(get_settings(), cookie)
    assert token is not None and _who(app, cookie) == email
    with session_scope() as db:
        db.execute(
            update(AuthSession)
            .where(AuthSession.id == token_digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert _who(app, cookie) == 401


def test_the_feed_checks_a_session_as_every_page_does(app) -> None:  # type: ignore[no-untyped-def]
    """The feed finds who is signed in with a query of its own (see `optional_account`): the same refusals."""
    with _fresh(app) as client:
        signup(client)
        cookie = client.cookies[SESSION_COOKIE]
        assert client.get("/api/feed").status_code == 200 and 'action="/logout"' in client.get("/").text
    token = unsign_session(get_settings(), cookie)
    assert token is not None
    forged = sign_session(get_settings().model_copy(update={"secret_key": "another server"}), token)
    with session_scope() as db:
        db.execute(
            update(AuthSession)
            .where(AuthSession.id == token_digest(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for value in (cookie, forged, "not a cookie"):
        with _fresh(app) as probe:
            probe.cookies.set(SESSION_COOKIE, value)
            assert probe.get("/api/feed").status_code == 401, value
            page = probe.get("/", follow_redirects=False)
            assert page.status_code == 200 and 'action="/logout"' not in page.text, value  # the landing page
            assert probe.get("/", headers={"HX-Request": "true"}).status_code == 401, value


# --- cookie flags -------------------------------------------------------------------------------


@pytest.mark.parametrize("secure", [False, True])
def test_cookie_flags(secure: bool) -> None:
    """Both cookies are HttpOnly and SameSite=Lax; Secure exactly when OPENREC_SECURE_COOKIES is set."""
    app = create_app(get_settings().model_copy(update={"openrec_secure_cookies": secure}))
    with TestClient(app, base_url="https://testserver") as client:
        first = client.get("/login")
        csrf_cookie = _set_cookies(first.headers)[CSRF_COOKIE]
        response = client.post(
            "/signup",
            data={"email": unique_email(), "password": PASSWORD, "csrf_token": csrf_for(client)},
            follow_redirects=False,
        )
        session_cookie = _set_cookies(response.headers)[SESSION_COOKIE]
    for cookie in (csrf_cookie, session_cookie):
        flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in flags, cookie
        assert flags.get("samesite", "").lower() == "samesite=lax", cookie
        assert flags.get("path") == "Path=/", cookie
        assert ("secure" in flags) is secure, cookie
    assert "max-age" in session_cookie.lower()  # a session ends; it is not kept forever


# --- a bearer header never borrows the cookie ------------------------------------------------------


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "bearer orc_forged", "BEARER  orc_revoked"])
def test_a_bad_bearer_header_does_not_fall_back_to_the_session_cookie(signed_in: TestClient, authorization) -> None:  # type: ignore[no-untyped-def]
    """A bearer header skips the CSRF check, so with a bad token the request must not use the cookie instead."""
    email = signed_in.get("/api/me").json()["email"]
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        user_id = user.id
        tokens_before = db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id))
    headers = {"authorization": authorization}

    api = signed_in.post("/api/tokens", json={"name": "sneaky"}, headers=headers)
    page = signed_in.post("/settings/delete", data={"confirm_email": email}, headers=headers, follow_redirects=False)
    settings = signed_in.post("/settings/tokens", data={"name": "sneaky"}, headers=headers, follow_redirects=False)

    assert api.status_code == 401
    assert signed_in.get("/api/feed", headers=headers).status_code == 401
    assert page.status_code in {303, 401} and page.headers.get("location", "/login").startswith("/login")
    assert settings.status_code in {303, 401}
    with session_scope() as db:
        assert db.get(User, user_id) is not None
        assert db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id)) == tokens_before
    assert signed_in.get("/api/me").json()["email"] == email  # the cookie itself still works


# --- forged feed cursors -----------------------------------------------------------------------------


def test_a_forged_feed_cursor_shows_only_your_own_clips(signed_in: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    """The cursor is not signed: pointing it at another user's run must show nothing of theirs."""
    with session_scope() as db:
        other = seed_user_data(db, user_create(db, email=unique_email("other"), password=PASSWORD))
    for run_id, position in [(other.run_id, 0), (other.run_id + 1, 0), (other.active_run_id, 0)]:
        for path in ("/api/feed", "/"):
            response = signed_in.get(path, params={"cursor": cursor_encode(run_id=run_id, position=position)})
            assert response.status_code in {200, 400}
            leaked = [secret for secret in other.secrets if secret in response.text]
            assert not leaked, (path, leaked)
    own = signed_in.get("/api/feed", params={"cursor": cursor_encode(run_id=other.run_id + 1, position=0)})
    assert own.status_code == 200 and own.json()["items"] == []


@pytest.mark.parametrize(
    ("run_id", "position"), [(MAX_INTEGER + 1, 0), (1, MAX_INTEGER + 1), (2**70, 0), (-1, 0), (1, -5)]
)
def test_a_cursor_out_of_range_is_refused_not_a_server_error(signed_in: TestClient, run_id: int, position: int) -> None:
    cursor = cursor_encode(run_id=run_id, position=position)
    response = signed_in.get("/api/feed", params={"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]
    assert signed_in.get("/", params={"cursor": cursor}).status_code < 500


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/runs/{big}"),
        ("POST", "/api/runs/{big}/cancel"),
        ("DELETE", "/api/tokens/{big}"),
        ("DELETE", "/api/feedback/{big}"),
        ("GET", "/runs/{big}"),
        ("GET", "/runs/{big}/status"),
        ("POST", "/settings/tokens/{big}/revoke"),
        ("POST", "/clips/{big}/vote"),
        ("GET", "/import?job={big}"),
    ],
)
@pytest.mark.parametrize("big", [MAX_INTEGER + 1, 2**63, 10**30])
def test_an_id_too_large_for_any_row_is_refused_not_a_server_error(
    signed_in: TestClient, method: str, path: str, big: int
) -> None:
    """Ids past a 32-bit INTEGER once reached the database and failed there (a 500 on every backend)."""
    url = path.format(big=big)
    response = signed_in.request(method, url, data={"vote": "up"}, headers={"x-csrf-token": csrf_for(signed_in)})
    assert response.status_code in {404, 422}, (url, response.status_code)


# --- a signed-in request never queues for a thread while holding a database connection ---------------


def test_many_concurrent_signed_in_requests_do_not_starve_the_connection_pool(signed_in: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    """More requests at once than threads plus pooled connections: each must still be answered.

    Resolving the user runs in one thread and the handler in another; a request that kept its
    connection in between would wait for a thread while the threads wait for connections.
    """
    pool = get_engine().pool
    capacity = pool.size() + getattr(pool, "_max_overflow", 0)
    threads = 4
    cookies = {SESSION_COOKIE: signed_in.cookies[SESSION_COOKIE]}

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as client:
            answers = await asyncio.wait_for(
                asyncio.gather(*(client.get("/api/me") for _ in range(capacity + threads + 20))), timeout=60
            )
        return [answer.status_code for answer in answers]

    # A thread of its own: a session-scoped Playwright in this process may hold the main thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses = pool.submit(asyncio.run, burst()).result(timeout=120)
    assert set(statuses) == {200}
