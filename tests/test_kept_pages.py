"""Feed pages kept per version of the user's feed data: every write retires them, wherever it comes from."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from app.db import get_engine, session_scope, utcnow
from app.models import AuthSession, Feedback, HiddenChannel, PipelineRun, Recommendation, Tweet, User, Video
from app.services.users import user_by_email
from tests.conftest import csrf_for, signup
from tests.feed_factory import SeededFeed, add_run, add_tweets, seed_feed

CARD_ID = re.compile(r'<article class="clip" id="clip-(\d+)"')


def _version(session: Session, user_id: int) -> int:
    return session.scalar(select(User.feed_version).where(User.id == user_id)) or 0


def _new_user(session: Session, email: str) -> int:
    user = User(email=email, password_hash="x")
    session.add(user)
    session.flush()
    return user.id


@contextmanager
def _statements() -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement)

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)


# --- the version: what moves it and what does not ------------------------------------------------------------


def _first(feed: SeededFeed) -> int:
    return feed.ids_in_feed_order[0]


WRITES: dict[str, Callable[[Session, SeededFeed], object]] = {
    "a post imported": lambda s, f: add_tweets(s, f.user_id, ["one more post"]),
    "a post's text": lambda s, f: s.execute(update(Tweet).where(Tweet.tweet_id == f.tweet_ids[0]).values(text="new")),
    "a post deleted": lambda s, f: s.execute(delete(Tweet).where(Tweet.tweet_id == f.tweet_ids[0])),
    "a vote": lambda s, f: s.add(Feedback(user_id=f.user_id, recommendation_id=_first(f), vote=1)),
    "a clip's explanation": lambda s, f: s.execute(
        update(Recommendation).where(Recommendation.id == _first(f)).values(explanation="Better words.")
    ),
    "a clip deleted": lambda s, f: s.execute(delete(Recommendation).where(Recommendation.id == _first(f))),
    "a channel hidden": lambda s, f: s.add(HiddenChannel(user_id=f.user_id, channel=f.channel_of[_first(f)])),
    "a run started": lambda s, f: add_run(s, f.user_id, status="running"),
    "a run's status": lambda s, f: s.execute(
        update(PipelineRun).where(PipelineRun.id == f.run_ids[-1]).values(status="failed")
    ),
    "a video's title": lambda s, f: s.execute(
        update(Video)
        .where(Video.id == select(Recommendation.video_id).where(Recommendation.id == _first(f)).scalar_subquery())
        .values(title="Renamed talk")
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_the_feed_shows_moves_its_users_version_only(session: Session, write: str) -> None:
    mine = seed_feed(session, _new_user(session, "mine@example.com"), runs=1, per_run=2)
    other = seed_feed(session, _new_user(session, "other@example.com"), runs=1, per_run=2)
    before = (_version(session, mine.user_id), _version(session, other.user_id))
    WRITES[write](session, mine)
    session.flush()
    assert _version(session, mine.user_id) > before[0]
    assert _version(session, other.user_id) == before[1]


def test_writes_the_feed_does_not_show_leave_the_version(session: Session) -> None:
    feed = seed_feed(session, _new_user(session, "quiet@example.com"), runs=1, per_run=2)
    before = _version(session, feed.user_id)
    session.execute(update(PipelineRun).where(PipelineRun.id == feed.run_ids[0]).values(heartbeat_at=utcnow()))
    video = select(Recommendation.video_id).where(Recommendation.id == _first(feed)).scalar_subquery()
    session.execute(update(Video).where(Video.id == video).values(view_count=12345))  # not shown on a card
    session.execute(update(Video).where(Video.id == video).values(title=Video.title))  # the same title again
    session.flush()
    assert _version(session, feed.user_id) == before


# --- kept pages -------------------------------------------------------------------------------------------


def _seeded(client: TestClient, *, per_run: int = 8) -> SeededFeed:
    email = signup(client)
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return seed_feed(db, user.id, runs=2, per_run=per_run)


def _fresh(client: TestClient, url: str) -> str:
    """The page rendered from the database, nothing kept."""
    from app.web import pages

    with pages._lock:
        pages._pages.clear()
    return client.get(url).text


def test_a_kept_page_is_served_again_without_reading_the_feed(client: TestClient) -> None:
    _seeded(client)
    first = client.get("/")
    with _statements() as sent:
        again = client.get("/")
    assert again.text == first.text and again.headers["cache-control"] == "no-store"
    assert all(again.headers[name] == first.headers[name] for name in ("vary", "content-type", "content-encoding"))
    assert len(sent) == 1, sent  # the signed-in user (and the version of their feed) only
    assert again.headers["content-encoding"] == "gzip" and "Accept-Encoding" in again.headers["vary"]
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    assert plain.text == first.text and "content-encoding" not in plain.headers
    fragment = client.get("/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and CARD_ID.findall(fragment.text) == CARD_ID.findall(first.text)


@pytest.mark.parametrize("write", list(WRITES))
def test_after_any_write_the_page_is_the_page_rendered_afresh(client: TestClient, write: str) -> None:
    feed = _seeded(client)
    before = client.get("/").text
    with session_scope() as db:  # as the worker or another server process would write it
        WRITES[write](db, feed)
    after = client.get("/").text
    assert after == _fresh(client, "/")
    if write not in ("a post imported", "a run started"):  # the first page shows neither
        assert after != before


def test_the_end_of_the_feed_is_never_kept(client: TestClient) -> None:
    _seeded(client, per_run=2)
    client.get("/")
    with _statements() as sent:
        client.get("/")
    assert len(sent) > 1  # it says when the next run starts, which moves with the clock


def test_the_api_page_is_kept_and_retired_the_same_way(client: TestClient) -> None:
    feed = _seeded(client)
    first = client.get("/api/feed", params={"limit": 3})
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    with _statements() as sent:
        again = client.get("/api/feed", params={"limit": 3})
    assert again.json() == first.json() and len(sent) == 1
    voted = client.put(f"/api/feedback/{_first(feed)}", json={"vote": "up"}, headers={"X-CSRF-Token": csrf_for(client)})
    assert voted.status_code == 200
    items = client.get("/api/feed", params={"limit": 3}).json()["items"]
    assert items[0]["recommendation_id"] == _first(feed) and items[0]["vote"] == "up"
    assert client.get("/api/feed", params={"limit": 4}).json()["items"][:3] == items


def test_an_account_given_a_deleted_accounts_id_never_gets_its_pages(client: TestClient) -> None:
    feed = _seeded(client)
    kept = client.get("/").text
    with session_scope() as db:
        old = db.get(User, feed.user_id)
        assert old is not None
        digest, expires = db.execute(
            select(AuthSession.id, AuthSession.expires_at).where(AuthSession.user_id == old.id)
        ).one()
        version, password = old.feed_version, old.password_hash
        db.delete(old)
        db.flush()
        # The same id (SQLite hands out the highest id again), the same version, this browser still signed in.
        db.add(User(id=feed.user_id, email="next@example.com", password_hash=password, feed_version=version))
        db.flush()
        db.add(AuthSession(id=digest, user_id=feed.user_id, expires_at=expires))
    page = client.get("/")
    assert page.status_code == 200
    assert CARD_ID.findall(page.text) == [] and page.text != kept


def test_an_account_deleted_while_its_page_renders_is_signed_out(client: TestClient) -> None:
    """The feed reads the account first and the user only to render: deleted in between, it is a sign-in again."""
    engine = get_engine()
    for url, signed_out in (("/api/feed", 401), ("/", 303)):
        feed = _seeded(client)  # a new account each time, this browser signed in as it

        deleted: list[int] = []

        def delete_once_the_account_is_read(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            # the account's query, not the ORM's user (which has every column)
            if not deleted and "feed_version" in statement and "password_hash" not in statement:
                deleted.append(feed.user_id)
                with session_scope() as db:
                    db.execute(delete(User).where(User.id == deleted[0]))

        event.listen(engine, "after_cursor_execute", delete_once_the_account_is_read)
        try:
            response = client.get(url, follow_redirects=False)
        finally:
            event.remove(engine, "after_cursor_execute", delete_once_the_account_is_read)
        assert deleted and response.status_code == signed_out, (url, response.text)
        if url == "/":
            assert response.headers["location"] == "/login"
        else:
            assert response.json() == {"detail": "Sign in or send an API token."}
