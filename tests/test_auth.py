"""Accounts: sign up, sign in, sign out, CSRF, rate limits, password hashing, cookies."""

from __future__ import annotations

import pytest

from app.security import CSRF_COOKIE, SESSION_COOKIE, hash_password, verify_password
from tests.conftest import PASSWORD, csrf_for, signup, unique_email


def login(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )


def test_password_hash_is_argon2id_and_verifies():
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert "a long enough password" not in hashed
    assert verify_password("a long enough password", hashed)
    assert not verify_password("another password", hashed)
    assert hash_password("a long enough password") != hashed  # salted


def test_signup_signs_in_and_feed_is_reachable(client):
    signup(client)
    response = client.get("/")
    assert response.status_code == 200
    assert "Sign out" in response.text


def test_feed_requires_sign_in(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 200 and 'id="feed"' not in response.text  # the landing page instead
    response = client.get("/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401 and response.headers["hx-redirect"] == "/login"


def test_signup_twice_with_same_email_is_refused(client, app):
    from fastapi.testclient import TestClient

    email = signup(client)
    with TestClient(app) as other:
        other.get("/login")
        response = other.post(
            "/signup", data={"email": email.upper(), "password": PASSWORD, "csrf_token": csrf_for(other)}
        )
    assert response.status_code == 400
    assert "already exists" in response.text


def test_wrong_password_and_unknown_email_get_the_same_generic_error(client):
    email = signup(client)
    client.post("/logout", data={"csrf_token": csrf_for(client)})
    wrong = login(client, email, "not the password")
    unknown = login(client, unique_email(), "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong email or password." in wrong.text
    assert "Wrong email or password." in unknown.text


def test_sign_in_rotates_the_session_and_sign_out_revokes_it(client, app):
    from fastapi.testclient import TestClient

    email = signup(client)
    first = client.cookies[SESSION_COOKIE]
    assert login(client, email).status_code == 303
    second = client.cookies[SESSION_COOKIE]
    assert second != first  # no session fixation
    client.post("/logout", data={"csrf_token": csrf_for(client)})
    with TestClient(app) as thief:  # a copy of the old cookie no longer works
        thief.cookies.set(SESSION_COOKIE, second)
        assert thief.get("/runs", follow_redirects=False).status_code == 303


def test_session_cookie_flags(client):
    email = unique_email()
    response = client.post(
        "/signup", data={"email": email, "password": PASSWORD, "csrf_token": csrf_for(client)}, follow_redirects=False
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie


@pytest.mark.parametrize("path", ["/signup", "/login", "/logout"])
def test_form_posted_without_csrf_token_is_refused(client, path):
    response = client.post(path, data={"email": unique_email(), "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_form_with_token_of_another_browser_is_refused(client, app):
    from fastapi.testclient import TestClient

    with TestClient(app) as other:
        other.get("/login")
        foreign = csrf_for(other)
    response = client.post("/signup", data={"email": unique_email(), "password": PASSWORD, "csrf_token": foreign})
    assert response.status_code == 403


def test_sign_in_is_rate_limited_per_account(client):
    email = signup(client)
    client.post("/logout", data={"csrf_token": csrf_for(client)})
    for _ in range(5):
        assert login(client, email, "wrong password").status_code == 400
    blocked = login(client, email)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many attempts, try again in" in blocked.text


def test_sign_in_is_rate_limited_per_address(client):
    for _ in range(20):
        login(client, unique_email(), "wrong password")
    response = login(client, unique_email(), "wrong password")
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("a" * 250 + "@x.io", PASSWORD, "at most 254"),
        ("not-an-email", PASSWORD, "does not look like an email"),
        (None, "short", "8 to 1024"),
        (None, "x" * 1025, "8 to 1024"),
    ],
)
def test_signup_rejects_bad_fields_with_a_message(client, email, password, message):
    response = client.post(
        "/signup", data={"email": email or unique_email(), "password": password, "csrf_token": csrf_for(client)}
    )
    assert response.status_code == 400
    assert message in response.text


def test_login_with_huge_password_is_a_clean_refusal(client):
    response = login(client, unique_email(), "x" * 5000)
    assert response.status_code == 400


def test_open_redirect_after_sign_in_is_refused(client):
    email = signup(client)
    client.post("/logout", data={"csrf_token": csrf_for(client)})
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "//evil.example/", "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_csrf_cookie_is_set_on_first_visit(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as fresh:
        fresh.get("/login")
        assert fresh.cookies.get(CSRF_COOKIE)


def test_sign_in_rotates_the_csrf_token(client):
    email = signup(client)
    client.post("/logout", data={"csrf_token": csrf_for(client)})
    before = csrf_for(client)
    assert login(client, email).status_code == 303
    assert csrf_for(client) != before
    stale = client.post("/api/tokens", json={"name": "x"}, headers={"x-csrf-token": before})
    assert stale.status_code == 403
