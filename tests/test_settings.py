"""/settings and /api/settings: instructions with history, schedule, hidden channels, tokens, password, sessions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope
from app.models import AuthSession, CustomInstruction, HiddenChannel, User
from app.services.preferences import MAX_INSTRUCTIONS_CHARS
from app.services.users import user_by_email
from tests.conftest import PASSWORD, csrf_for, signup

HOSTILE = '<script>alert("x")</script>'


def _user(email: str) -> User:
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return user


def _post(client: TestClient, path: str, **data: str) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_for(client)}, follow_redirects=False)


def _second_client(app, email: str, password: str = PASSWORD) -> TestClient:  # type: ignore[no-untyped-def]
    other = TestClient(app)
    other.__enter__()
    other.get("/login")
    response = other.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_for(other)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return other


def test_settings_needs_a_sign_in(client: TestClient) -> None:
    response = client.get("/settings", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_page_has_every_section_and_examples(signed_in: TestClient) -> None:
    html = signed_in.get("/settings").text
    for anchor in ("instructions", "schedule", "hidden-channels", "tokens", "account", "delete"):
        assert f'id="{anchor}"' in html, anchor
    examples = ("no crypto", "I&#39;m a beginner in statistics", "prefer talks over podcasts", "shorter clips")
    for example in (*examples, "nothing longer than 20 minutes"):
        assert example in html, example
    for action in (
        "/settings/instructions",
        "/settings/schedule",
        "/settings/tokens",
        "/settings/password",
        "/settings/sessions/revoke",
        "/settings/delete",
    ):
        assert f'action="{action}"' in html, action
    assert html.count('name="csrf_token"') >= 6


def test_instructions_are_saved_with_history_and_restorable(client: TestClient) -> None:
    email = signup(client)
    first = _post(client, "/settings/instructions", text="no crypto")
    assert first.status_code == 303 and first.headers["location"] == "/settings?done=instructions#instructions"
    page = client.get(first.headers["location"]).text
    assert "Instructions saved" in page and 'role="status"' in page
    _post(client, "/settings/instructions", text=f"shorter clips {HOSTILE}")
    again = _post(client, "/settings/instructions", text=f"  shorter clips {HOSTILE}  ")
    assert again.headers["location"].startswith("/settings?done=unchanged")

    page = client.get("/settings").text
    assert HOSTILE not in page and "shorter clips &lt;script&gt;" in page
    textarea = page.split('id="instructions-text"')[1].split("</textarea>")[0]
    assert "shorter clips &lt;script&gt;" in textarea  # the one in force is in the box
    history = page.split("<h3>History</h3>")[1]
    assert history.index("shorter clips") < history.index("no crypto")  # newest first
    user = _user(email)
    with session_scope() as db:
        rows = db.scalars(
            select(CustomInstruction).where(CustomInstruction.user_id == user.id).order_by(CustomInstruction.id)
        ).all()
        assert [r.text for r in rows] == ["no crypto", f"shorter clips {HOSTILE}"]
        oldest = rows[0].id
    assert f'action="/settings/instructions/{oldest}/restore"' in page

    restored = _post(client, f"/settings/instructions/{oldest}/restore")
    assert restored.status_code == 303 and "done=restored" in restored.headers["location"]
    with session_scope() as db:
        texts = db.scalars(
            select(CustomInstruction.text).where(CustomInstruction.user_id == user.id).order_by(CustomInstruction.id)
        ).all()
        assert texts == ["no crypto", f"shorter clips {HOSTILE}", "no crypto"]
    assert client.get("/api/settings").json()["instructions"] == "no crypto"


def test_overlong_instructions_are_refused_and_kept_in_the_box(signed_in: TestClient) -> None:
    text = "x" * (MAX_INSTRUCTIONS_CHARS + 1)
    response = _post(signed_in, "/settings/instructions", text=text)
    assert response.status_code == 400
    assert "nothing was saved" in response.text and text in response.text
    assert signed_in.get("/api/settings").json()["instructions_history"] == []


def test_restoring_someone_elses_instructions_is_not_found(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    signup(client)
    with TestClient(app) as other:
        other.get("/login")
        other_email = signup(other)
        _post(other, "/settings/instructions", text="secret wishes")
    with session_scope() as db:
        theirs = db.scalar(select(CustomInstruction.id).where(CustomInstruction.user_id == _user(other_email).id))
    response = _post(client, f"/settings/instructions/{theirs}/restore")
    assert response.status_code == 404
    assert "secret wishes" not in client.get("/settings").text


def test_schedule_is_saved_and_validated(client: TestClient) -> None:
    email = signup(client)
    saved = _post(client, "/settings/schedule", schedule="daily", hour="7")
    assert saved.status_code == 303
    assert "Refresh schedule saved" in client.get(saved.headers["location"]).text
    user = _user(email)
    assert (user.refresh_schedule, user.refresh_hour) == ("daily", 7)
    page = client.get("/settings").text
    assert '<option value="daily" selected>' in page and '<option value="7" selected>' in page
    for bad in (
        {"schedule": "hourly", "hour": "7"},
        {"schedule": "weekly", "hour": "24"},
        {"schedule": "weekly", "hour": "x"},
    ):
        response = _post(client, "/settings/schedule", **bad)
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.text
    user = _user(email)
    assert (user.refresh_schedule, user.refresh_hour) == ("daily", 7)


def test_hidden_channels_are_listed_and_can_be_unhidden(client: TestClient) -> None:
    email = signup(client)
    user = _user(email)
    with session_scope() as db:
        db.add_all(
            [HiddenChannel(user_id=user.id, channel=f"Drama {HOSTILE}"), HiddenChannel(user_id=user.id, channel="Loud")]
        )
    page = client.get("/settings").text
    assert "Drama &lt;script&gt;" in page and HOSTILE not in page
    assert client.get("/api/settings").json()["hidden_channels"] == [f"Drama {HOSTILE}", "Loud"]
    response = _post(client, "/settings/hidden-channels/unhide", channel=f"Drama {HOSTILE}")
    assert response.status_code == 303
    assert "Channel unhidden" in client.get(response.headers["location"]).text
    assert client.get("/api/settings").json()["hidden_channels"] == ["Loud"]
    assert _post(client, "/settings/hidden-channels/unhide", channel="Never hidden").status_code == 404


def test_a_token_is_shown_once_works_and_can_be_revoked(signed_in: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    created = _post(signed_in, "/settings/tokens", name=f"cron {HOSTILE}")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    raw = created.text.split('class="mono" type="text" value="')[1].split('"')[0]
    assert raw.startswith("orc_")
    assert "will not be shown again" in created.text
    page = signed_in.get("/settings").text
    assert raw not in page and "cron &lt;script&gt;" in page and HOSTILE not in page
    with TestClient(app) as script:
        assert script.get("/api/me", headers={"authorization": f"Bearer {raw}"}).status_code == 200
        token_id = signed_in.get("/api/tokens").json()[0]["id"]
        revoked = _post(signed_in, f"/settings/tokens/{token_id}/revoke")
        assert revoked.status_code == 303
        assert "Token revoked" in signed_in.get(revoked.headers["location"]).text
        assert script.get("/api/me", headers={"authorization": f"Bearer {raw}"}).status_code == 401
    assert _post(signed_in, f"/settings/tokens/{token_id}/revoke").status_code == 404
    assert _post(signed_in, "/settings/tokens", name="   ").status_code == 400


def test_password_change_needs_the_current_one_and_signs_out_other_devices(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    email = signup(client)
    laptop = _second_client(app, email)
    try:
        wrong = _post(client, "/settings/password", current_password="not it", new_password="a brand new password")
        assert wrong.status_code == 400 and "current password is wrong" in wrong.text
        short = _post(client, "/settings/password", current_password=PASSWORD, new_password="short")
        assert short.status_code == 400
        assert laptop.get("/api/me").status_code == 200

        done = _post(client, "/settings/password", current_password=PASSWORD, new_password="a brand new password")
        assert done.status_code == 303
        assert "Password changed" in client.get(done.headers["location"]).text
        assert client.get("/api/me").status_code == 200  # this device stays signed in
        assert laptop.get("/api/me").status_code == 401  # the other one does not
    finally:
        laptop.__exit__(None, None, None)
    with TestClient(app) as fresh:
        fresh.get("/login")
        old = fresh.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_for(fresh)})
        assert old.status_code == 400
    _second_client(app, email, "a brand new password").__exit__(None, None, None)


def test_sign_out_everywhere_ends_every_session(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    email = signup(client)
    phone = _second_client(app, email)
    try:
        user_id = _user(email).id
        with session_scope() as db:
            assert db.scalar(select(func.count()).where(AuthSession.user_id == user_id)) == 2
        response = _post(client, "/settings/sessions/revoke")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        with session_scope() as db:
            assert db.scalar(select(func.count()).where(AuthSession.user_id == user_id)) == 0
        assert client.get("/api/me").status_code == 401
        assert phone.get("/api/me").status_code == 401
    finally:
        phone.__exit__(None, None, None)


def test_api_settings_read_and_partial_update(client: TestClient) -> None:
    email = signup(client)
    headers = {"x-csrf-token": csrf_for(client)}
    empty = client.get("/api/settings").json()
    assert empty == {
        "instructions": "",
        "instructions_history": [],
        "refresh_schedule": "off",
        "refresh_hour": 6,
        "hidden_channels": [],
    }
    updated = client.put("/api/settings", json={"instructions": "prefer talks over podcasts"}, headers=headers).json()
    assert (updated["taken_out"], updated["put_back"], updated["message"]) == (0, 0, "")  # no clips to take out
    assert updated["instructions"] == "prefer talks over podcasts"
    assert [h["text"] for h in updated["instructions_history"]] == ["prefer talks over podcasts"]
    assert updated["refresh_schedule"] == "off"
    updated = client.put("/api/settings", json={"refresh_schedule": "weekly"}, headers=headers).json()
    assert (updated["refresh_schedule"], updated["refresh_hour"], updated["instructions"]) == (
        "weekly",
        6,
        "prefer talks over podcasts",
    )
    for bad in (
        {"refresh_hour": 24},
        {"refresh_schedule": "hourly"},
        {"instructions": "x" * (MAX_INSTRUCTIONS_CHARS + 1)},
        {"nope": 1},
    ):
        assert client.put("/api/settings", json=bad, headers=headers).status_code == 422, bad
    user = _user(email)
    assert (user.refresh_schedule, user.refresh_hour) == ("weekly", 6)
    assert client.put("/api/settings", json={"refresh_hour": 5}).status_code == 403  # no CSRF token
