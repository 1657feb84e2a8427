"""“No more X” saved after X was shown: the clips already in the feed about X leave it, and come back with X."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import session_scope
from app.models import Recommendation, User, Video
from app.services.feed import feed_entry, feed_page
from app.services.instruction_history import instructions_update
from app.services.recommendations import feed_items
from app.services.users import user_by_email
from app.services.why_not import why_not
from app.services.withdrawals import Withdrawal
from tests.conftest import csrf_for, signup
from tests.feed_factory import SeededFeed, seed_feed


def _shown(session: Session, user: User) -> list[int]:
    return [item.recommendation_id for item in feed_page(session, user=user, limit=100).items]


def _on_woodworking(session: Session, seeded: SeededFeed) -> tuple[int, int]:
    """Turn one clip of each run to woodworking: the older by its video's title, the newer by its interest."""
    older, newer = seeded.ids_in_feed_order[-1], seeded.ids_in_feed_order[0]
    titled = session.get(Recommendation, older)
    assert titled is not None
    video = session.get(Video, titled.video_id)
    assert video is not None
    video.title = "Cutting dovetails by hand | Woodworking basics"
    tied = session.get(Recommendation, newer)
    assert tied is not None
    tied.interest = "Woodworking"
    session.flush()
    return older, newer


def test_an_exclusion_takes_the_clips_already_shown_out_and_brings_them_back_when_it_goes(
    session: Session, user: User
) -> None:
    seeded = seed_feed(session, user.id, runs=2, per_run=4)
    older, newer = _on_woodworking(session, seeded)

    assert instructions_update(session, user=user, text="No more woodworking, please.") == Withdrawal(2, 0)
    assert _shown(session, user) == [r for r in seeded.ids_in_feed_order if r not in (older, newer)]
    assert len(feed_items(session, user=user)) == 3  # the newest run, less its woodworking clip
    assert feed_entry(session, user=user, recommendation_id=older) is None
    kept = session.scalars(select(Recommendation.withdrawn_by).where(Recommendation.id.in_([older, newer]))).all()
    assert set(kept) == {"woodworking"}
    newest = session.get(Recommendation, newer)
    assert newest is not None
    answer = why_not(session, user=user, pasted=newest.video_id)
    assert answer.stage == "feed" and "you asked for no more “woodworking” since" in answer.reason

    # Saving other words that keep the exclusion changes nothing; dropping it brings both back.
    assert instructions_update(session, user=user, text="no more woodworking. shorter clips") == Withdrawal(0, 0)
    assert instructions_update(session, user=user, text="shorter clips") == Withdrawal(0, 2)
    assert _shown(session, user) == seeded.ids_in_feed_order
    assert instructions_update(session, user=user, text="shorter clips") is None  # already in force


def test_a_length_bound_takes_the_clips_of_longer_videos_out_and_back(session: Session, user: User) -> None:
    seeded = seed_feed(session, user.id, runs=1, per_run=3, duration_s=600)
    longest = session.get(Recommendation, seeded.ids_in_feed_order[1])
    assert longest is not None
    video = session.get(Video, longest.video_id)
    assert video is not None
    video.duration_s = 3000
    session.flush()

    changed = instructions_update(session, user=user, text="nothing longer than 20 minutes")
    assert changed == Withdrawal(0, 0, 1)
    assert changed is not None and "1 clip already in your feed was of videos whose length" in changed.said()
    assert _shown(session, user) == [r for r in seeded.ids_in_feed_order if r != longest.id]
    answer = why_not(session, user=user, pasted=longest.video_id)
    assert "no more “videos longer than 20 minutes”" in answer.reason, answer.reason

    assert instructions_update(session, user=user, text="nothing longer than an hour") == Withdrawal(0, 1, 0)
    assert _shown(session, user) == seeded.ids_in_feed_order


def test_only_the_users_own_clips_are_withdrawn(session: Session, user: User, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user()
    mine = seed_feed(session, user.id, runs=1, per_run=2)
    theirs = seed_feed(session, other.id, runs=1, per_run=2)
    for seeded in (mine, theirs):
        clip = session.get(Recommendation, seeded.ids_in_feed_order[0])
        assert clip is not None
        clip.interest = "Woodworking"
    session.flush()

    assert instructions_update(session, user=user, text="no more woodworking") == Withdrawal(1, 0)
    assert _shown(session, other) == theirs.ids_in_feed_order


def test_the_settings_page_says_what_left_the_feed_and_the_feed_no_longer_shows_it(client: TestClient) -> None:
    signup(client, "maker@example.com")
    with session_scope() as db:
        user = user_by_email(db, email="maker@example.com")
        assert user is not None
        seeded = seed_feed(db, user.id, runs=2, per_run=3)
        _on_woodworking(db, seeded)
    assert "Cutting dovetails by hand" in client.get("/").text

    response = client.post(
        "/settings/instructions",
        data={"text": "no more woodworking", "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "2 clips already in your feed were about what you excluded, so they have been taken out." in page
    feed = client.get("/").text
    assert "Cutting dovetails by hand" not in feed
    assert "1 since taken out by your instructions" in feed  # the newest run's badge: its woodworking clip

    response = client.post(
        "/settings/instructions", data={"text": "", "csrf_token": csrf_for(client)}, follow_redirects=False
    )
    page = client.get(response.headers["location"]).text
    assert "2 clips that your earlier instructions took out are back in your feed." in page
    assert "Cutting dovetails by hand" in client.get("/").text


def test_the_settings_page_says_how_many_clips_a_length_bound_took_out(client: TestClient) -> None:
    signup(client, "brief@example.com")
    with session_scope() as db:
        user = user_by_email(db, email="brief@example.com")
        assert user is not None
        seed_feed(db, user.id, runs=1, per_run=2, duration_s=5400)
    response = client.post(
        "/settings/instructions",
        data={"text": "nothing over an hour", "csrf_token": csrf_for(client)},
        follow_redirects=False,
    )
    page = client.get(response.headers["location"]).text
    assert "2 clips already in your feed were of videos whose length your instructions now leave out" in page


def test_the_api_says_what_new_instructions_took_out_of_the_feed(client: TestClient) -> None:
    signup(client, "api-maker@example.com")
    with session_scope() as db:
        user = user_by_email(db, email="api-maker@example.com")
        assert user is not None
        _on_woodworking(db, seed_feed(db, user.id, runs=2, per_run=3))
    headers = {"x-csrf-token": csrf_for(client)}

    changed = client.put("/api/settings", json={"instructions": "no more woodworking"}, headers=headers).json()
    assert (changed["taken_out"], changed["put_back"]) == (2, 0)
    assert changed["message"].startswith("2 clips already in your feed were about what you excluded")
    titles = [item["title"] for item in client.get("/api/feed").json()["items"]]
    assert titles and "Cutting dovetails by hand | Woodworking basics" not in titles

    unchanged = client.put("/api/settings", json={"refresh_schedule": "daily"}, headers=headers).json()
    assert (unchanged["taken_out"], unchanged["put_back"], unchanged["message"]) == (0, 0, "")
    back = client.put("/api/settings", json={"instructions": ""}, headers=headers).json()
    assert (back["taken_out"], back["put_back"]) == (0, 2)
