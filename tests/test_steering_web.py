"""/interests, /exports, /why-not and their JSON API; the feed exports read back by a feed library."""

from __future__ import annotations

import json
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Feedback, Interest, InterestChoice, PipelineRun, Recommendation, RunStageResult, User, Video
from app.pipeline.moved_on import MOVED_ON_REASON, old_subject_reason
from app.pipeline.shortfall import SHORTFALL_ITEM, shortfall
from app.services.users import user_by_email
from app.services.why_not import NotAVideoId, video_id_of
from tests.conftest import csrf_for, signup
from tests.feed_factory import add_run, add_tweets, seed_feed

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _user_id(email: str) -> int:
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return user.id


def _post(client: TestClient, path: str, **data: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_for(client)}, follow_redirects=False)


def _api(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, path, headers={"X-CSRF-Token": csrf_for(client)}, **kwargs)


@pytest.fixture
def me(client: TestClient) -> tuple[TestClient, int]:
    return client, _user_id(signup(client))


@pytest.fixture
def stranger(app) -> Any:  # type: ignore[no-untyped-def]
    with TestClient(app) as other:
        other.get("/login")
        yield other, _user_id(signup(other))


def _seed_interests(user_id: int) -> list[str]:
    """One finished run with two interests; the first, with markup in its description, shown by a post."""
    with session_scope() as db:
        feed = seed_feed(db, user_id, runs=1, per_run=3)
        run_id = feed.run_ids[0]
        post_ids = add_tweets(db, user_id, ["I keep reading about cheddaring"])
        db.add(
            Interest(
                user_id=user_id,
                run_id=run_id,
                name="Cheddaring",
                description=f"Curd milling {HOSTILE}",
                weight=0.8,
                evidence_tweet_ids=post_ids,
                position=0,
            )
        )
        db.add(
            Interest(
                user_id=user_id, run_id=run_id, name="Sourdough", description="", weight=0.3, evidence_tweet_ids=[]
            )
        )
        return feed.tweet_ids


# -- /interests ---------------------------------------------------------------------------------


def test_interests_page_needs_a_sign_in(client: TestClient) -> None:
    for path in ("/interests", "/exports", "/why-not", "/exports/liked.md"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_interests_page_lists_interests_with_weights_and_posts_escaped(me) -> None:
    client, user_id = me
    _seed_interests(user_id)
    html = client.get("/interests").text
    assert html.index("Cheddaring") < html.index("Sourdough")
    assert "0.80" in html and "I keep reading about cheddaring" in html
    assert "Curd milling &lt;script&gt;" in html and HOSTILE not in html
    assert 'href="/interests"' in html and 'aria-current="page"' in html


def test_pin_mute_rename_and_add_from_the_page_are_kept_as_history(me) -> None:
    client, user_id = me
    _seed_interests(user_id)
    assert _post(client, "/interests/choose", action="pin", name="Cheddaring").headers["location"] == (
        "/interests?done=pin"
    )
    _post(client, "/interests/choose", action="mute", name="Sourdough")
    _post(client, "/interests/choose", action="rename", name="Cheddaring", new_name="Cheese from curd to rind")
    _post(client, "/interests/choose", action="add", name="Category theory for programmers")
    html = client.get("/interests?done=add").text
    assert "Added: the next run looks for it in your own words." in html
    assert "The run called it “Cheddaring”." in html
    assert "Renamed “Cheddaring” to “Cheese from curd to rind”" in html
    state = {i["name"]: i["state"] for i in client.get("/api/interests").json()["interests"]}
    assert state == {
        "Cheese from curd to rind": "pinned",
        "Sourdough": "muted",
        "Category theory for programmers": "added",
    }


def test_a_refused_choice_shows_why_and_changes_nothing(me) -> None:
    client, user_id = me
    _seed_interests(user_id)
    response = _post(client, "/interests/choose", action="pin", name=HOSTILE)
    assert response.status_code == 400
    assert "You have no interest called" in response.text and HOSTILE not in response.text
    with session_scope() as db:
        count = select(func.count()).select_from(InterestChoice).where(InterestChoice.user_id == user_id)
        assert db.scalar(count) == 0
    assert _post(client, "/interests/choose", action="pin", name="Sourdough").status_code == 303
    forged = client.post("/interests/choose", data={"action": "mute", "name": "Sourdough"}, follow_redirects=False)
    assert forged.status_code == 403


def test_feed_size_is_kept_between_10_and_50(me) -> None:
    client, user_id = me
    assert _post(client, "/interests/feed-size", size="35").status_code == 303
    for bad in ("9", "51", "lots"):
        response = _post(client, "/interests/feed-size", size=bad)
        assert response.status_code == 400 and "between 10 and 50" in response.text
    with session_scope() as db:
        user = db.get(User, user_id)
        assert user is not None and user.feed_size == 35
    assert _api(client, "PUT", "/api/interests/feed-size", json={"feed_size": 60}).status_code == 422
    assert _api(client, "PUT", "/api/interests/feed-size", json={"feed_size": 12}).json()["feed_size"] == 12


def test_interests_api_changes_choices_and_refuses_with_a_reason(me, stranger) -> None:
    client, user_id = me
    other, _other_id = stranger
    _seed_interests(user_id)
    body = client.get("/api/interests").json()
    assert body["feed_size"] == 20
    first = body["interests"][0]
    assert first["name"] == "Cheddaring" and first["weight"] == 0.8 and first["state"] == "inferred"
    assert first["posts"][0]["url"].startswith("https://x.com/i/status/")
    created = _api(client, "POST", "/api/interests/choices", json={"action": "mute", "name": "sourdough"})
    assert created.status_code == 201
    assert created.json()["history"][0]["summary"] == "Muted “sourdough”"
    refused = _api(client, "POST", "/api/interests/choices", json={"action": "unpin", "name": "Knitting"})
    assert refused.status_code == 400 and "no interest called" in refused.json()["detail"]
    # Another user sees none of it and cannot choose about it.
    assert other.get("/api/interests").json() == {"interests": [], "history": [], "feed_size": 20}
    assert _api(other, "POST", "/api/interests/choices", json={"action": "pin", "name": "Sourdough"}).status_code == 400


# -- exports -------------------------------------------------------------------------------------


def _feed_links(client: TestClient) -> dict[str, str]:
    return client.get("/api/exports/feed-urls").json()


def test_the_feeds_parse_as_rss_atom_and_json_feed_with_clip_links_and_cited_posts(me) -> None:
    client, user_id = me
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=3)
        db.add(add_run(db, user_id))  # a newer run without clips changes nothing
        rec = db.get(Recommendation, seeded.ids_in_feed_order[0])
        assert rec is not None
        video = db.get(Video, rec.video_id)
        assert video is not None
        video.title = f"Curds {HOSTILE}"
        rec.explanation = "You wrote about cheddaring; this clip explains milling the curd (0.0)."
    urls = _feed_links(client)
    anonymous = TestClient(client.app)
    rss = anonymous.get(urls["rss"].split("8000", 1)[1])
    assert rss.status_code == 200 and rss.headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(rss.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20" and len(parsed.entries) == 3
    top = parsed.entries[0]
    assert top.title.startswith(f"Curds {HOSTILE}")  # the text survives, as text
    assert top.link.endswith(f"&t={751}s")
    assert "You wrote about cheddaring" in top.description
    assert "<script>" not in top.description  # escaped inside the HTML, so a reader shows it as text
    assert "https://x.com/i/status/" in top.description
    atom = feedparser.parse(anonymous.get(urls["atom"].split("8000", 1)[1]).content)
    assert not atom.bozo and atom.version == "atom10" and len(atom.entries) == 3
    assert atom.entries[0].link == top.link
    body = anonymous.get(urls["json_feed"].split("8000", 1)[1]).json()
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert body["feed_url"] == urls["json_feed"]
    item = body["items"][0]
    assert item["url"] == top.link and item["_openrec"]["start_s"] == 751.0
    assert item["id"] == top.id == atom.entries[0].id == f"urn:openrec:clip:{seeded.ids_in_feed_order[0]}"
    assert len(item["_openrec"]["cited_posts"]) == 2 and item["date_published"].endswith("Z")


def test_replacing_the_feed_links_revokes_the_old_ones(me) -> None:
    client, _ = me
    old = _feed_links(client)
    assert _feed_links(client) == old  # stable until replaced
    path = old["atom"].split("8000", 1)[1]
    assert TestClient(client.app).get(path).status_code == 200
    assert _post(client, "/exports/feed-links").headers["location"] == "/exports?done=replaced"
    assert TestClient(client.app).get(path).status_code == 404
    new = _feed_links(client)
    assert new != old and client.get("/exports").text.count(new["rss"]) == 1
    assert TestClient(client.app).get("/feeds/not-a-secret/clips.rss").status_code == 404
    assert TestClient(client.app).get(new["rss"].split("8000", 1)[1].replace(".rss", ".xml")).status_code == 404


def test_liked_clips_export_as_escaped_markdown(me) -> None:
    client, user_id = me
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=3)
        liked = seeded.ids_in_feed_order[1]
        db.add(Feedback(user_id=user_id, recommendation_id=liked, vote=1))
        db.add(Feedback(user_id=user_id, recommendation_id=seeded.ids_in_feed_order[2], vote=-1))
        rec = db.get(Recommendation, liked)
        assert rec is not None
        rec.explanation = "Because [click](javascript:alert(1)) <b>bold</b>"
    response = client.get("/exports/liked.md")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("# Clips I liked on openrec")
    assert text.count("\n## [") == 1 and "Talk 0.1" in text
    assert "https://www.youtube.com/watch?v=" in text and "&t=752s" in text
    assert r"\[click\]\(javascript:alert\(1\)\) \<b\>bold\</b\>" in text
    assert "Talk 0.2" not in text


# -- why not? -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=30s",
        "https://youtu.be/dQw4w9WgXcQ?si=x",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    ],
)
def test_a_video_id_is_read_from_an_id_or_a_link(pasted: str) -> None:
    assert video_id_of(pasted) == "dQw4w9WgXcQ"


def test_text_without_a_video_id_is_refused() -> None:
    with pytest.raises(NotAVideoId):
        video_id_of("a video about cable stitches")


def _run_with_log(user_id: int, log: list[dict[str, str]]) -> int:
    with session_scope() as db:
        run = PipelineRun(user_id=user_id, status="succeeded", log=log)
        db.add(run)
        db.flush()
        return run.id


def test_why_not_names_the_stage_and_reason_from_the_run_log(me, stranger) -> None:
    client, user_id = me
    other, _ = stranger
    reason = f"about “crypto”, which you asked to see no more of {HOSTILE}"
    run_id = _run_with_log(
        user_id,
        [
            {"kind": "skipped", "stage": "screen", "item": "AAAAAAAAAAA", "message": reason},
            {"kind": "skipped", "stage": "transcripts", "item": "BBBBBBBBBBB", "message": "no transcript: disabled"},
        ],
    )
    body = client.get("/api/why-not", params={"video": "https://youtu.be/AAAAAAAAAAA"}).json()
    assert body["stage"] == "screen" and body["run_id"] == run_id
    assert body["reason"].startswith("About “crypto”, which you asked to see no more of")
    html = client.get("/why-not", params={"video": "BBBBBBBBBBB"}).text
    assert "Dropped at transcripts." in html and "No transcript: disabled." in html
    missing = client.get("/api/why-not", params={"video": "CCCCCCCCCCC"}).json()
    assert missing["stage"] == "search" and "None of the run's searches found it" in missing["reason"]
    page = client.get("/why-not", params={"video": HOSTILE})
    assert "Paste a YouTube link" in page.text and HOSTILE not in page.text
    assert client.get("/api/why-not", params={"video": "nope"}).status_code == 400
    # Another user's runs say nothing about this one's.
    assert other.get("/api/why-not", params={"video": "AAAAAAAAAAA"}).json()["run_id"] is None


def test_why_not_explains_a_clip_that_scored_below_the_feed(me) -> None:
    client, user_id = me
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=2)
        clip = {
            "video_id": "DDDDDDDDDDD",
            "interest": "cheesemaking",
            "start_s": 1,
            "end_s": 40,
            "quote": "q",
            "score": 0.1,
        }
        db.add(RunStageResult(run_id=seeded.run_ids[0], stage="clip", payload=[clip]))
    body = client.get("/api/why-not", params={"video": "DDDDDDDDDDD"}).json()
    assert body["stage"] == "rank"
    assert "scored 0.10" in body["reason"] and "the 2 clips in your feed scored 0.89 or more" in body["reason"]
    assert json.dumps(body)  # plain JSON, nothing else


# -- the end of the feed --------------------------------------------------------------------------


def test_the_shortfall_tells_talks_left_out_as_asked_from_talks_without_a_close_passage() -> None:
    def skipped(stage: str, message: str) -> dict[str, str]:
        return {"kind": "skipped", "stage": stage, "item": "v", "message": message}

    log = [
        skipped("clip", "about “knitting” in all but name, which you asked to see no more of"),
        skipped("clip", "about “knitting” in all but name, which you asked to see no more of"),
        skipped("clip", MOVED_ON_REASON),
        skipped("clip", old_subject_reason("Beekeeping")),  # tied to an interest of long ago
        skipped("clip", "no passage matches the interest well enough"),
        skipped("screen", MOVED_ON_REASON),  # another stage's skip is not the clip stage's
    ]
    outs = {"search": 40, "screen": 12, "transcripts": 8, "clip": 4}
    assert shortfall(4, 10, outs, log) == (
        "4 of 10 clips met the bar this time: the search found 40 new videos, 12 passed screening, "
        "8 had a usable transcript, 2 of those were about what you asked to see no more of, 2 were closer to what "
        "you posted long ago than to what you post now and 4 of the rest had a passage close enough to your posts."
    )


def test_the_shortfall_tells_clips_the_diversity_rule_held_back() -> None:
    outs = {"search": 35, "screen": 21, "transcripts": 21, "clip": 13}
    assert shortfall(12, 20, outs).endswith(
        "21 had a usable transcript, 13 had a passage close enough to your posts and 1 of those was held back so "
        "that no one interest crowds out the others."
    )
    unexplained = [{"kind": "skipped", "stage": "rank", "item": "v", "message": "no engine explained the clip"}]
    assert "held back" not in shortfall(12, 20, outs, unexplained)  # the thirteenth is accounted for


def test_the_end_of_the_feed_says_why_the_latest_run_came_up_short(me) -> None:
    client, user_id = me
    why = shortfall(3, 20, {"search": 40, "screen": 9, "transcripts": 5, "clip": 3})
    assert why == (
        "3 of 20 clips met the bar this time: the search found 40 new videos, 9 passed screening, "
        "5 had a usable transcript and 3 had a passage close enough to your posts."
    )
    assert shortfall(20, 20, {"search": 90}) == ""
    with session_scope() as db:
        seeded = seed_feed(db, user_id, runs=1, per_run=3)
        run = db.get(PipelineRun, seeded.run_ids[0])
        assert run is not None
        run.log = [{"kind": "note", "stage": "rank", "item": SHORTFALL_ITEM, "message": why}]
    html = client.get("/").text
    assert f"Your latest run: {why}" in html.replace("&#39;", "'")
