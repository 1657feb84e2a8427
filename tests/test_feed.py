"""The feed: keyset pages, hidden channels, votes and cited tweets per item, the page and its fragment."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.db import session_scope
from app.models import Feedback, HiddenChannel, PipelineRun, Recommendation, Tweet, User, Video
from app.services.feed import (
    InvalidCursor,
    cursor_decode,
    cursor_encode,
    feed_entry,
    feed_page,
    feed_status,
    next_refresh_at,
)
from app.services.users import user_by_email
from app.web.cards import kept_cards
from app.web.feed import PAGE_SIZE
from app.web.static import static_url
from tests.conftest import PASSWORD, csrf_for, signup
from tests.feed_factory import add_run, add_tweets, seed_feed

CARD_ID = re.compile(r'<article class="clip" id="clip-(\d+)"')
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def all_pages(session: Session, user: User, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = feed_page(session, user=user, cursor=cursor, limit=limit)
        pages.append([item.recommendation_id for item in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@contextmanager
def counted_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _user_id(email: str) -> int:
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return user.id


# --- the service -------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 4, 7, 21, 100])
def test_pages_neither_overlap_nor_skip_in_newest_run_then_position_order(
    session: Session, user: User, limit: int
) -> None:
    seeded = seed_feed(session, user.id, runs=3, per_run=7)
    pages = all_pages(session, user, limit)
    flat = [rid for page in pages for rid in page]
    assert flat == seeded.ids_in_feed_order
    assert all(0 < len(page) <= limit for page in pages)
    assert len(pages) == -(-21 // limit)  # no empty page after the last one


def test_a_deep_cursor_starts_right_after_its_item(session: Session, user: User) -> None:
    seeded = seed_feed(session, user.id, runs=4, per_run=5)
    order = seeded.ids_in_feed_order
    rows = {r.id: r for r in session.scalars(select(Recommendation).where(Recommendation.user_id == user.id))}
    for index in (4, 5, 13, 18):  # the end of a run, the start of one, the middle, the next to last
        anchor = rows[order[index]]
        page = feed_page(session, user=user, cursor=cursor_encode(run_id=anchor.run_id, position=anchor.position))
        assert [i.recommendation_id for i in page.items] == order[index + 1 : index + 11]
    last = rows[order[-1]]
    assert feed_page(session, user=user, cursor=cursor_encode(run_id=last.run_id, position=last.position)).items == []


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert cursor_decode(cursor_encode(run_id=12345, position=7)) == (12345, 7)
    for bad in ("", "x", "djE6MTox===", "bm90OmE6Yg", "djE6YTpi", "djI6MTox", "%%%", "v1:1:1"):
        with pytest.raises(InvalidCursor):
            cursor_decode(bad)


def test_a_page_costs_two_queries_whatever_its_size(session: Session, user: User) -> None:
    seed_feed(session, user.id, runs=2, per_run=30)
    for limit in (1, 10, 50):
        with counted_queries(session) as statements:
            page = feed_page(session, user=user, limit=limit)
            assert all(item.tweets for item in page.items)
        assert len(statements) == 2, statements


def test_only_succeeded_runs_feed_the_feed(session: Session, user: User) -> None:
    done = seed_feed(session, user.id, runs=1, per_run=3)
    for status in ("running", "failed", "cancelled"):
        seed_feed(session, user.id, runs=1, per_run=2, status=status)
    ids = [i.recommendation_id for i in feed_page(session, user=user, limit=50).items]
    assert ids == done.ids_in_feed_order


def test_a_hidden_channel_is_left_out_and_comes_back_when_unhidden(session: Session, user: User) -> None:
    seeded = seed_feed(session, user.id, runs=2, per_run=6, channels=("Loud", "Calm"))
    session.add(HiddenChannel(user_id=user.id, channel="Loud"))
    session.flush()
    shown = [i.recommendation_id for i in feed_page(session, user=user, limit=100).items]
    assert shown == [rid for rid in seeded.ids_in_feed_order if seeded.channel_of[rid] == "Calm"]
    pages = all_pages(session, user, limit=2)
    assert [rid for page in pages for rid in page] == shown
    loud = next(rid for rid in seeded.ids_in_feed_order if seeded.channel_of[rid] == "Loud")
    assert feed_entry(session, user=user, recommendation_id=loud) is None
    assert feed_status(session, user=user).hidden_clips == 6

    session.query(HiddenChannel).filter_by(user_id=user.id).delete()
    session.flush()
    assert [i.recommendation_id for i in feed_page(session, user=user, limit=100).items] == seeded.ids_in_feed_order


def test_each_item_carries_its_own_users_vote_and_tweets(
    session: Session, user: User, make_user: Callable[..., User]
) -> None:
    seeded = seed_feed(session, user.id, runs=1, per_run=3)
    first, second, _third = seeded.ids_in_feed_order
    other = make_user()
    session.add_all(
        [
            Feedback(user_id=user.id, recommendation_id=first, vote=-1, reason="too_basic"),
            Feedback(user_id=user.id, recommendation_id=second, vote=1),
            # another user's row on the same clip (impossible through the app) must not show
            Feedback(user_id=other.id, recommendation_id=second, vote=-1, reason="clickbait"),
            # the same tweet id in another user's archive, with other text
            Tweet(user_id=other.id, tweet_id=seeded.tweet_ids[0], kind="tweet", text="not yours"),
        ]
    )
    session.flush()
    items = feed_page(session, user=user, limit=10).items
    assert [(i.vote, i.reason) for i in items] == [("down", "too_basic"), ("up", None), (None, None)]
    texts = {t.tweet_id: t.text for t in items[0].tweets}
    assert list(texts) == seeded.tweet_ids
    assert "not yours" not in texts.values()
    assert items[0].tweets[0].url == f"https://x.com/i/status/{seeded.tweet_ids[0]}"


def test_a_cited_tweet_that_is_not_the_users_is_not_shown(
    session: Session, user: User, make_user: Callable[..., User]
) -> None:
    seeded = seed_feed(session, user.id, runs=1, per_run=1)
    foreign = add_tweets(session, make_user().id, ["someone else's post"])
    session.execute(update(Recommendation).values(tweet_ids=[*seeded.tweet_ids, foreign[0]]))
    (item,) = feed_page(session, user=user).items
    assert [t.tweet_id for t in item.tweets] == seeded.tweet_ids


def test_clip_urls_and_whole_second_bounds(session: Session, user: User) -> None:
    seed_feed(session, user.id, runs=1, per_run=1)
    session.execute(update(Recommendation).values(start_s=751.6, end_s=842.2))
    (item,) = feed_page(session, user=user).items
    assert (item.start_at, item.end_at) == (751, 843)
    assert item.watch_url == f"https://www.youtube.com/watch?v={item.video_id}&t=751s"
    assert item.thumbnail_url == f"https://i.ytimg.com/vi/{item.video_id}/hqdefault.jpg"
    assert item.embed_url.startswith(f"https://www.youtube-nocookie.com/embed/{item.video_id}?start=751&end=843")


@pytest.mark.parametrize(
    ("schedule", "hour", "now", "last", "expected"),
    [
        ("off", 6, datetime(2026, 3, 2, 5, tzinfo=UTC), None, None),
        ("daily", 6, datetime(2026, 3, 2, 5, 30, tzinfo=UTC), None, datetime(2026, 3, 2, 6, tzinfo=UTC)),
        ("daily", 6, datetime(2026, 3, 2, 6, 0, tzinfo=UTC), None, datetime(2026, 3, 3, 6, tzinfo=UTC)),
        ("daily", 23, datetime(2026, 12, 31, 23, 30, tzinfo=UTC), None, datetime(2027, 1, 1, 23, tzinfo=UTC)),
        ("weekly", 6, datetime(2026, 3, 2, 7, tzinfo=UTC), None, datetime(2026, 3, 3, 6, tzinfo=UTC)),
        (
            "weekly",
            6,
            datetime(2026, 3, 2, 7, tzinfo=UTC),
            datetime(2026, 3, 1, 6, 0, 5, tzinfo=UTC),
            datetime(2026, 3, 8, 6, tzinfo=UTC),
        ),
    ],
)
def test_next_refresh_follows_the_schedule(
    schedule: str, hour: int, now: datetime, last: datetime | None, expected: datetime | None
) -> None:
    user = User(email="x@example.com", password_hash="", refresh_schedule=schedule, refresh_hour=hour)
    user.last_scheduled_at = last
    assert next_refresh_at(user, now=now) == expected


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_a_card_per_clip_with_everything_on_it(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=2)
        posts = dict(zip(seeded.tweet_ids, ["I keep reading about cheddaring", "Milled curds are neat"], strict=True))
        for tweet in db.scalars(select(Tweet).where(Tweet.user_id == user_id, Tweet.tweet_id.in_(posts))):
            tweet.text = posts[tweet.tweet_id]
        for rec in db.scalars(select(Recommendation).where(Recommendation.user_id == user_id)):
            rec.quote = f"the cheesemaker mills the curd here (0.{rec.position})"
            rec.explanation = f"You wrote about cheddaring; this clip explains milling the curd (0.{rec.position})."
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert CARD_ID.findall(html) == [str(i) for i in seeded.ids_in_feed_order]
    assert "12:31–14:02" in html and "of 1:42:10" in html
    assert "You wrote about cheddaring" in html and "the cheesemaker mills the curd here" in html
    for tweet_id in seeded.tweet_ids:
        assert f'<a href="https://x.com/i/status/{tweet_id}" target="_blank" rel="noopener noreferrer">' in html
    assert "I keep reading about cheddaring" in html
    assert "watch?v=" in html and "&amp;t=751s" in html and ">Full video<" in html
    assert 'data-player-api="https://www.youtube.com/iframe_api"' in html
    assert f'src="{static_url("feed.js")}"' in html
    assert "That’s all for now" in html and 'action="/runs"' in html


def test_infinite_scroll_fragments_cover_the_feed_once(client: TestClient) -> None:
    email = signup(client)
    with session_scope() as db:
        seeded = seed_feed(db, _user_id(email), runs=3, per_run=5)
    html = client.get("/").text
    seen = CARD_ID.findall(html)
    assert len(seen) == PAGE_SIZE and "<html" in html
    fragments = 0
    while (match := re.search(r'hx-get="/\?cursor=([^"]+)" hx-trigger="revealed"', html)) is not None:
        assert 'id="feed-more"' in html  # what the next page replaces
        response = client.get("/", params={"cursor": match.group(1)}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "HX-Request" in response.headers["vary"]
        html = response.text
        assert "<html" not in html and '<header class="topbar"' not in html
        seen += CARD_ID.findall(html)
        fragments += 1
    assert fragments == 2
    assert [int(i) for i in seen] == seeded.ids_in_feed_order
    assert "That’s all for now" in html and 'id="feed-more"' not in html


def test_the_same_url_without_htmx_is_the_full_page(client: TestClient) -> None:
    email = signup(client)
    with session_scope() as db:
        seeded = seed_feed(db, _user_id(email), runs=2, per_run=5)
    first = client.get("/").text
    cursor = re.search(r'href="/\?cursor=([^"]+)"', first)
    assert cursor is not None
    full = client.get("/", params={"cursor": cursor.group(1)})
    assert "<html" in full.text and 'id="feed"' in full.text
    assert [int(i) for i in CARD_ID.findall(full.text)] == seeded.ids_in_feed_order[PAGE_SIZE:]
    restore = client.get("/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_a_bad_cursor_is_a_clear_400(client: TestClient) -> None:
    signup(client)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/", params={"cursor": "not-a-cursor"}, headers=headers)
        assert response.status_code == 400
        assert "start again from the first page" in response.text
    assert client.get("/api/feed", params={"cursor": "djI6MTox"}).status_code == 400


def test_the_feed_needs_a_sign_in_and_visitors_see_what_openrec_is(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 200
    assert 'href="/signup"' in response.text and 'href="/login"' in response.text
    assert f'src="{static_url("landing-feed.png")}"' in response.text and "Clips picked for you" not in response.text
    later = client.get("/?cursor=djE6MTox", follow_redirects=False)
    assert later.status_code == 303 and later.headers["location"].startswith("/login")
    assert client.get("/api/feed").status_code == 401


def test_user_data_is_escaped_everywhere_it_shows(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=1, channels=(f"Chan {HOSTILE}",))
        db.execute(update(Video).values(title=f"Title {HOSTILE}").where(Video.channel == f"Chan {HOSTILE}"))
        db.execute(
            update(Recommendation)
            .where(Recommendation.user_id == user_id)
            .values(explanation=f"Why {HOSTILE}", quote=f"Quote {HOSTILE}", interest=HOSTILE)
        )
        db.execute(update(Tweet).where(Tweet.user_id == user_id).values(text=f"Tweet {HOSTILE}"))
    (rid,) = seeded.ids_in_feed_order
    pages = [client.get("/").text]
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf_for(client)}
    pages.append(client.post(f"/clips/{rid}/vote", data={"vote": "down"}, headers=headers).text)
    pages.append(client.post(f"/clips/{rid}/hide-channel", headers=headers).text)
    pages.append(client.post(f"/clips/{rid}/unhide-channel", headers=headers).text)
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    for label in ("Title", "Chan", "Why", "Quote", "Tweet"):
        assert f"{label} {escaped}" in pages[0], label
    assert f"Chan {escaped}" in pages[2]  # the "channel hidden" notice
    assert f"Title {escaped}" in pages[3]  # the card back after undo
    api = client.get("/api/feed").json()["items"][0]
    assert api["title"] == f"Title {HOSTILE}" and api["tweets"][0]["text"] == f"Tweet {HOSTILE}"


def test_user_b_sees_none_of_user_as_feed(client: TestClient) -> None:
    email_a = signup(client)
    with session_scope() as db:
        seeded = seed_feed(db, _user_id(email_a), runs=1, per_run=2)
    assert len(CARD_ID.findall(client.get("/").text)) == 2
    client.post("/logout", headers={"x-csrf-token": csrf_for(client)})
    signup(client)
    page = client.get("/").text
    assert CARD_ID.findall(page) == [] and "Talk 0." not in page and "No data yet" in page
    assert client.get("/api/feed").json() == {"items": [], "next_cursor": None}
    with session_scope() as db:
        anchor = db.get_one(Recommendation, seeded.ids_in_feed_order[0])
        cursor = cursor_encode(run_id=anchor.run_id + 1, position=0)  # every clip of A's run comes after it
    assert CARD_ID.findall(client.get("/", params={"cursor": cursor}, headers={"HX-Request": "true"}).text) == []
    assert client.get("/api/feed", params={"cursor": cursor}).json()["items"] == []


# --- empty states and the end of the feed ------------------------------------------------


def _status_page(client: TestClient, seed: Callable[[Session, int], None]) -> str:
    email = signup(client)
    with session_scope() as db:
        seed(db, _user_id(email))
    return client.get("/").text


def test_empty_with_no_data_sends_to_import(client: TestClient) -> None:
    html = _status_page(client, lambda db, uid: None)
    assert "No data yet" in html and 'href="/import"' in html and 'id="feed"' not in html
    assert "paste a few posts" in html and "X username" not in html  # no X API on this server


def test_empty_with_posts_but_no_run_offers_to_start_one(client: TestClient) -> None:
    html = _status_page(client, lambda db, uid: add_tweets(db, uid, ["a post"]) and None)
    assert "Ready for your first run" in html and 'action="/runs"' in html


def test_empty_while_a_run_is_in_progress_shows_its_progress(client: TestClient) -> None:
    run_ids: list[int] = []
    html = _status_page(client, lambda db, uid: run_ids.append(add_run(db, uid, status="running").id))
    assert f'hx-get="/runs/{run_ids[0]}/status" hx-trigger="load"' in html
    assert f'href="/runs/{run_ids[0]}"' in html and "on their way" in html


def test_empty_after_a_failed_run_says_why(client: TestClient) -> None:
    html = _status_page(client, lambda db, uid: add_run(db, uid, status="failed", error=f"Boom {HOSTILE}") and None)
    assert "The last run failed" in html and "Boom &lt;script&gt;" in html and "<script>alert" not in html
    assert "What to try" in html


def test_empty_after_a_run_without_clips_says_what_to_try(client: TestClient) -> None:
    html = _status_page(client, lambda db, uid: add_run(db, uid) and None)
    assert "found no clip worth your time" in html and 'href="/settings#instructions"' in html


def test_empty_because_every_channel_is_hidden_says_so(client: TestClient) -> None:
    def seed(db: Session, uid: int) -> None:
        seed_feed(db, uid, runs=1, per_run=2, channels=("Only",))
        db.add(HiddenChannel(user_id=uid, channel="Only"))

    html = _status_page(client, seed)
    assert "channel you hid" in html and "2 clips" in html and 'href="/settings#hidden-channels"' in html


def test_the_end_of_the_feed_names_the_next_scheduled_run(client: TestClient) -> None:
    def seed(db: Session, uid: int) -> None:
        seed_feed(db, uid, runs=1, per_run=1)
        db.execute(update(User).where(User.id == uid).values(refresh_schedule="daily", refresh_hour=6))

    html = _status_page(client, seed)
    match = re.search(r'Next run at <time datetime="([^"]+)" data-local-time>', html)
    assert match is not None
    at = datetime.fromisoformat(match.group(1))
    assert at.hour == 6 and timedelta(0) < at - datetime.now(UTC) <= timedelta(days=1)


def test_the_end_of_the_feed_points_at_a_run_in_progress(client: TestClient) -> None:
    run_ids: list[int] = []

    def seed(db: Session, uid: int) -> None:
        seed_feed(db, uid, runs=1, per_run=1)
        run_ids.append(add_run(db, uid, status="running").id)

    html = _status_page(client, seed)
    assert "That’s all for now" in html and f'href="/runs/{run_ids[0]}"' in html


def test_the_player_stub_setting_switches_the_player_script(client: TestClient, app: Any) -> None:
    email = signup(client)
    with session_scope() as db:
        seed_feed(db, _user_id(email), runs=1, per_run=1)
    app.state.settings = app.state.settings.model_copy(update={"openrec_youtube_player_stub": True})
    assert f'data-player-api="{static_url("youtube-stub.js")}"' in client.get("/").text
    assert client.get(static_url("youtube-stub.js")).status_code == 200


# --- every word true: verbs, the quote once with its time, runs in the feed ------------------


def test_cited_posts_are_labelled_with_what_the_user_did(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    kinds = ("tweet", "reply", "quote", "retweet", "like")
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=1)
        ids = []
        for kind in kinds:
            (tweet_id,) = add_tweets(db, user_id, [f"a post I {kind}"])
            db.execute(update(Tweet).where(Tweet.tweet_id == tweet_id).values(kind=kind))
            ids.append(tweet_id)
        db.execute(update(Recommendation).values(tweet_ids=ids[2:]).where(Recommendation.user_id == user_id))
    (item,) = client.get("/api/feed").json()["items"]
    assert [(t["kind"], t["text"]) for t in item["tweets"]] == [(k, f"a post I {k}") for k in kinds[2:]]
    html = client.get("/").text
    assert re.findall(r'<span class="clip-tweet-verb">([^<]+)</span>', html) == [
        "You quoted",
        "You reposted",
        "You liked",
    ]
    assert "You posted" not in html and "Because you posted" not in html
    assert seeded.ids_in_feed_order == [item["recommendation_id"]]


def test_the_quote_shows_once_with_the_time_it_is_spoken(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    quote = "A cheese press squeezes the last whey out of the milled curd."
    with session_scope() as db:
        seed_feed(db, user_id, runs=1, per_run=2)
        first, second = db.scalars(
            select(Recommendation).where(Recommendation.user_id == user_id).order_by(Recommendation.position)
        ).all()
        first.quote, first.quote_s = quote, 800.4
        first.explanation = f'Picked for your interest in curds. In this clip: "{quote}" Worth a look.'
        second.quote, second.quote_s = "…the cheesemaker mills the curd here…", None
    items = client.get("/api/feed").json()["items"]
    assert [(i["quote"], i["quote_s"]) for i in items] == [
        (quote, 800.4),
        ("…the cheesemaker mills the curd here…", None),
    ]
    html = client.get("/").text
    assert html.count(quote) == 1
    assert f'<q class="clip-quote-inline">{quote}</q>' in html
    assert "Picked for your interest in curds. In this clip: <q" in html and "</a> Worth a look." in html
    assert ">at 13:20</a>" in html and "&amp;t=800s" in html  # spoken at 800 s, not at the clip start (751 s)
    assert html.count("the cheesemaker mills the curd here") == 1  # not in the explanation: shown in its own figure
    assert "Said <a" in html and ">at 12:32</a>" in html  # no known time: the clip start


def test_the_newest_run_opens_with_what_changed_and_earlier_runs_follow_a_divider(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=2, per_run=PAGE_SIZE)
        old_run, new_run = seeded.run_ids
        db.get(PipelineRun, new_run).log = [  # type: ignore[union-attr]
            {
                "kind": "note",
                "stage": "interests",
                "item": "",
                "message": 'Instructions applied: excluding videos about "knitting"; beginner level.',
            },
            {"kind": "skipped", "stage": "screen", "item": "a", "message": "already shown to you"},
            {"kind": "skipped", "stage": "screen", "item": "b", "message": "already shown to you"},
            {"kind": "skipped", "stage": "screen", "item": "c", "message": "clickbait"},
        ]
    first = client.get("/").text
    lines = re.findall(r'<p class="clip-run[^"]*">([^<]+)</p>', first)
    assert len(lines) == 1
    assert lines[0].startswith("Run 2 · ")
    assert lines[0].endswith(
        f"· {PAGE_SIZE} new clips · applied: excluding videos about &#34;knitting&#34;, beginner level"
        " · skipped 2 videos you had seen"
    )
    cursor = re.search(r'href="/\?cursor=([^"]+)"', first).group(1)  # type: ignore[union-attr]
    later = client.get(f"/?cursor={cursor}", headers={"HX-Request": "true"}).text
    assert re.findall(r'<p class="clip-run[^"]*">([^<]+)</p>', later)[0].startswith("Earlier: run 1 · ")
    assert old_run < new_run


def test_a_clip_voted_down_in_an_earlier_run_never_comes_back(session: Session, user: User) -> None:
    seeded = seed_feed(session, user.id, runs=2, per_run=2)
    old_down, old_kept, new_down, new_kept = [seeded.ids_in_feed_order[i] for i in (2, 3, 0, 1)]
    session.add_all(
        [
            Feedback(user_id=user.id, recommendation_id=old_down, vote=-1, reason="too_advanced"),
            Feedback(user_id=user.id, recommendation_id=new_down, vote=-1),
        ]
    )
    session.flush()
    ids = [i.recommendation_id for i in feed_page(session, user=user, limit=10).items]
    # In the newest run the vote can still be changed; an earlier run's clip voted down is gone.
    assert ids == [new_down, new_kept, old_kept]


def test_raw_links_in_cited_posts_are_shortened_to_their_site(client: TestClient) -> None:
    email = signup(client)
    user_id = _user_id(email)
    link = "https://x.com/someone/status/1893457203948572001?s=20"
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=1)
        db.execute(update(Tweet).where(Tweet.tweet_id == seeded.tweet_ids[0]).values(text=f"So true {link} wow"))
    html = client.get("/").text
    assert "So true x.com/… wow" in html and link not in html


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="clip" id="clip-\d+".*?</article>', html, re.S)


def test_a_card_shown_again_is_the_card_rendered_afresh(client: TestClient, app: Any) -> None:
    email = signup(client)
    with session_scope() as db:
        seeded = seed_feed(db, _user_id(email), runs=1, per_run=2)
    first = _cards(client.get("/").text)
    rid = seeded.ids_in_feed_order[0]
    voted = client.post(f"/clips/{rid}/vote", data={"vote": "down", "csrf_token": csrf_for(client)})
    assert voted.status_code == 200
    kept = _cards(client.get("/").text)
    assert kept[1] == first[1]
    assert kept[0] != first[0] and 'aria-pressed="true" data-action="down"' in kept[0]
    kept_cards.cache_clear()
    assert _cards(client.get("/").text) == kept
    # The same user in another browser: the cards carry that browser's form token, never the first one's.
    with TestClient(app) as other:
        other.get("/login")
        signed_in = other.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_for(other)})
        assert signed_in.status_code == 200
        theirs = _cards(other.get("/").text)
    assert len(theirs) == 2 and csrf_for(other) != csrf_for(client)
    assert all(csrf_for(other) in card and csrf_for(client) not in card for card in theirs)
