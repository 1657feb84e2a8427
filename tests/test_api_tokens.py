"""Personal API tokens: shown once, stored hashed, usable as bearer, revocable."""

from __future__ import annotations

from sqlalchemy import select

from app.db import session_scope
from app.models import ApiToken
from tests.conftest import csrf_for


def test_token_lifecycle(signed_in, app):
    from fastapi.testclient import TestClient

    created = signed_in.post("/api/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf_for(signed_in)})
    assert created.status_code == 201
    raw = created.json()["token"]
    with session_scope() as db:
        stored = db.scalar(select(ApiToken).where(ApiToken.id == created.json()["id"]))
        assert stored is not None and raw not in stored.token_hash

    with TestClient(app) as script:
        me = script.get("/api/me", headers={"authorization": f"Bearer {raw}"})
        assert me.status_code == 200
        listed = signed_in.get("/api/tokens").json()
        assert [t["name"] for t in listed] == ["script"]
        assert "token" not in listed[0]
        revoked = signed_in.delete(f"/api/tokens/{created.json()['id']}", headers={"x-csrf-token": csrf_for(signed_in)})
        assert revoked.status_code == 204
        assert script.get("/api/me", headers={"authorization": f"Bearer {raw}"}).status_code == 401


def test_bearer_requests_need_no_csrf_token(signed_in, app):
    from fastapi.testclient import TestClient

    raw = signed_in.post("/api/tokens", json={"name": "a"}, headers={"x-csrf-token": csrf_for(signed_in)}).json()[
        "token"
    ]
    with TestClient(app) as script:
        response = script.post("/api/tokens", json={"name": "b"}, headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 201


def test_cookie_session_api_write_needs_csrf(signed_in):
    assert signed_in.post("/api/tokens", json={"name": "x"}).status_code == 403


def test_cannot_revoke_another_users_token(signed_in, app):
    from fastapi.testclient import TestClient

    from tests.conftest import signup

    token_id = signed_in.post(
        "/api/tokens", json={"name": "mine"}, headers={"x-csrf-token": csrf_for(signed_in)}
    ).json()["id"]
    with TestClient(app) as other:
        other.get("/login")
        signup(other)
        response = other.delete(f"/api/tokens/{token_id}", headers={"x-csrf-token": csrf_for(other)})
    assert response.status_code == 404
    assert [t["id"] for t in signed_in.get("/api/tokens").json()] == [token_id]
