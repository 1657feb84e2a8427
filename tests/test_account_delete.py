""" "Delete my data": every personal row goes, another user's rows and the shared caches stay."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import session_scope
from app.models import User
from app.services.account import account_delete
from app.services.users import user_by_email
from tests.conftest import csrf_for, signup, unique_email
from tests.user_data import owned_counts, owned_tables, seed_user_data, shared_counts


def test_the_seed_covers_every_user_owned_table(session: Session, make_user) -> None:
    seed_user_data(session, make_user())
    assert {t.name for t in owned_tables()} >= {
        "tweets",
        "imports",
        "pipeline_runs",
        "interests",
        "llm_calls",
        "recommendations",
        "feedback",
        "hidden_channels",
        "custom_instructions",
        "api_tokens",
        "auth_sessions",
    }


def test_account_delete_removes_every_row_of_the_user_only(session: Session, make_user) -> None:
    leaving, staying = make_user(), make_user()
    seed_user_data(session, leaving)
    seed_user_data(session, staying)
    staying_before = owned_counts(session, staying.id)
    shared_before = shared_counts(session)
    leaving_id = leaving.id
    assert all(count > 0 for count in owned_counts(session, leaving_id).values())

    account_delete(session, user=leaving)
    session.flush()

    assert owned_counts(session, leaving_id) == dict.fromkeys(staying_before, 0)
    assert owned_counts(session, staying.id) == staying_before
    assert shared_counts(session) == shared_before


def _seed_for(email: str) -> None:
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        seed_user_data(db, user)


def test_the_settings_form_deletes_after_the_email_is_typed(client: TestClient, app) -> None:
    email = signup(client)
    _seed_for(email)
    with TestClient(app) as other:
        other.get("/login")
        other_email = signup(other)
        _seed_for(other_email)
    with session_scope() as db:
        user = user_by_email(db, email=email)
        other_user = user_by_email(db, email=other_email)
        assert user is not None and other_user is not None
        user_id, other_id = user.id, other_user.id
        other_before = owned_counts(db, other_id)
        shared_before = shared_counts(db)

    wrong = client.post("/settings/delete", data={"confirm_email": other_email, "csrf_token": csrf_for(client)})
    assert wrong.status_code == 400
    assert "did not match" in wrong.text
    with session_scope() as db:
        assert all(count > 0 for count in owned_counts(db, user_id).values())

    done = client.post(
        "/settings/delete", data={"confirm_email": f"  {email.upper()} ", "csrf_token": csrf_for(client)}
    )
    assert done.status_code == 200
    assert "deleted" in done.text.lower()
    with session_scope() as db:
        counts = owned_counts(db, user_id)
        assert set(counts.values()) == {0}, counts
        assert owned_counts(db, other_id) == other_before
        assert shared_counts(db) == shared_before
        assert db.scalar(select(User).where(User.id == user_id)) is None
    # The old cookie no longer signs anyone in.
    assert client.get("/settings", follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_delete_needs_the_csrf_token(signed_in: TestClient) -> None:
    response = signed_in.post("/settings/delete", data={"confirm_email": unique_email()})
    assert response.status_code == 403
