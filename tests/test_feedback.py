"""Votes, reasons and hidden channels: the service, the htmx buttons and the JSON API, each scoped to its user."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import session_scope
from app.models import Feedback, HiddenChannel, User
from app.services.feedback import (
    InvalidFeedback,
    RecommendationNotFound,
    channel_hide,
    channel_unhide,
    feedback_clear,
    feedback_set,
    hidden_channels_list,
    recommendation_channel,
)
from app.services.users import user_by_email
from tests.conftest import csrf_for, signup
from tests.feed_factory import seed_feed

CARD_ID = re.compile(r'<article class="clip" id="clip-(\d+)"')


def _votes(session: Session, user: User) -> list[tuple[int, int, str | None]]:
    rows = session.execute(
        select(Feedback.recommendation_id, Feedback.vote, Feedback.reason).where(Feedback.user_id == user.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


# --- the service -------------------------------------------------------------------------


def test_a_vote_can_be_cast_changed_given_a_reason_and_cleared(session: Session, user: User) -> None:
    (rid,) = seed_feed(session, user.id, runs=1, per_run=1).ids_in_feed_order
    feedback_set(session, user=user, recommendation_id=rid, vote="up")
    assert _votes(session, user) == [(rid, 1, None)]
    feedback_set(session, user=user, recommendation_id=rid, vote="down", reason="too_advanced")
    assert _votes(session, user) == [(rid, -1, "too_advanced")]
    feedback_set(session, user=user, recommendation_id=rid, vote="down", reason="seen_it")
    assert _votes(session, user) == [(rid, -1, "seen_it")]
    feedback_set(session, user=user, recommendation_id=rid, vote="down")
    assert _votes(session, user) == [(rid, -1, None)]
    feedback_set(session, user=user, recommendation_id=rid, vote="up")
    assert _votes(session, user) == [(rid, 1, None)]
    feedback_clear(session, user=user, recommendation_id=rid)
    assert _votes(session, user) == []
    feedback_clear(session, user=user, recommendation_id=rid)  # nothing to clear is fine


@pytest.mark.parametrize(("vote", "reason"), [("down", "boring"), ("down", ""), ("up", "clickbait")])
def test_unknown_reasons_and_reasons_with_a_thumbs_up_are_refused(
    session: Session, user: User, vote: str, reason: str
) -> None:
    (rid,) = seed_feed(session, user.id, runs=1, per_run=1).ids_in_feed_order
    with pytest.raises(InvalidFeedback):
        feedback_set(session, user=user, recommendation_id=rid, vote=vote, reason=reason)  # type: ignore[arg-type]
    assert _votes(session, user) == []


def test_another_users_clip_is_not_found(session: Session, user: User, make_user: Callable[..., User]) -> None:
    (rid,) = seed_feed(session, user.id, runs=1, per_run=1).ids_in_feed_order
    feedback_set(session, user=user, recommendation_id=rid, vote="down", reason="clickbait")
    other = make_user()
    for call in (
        lambda: feedback_set(session, user=other, recommendation_id=rid, vote="up"),
        lambda: feedback_clear(session, user=other, recommendation_id=rid),
        lambda: recommendation_channel(session, user=other, recommendation_id=rid),
        lambda: feedback_set(session, user=user, recommendation_id=rid + 10_000, vote="up"),
    ):
        with pytest.raises(RecommendationNotFound):
            call()
    assert _votes(session, user) == [(rid, -1, "clickbait")]
    assert _votes(session, other) == []


def test_hiding_a_channel_is_idempotent_and_per_user(
    session: Session, user: User, make_user: Callable[..., User]
) -> None:
    other = make_user()
    channel_hide(session, user=user, channel="Loud")
    channel_hide(session, user=user, channel="Loud")
    channel_hide(session, user=user, channel="Drama")
    assert hidden_channels_list(session, user=user) == ["Loud", "Drama"]
    assert hidden_channels_list(session, user=other) == []
    assert channel_unhide(session, user=other, channel="Loud") is False
    assert channel_unhide(session, user=user, channel="Loud") is True
    assert channel_unhide(session, user=user, channel="Loud") is False
    assert hidden_channels_list(session, user=user) == ["Drama"]
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(ValueError, match="channel name"):
            channel_hide(session, user=user, channel=bad)


# --- the htmx buttons on the page --------------------------------------------------------


def _seeded_client(client: TestClient, **kwargs: object) -> tuple[int, list[int], dict[int, str]]:
    email = signup(client)
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        seeded = seed_feed(db, user.id, **kwargs)  # type: ignore[arg-type]
        return user.id, seeded.ids_in_feed_order, seeded.channel_of


def _htmx(client: TestClient) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf_for(client)}


def _button(html: str, marker: str) -> dict[str, str]:
    """The attributes of the first button carrying `marker` (e.g. 'data-action="down"')."""
    tag = re.search(r"<button[^>]*" + re.escape(marker) + r"[^>]*>", html)
    assert tag is not None, marker
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(0)))


def _card(html: str, rid: int) -> str:
    start = html.index(f'id="clip-{rid}"')
    end = html.find("</article>", start)
    return html[start:end]


def test_votes_swap_in_place_survive_a_reload_and_can_change(client: TestClient) -> None:
    _, ids, _ = _seeded_client(client, runs=1, per_run=2)
    rid = ids[0]
    down = client.post(f"/clips/{rid}/vote", data={"vote": "down"}, headers=_htmx(client))
    assert down.status_code == 200
    assert down.text.lstrip().startswith(f'<div class="vote" id="vote-{rid}">')
    assert 'data-action="down"' in down.text and 'class="vote-reasons"' in down.text
    pressed = _button(down.text, 'data-action="down"')
    assert (pressed["value"], pressed["aria-pressed"]) == ("clear", "true")  # pressing it again clears the vote

    chip = client.post(f"/clips/{rid}/vote", data={"vote": "down", "reason": "too_basic"}, headers=_htmx(client))
    chosen = _button(chip.text, 'data-reason="too_basic"')
    assert (chosen["value"], chosen["aria-pressed"]) == ("", "true")

    card = _card(client.get("/").text, rid)
    assert _button(card, 'data-action="down"')["aria-pressed"] == "true"
    assert _button(card, 'data-reason="too_basic"')["aria-pressed"] == "true"
    other = _card(client.get("/").text, ids[1])
    assert 'aria-pressed="true"' not in other

    up = client.post(f"/clips/{rid}/vote", data={"vote": "up"}, headers=_htmx(client))
    assert _button(up.text, 'data-action="up"')["aria-pressed"] == "true" and "vote-reasons" not in up.text
    card = _card(client.get("/").text, rid)
    assert _button(card, 'data-action="up"')["aria-pressed"] == "true" and "vote-reasons" not in card

    client.post(f"/clips/{rid}/vote", data={"vote": "clear"}, headers=_htmx(client))
    assert 'aria-pressed="true"' not in _card(client.get("/").text, rid)


def test_without_htmx_a_vote_redirects_back_to_its_card(client: TestClient) -> None:
    _, ids, _ = _seeded_client(client, runs=1, per_run=1)
    response = client.post(
        f"/clips/{ids[0]}/vote", data={"vote": "up", "csrf_token": csrf_for(client)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == f"/#clip-{ids[0]}"
    assert _button(client.get("/").text, 'data-action="up"')["aria-pressed"] == "true"


@pytest.mark.parametrize(
    "data",
    [{"vote": "down", "reason": "boring"}, {"vote": "up", "reason": "clickbait"}, {"vote": "sideways"}, {}],
)
def test_bad_votes_are_422_and_change_nothing(client: TestClient, data: dict[str, str]) -> None:
    _, ids, _ = _seeded_client(client, runs=1, per_run=1)
    response = client.post(f"/clips/{ids[0]}/vote", data=data, headers=_htmx(client))
    assert response.status_code == 422
    assert 'aria-pressed="true"' not in client.get("/").text


def test_hide_a_channel_then_undo(client: TestClient) -> None:
    _, ids, channel_of = _seeded_client(client, runs=2, per_run=4, channels=("Loud", "Calm"))
    loud = [rid for rid in ids if channel_of[rid] == "Loud"]
    hidden = client.post(f"/clips/{loud[0]}/hide-channel", headers=_htmx(client))
    assert hidden.status_code == 200
    assert f'id="clip-{loud[0]}"' in hidden.text and "clip-hidden" in hidden.text
    assert "<strong>Loud</strong>" in hidden.text and f'hx-post="/clips/{loud[0]}/unhide-channel"' in hidden.text
    shown = [int(i) for i in CARD_ID.findall(client.get("/").text)]
    assert shown == [rid for rid in ids if channel_of[rid] == "Calm"]
    assert client.get("/api/hidden-channels").json() == [{"channel": "Loud"}]

    undone = client.post(f"/clips/{loud[0]}/unhide-channel", headers=_htmx(client))
    assert undone.status_code == 200
    assert CARD_ID.findall(undone.text) == [str(loud[0])] and "Talk" in undone.text
    assert [int(i) for i in CARD_ID.findall(client.get("/").text)] == ids[:6]
    assert client.get("/api/hidden-channels").json() == []


def test_another_users_clip_cannot_be_voted_on_or_hidden(client: TestClient) -> None:
    user_a, ids, _ = _seeded_client(client, runs=1, per_run=1)
    client.post(f"/clips/{ids[0]}/vote", data={"vote": "down", "reason": "seen_it"}, headers=_htmx(client))
    client.post("/logout", headers={"X-CSRF-Token": csrf_for(client)})
    signup(client)
    rid = ids[0]
    for path, data in (
        (f"/clips/{rid}/vote", {"vote": "up"}),
        (f"/clips/{rid}/vote", {"vote": "clear"}),
        (f"/clips/{rid}/hide-channel", {}),
        (f"/clips/{rid}/unhide-channel", {}),
    ):
        for headers in (_htmx(client), {"X-CSRF-Token": csrf_for(client)}):
            response = client.post(path, data=data, headers=headers, follow_redirects=False)
            assert response.status_code == 404, (path, headers)
            assert "Talk" not in response.text
    csrf = {"X-CSRF-Token": csrf_for(client)}
    assert client.put(f"/api/feedback/{rid}", json={"vote": "up"}, headers=csrf).status_code == 404
    assert client.delete(f"/api/feedback/{rid}", headers=csrf).status_code == 404
    assert client.get("/api/hidden-channels").json() == []
    with session_scope() as db:
        assert (
            db.execute(select(Feedback.user_id, Feedback.vote, Feedback.reason)).all().count((user_a, -1, "seen_it"))
            == 1
        )
        assert db.scalar(select(HiddenChannel.id).where(HiddenChannel.user_id == user_a)) is None


# --- the JSON API ------------------------------------------------------------------------


def test_api_votes_round_trip_through_the_feed(client: TestClient) -> None:
    _, ids, _ = _seeded_client(client, runs=1, per_run=2)
    headers = {"X-CSRF-Token": csrf_for(client)}
    put = client.put(f"/api/feedback/{ids[1]}", json={"vote": "down", "reason": "too_basic"}, headers=headers)
    assert put.status_code == 200
    assert put.json() == {"recommendation_id": ids[1], "vote": "down", "reason": "too_basic"}
    items = client.get("/api/feed").json()["items"]
    assert [(i["recommendation_id"], i["vote"], i["reason"]) for i in items] == [
        (ids[0], None, None),
        (ids[1], "down", "too_basic"),
    ]
    client.put(f"/api/feedback/{ids[1]}", json={"vote": "up"}, headers=headers)
    assert client.get("/api/feed").json()["items"][1]["vote"] == "up"
    assert client.delete(f"/api/feedback/{ids[1]}", headers=headers).status_code == 204
    assert client.get("/api/feed").json()["items"][1]["vote"] is None


@pytest.mark.parametrize(
    "body", [{"vote": "down", "reason": "boring"}, {"vote": "up", "reason": "seen_it"}, {"vote": 1}, {}]
)
def test_api_refuses_bad_votes_with_422(client: TestClient, body: dict[str, object]) -> None:
    _, ids, _ = _seeded_client(client, runs=1, per_run=1)
    response = client.put(f"/api/feedback/{ids[0]}", json=body, headers={"X-CSRF-Token": csrf_for(client)})
    assert response.status_code == 422
    assert client.get("/api/feed").json()["items"][0]["vote"] is None


def test_api_pages_by_cursor(client: TestClient) -> None:
    _, ids, _ = _seeded_client(client, runs=3, per_run=4)
    seen, cursor = [], None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/feed", params=params).json()
        seen += [item["recommendation_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert client.get("/api/feed", params={"limit": 0}).status_code == 422
    assert client.get("/api/feed", params={"limit": 101}).status_code == 422


def test_api_hidden_channels(client: TestClient) -> None:
    _, ids, channel_of = _seeded_client(client, runs=1, per_run=4, channels=("Loud", "Calm"))
    headers = {"X-CSRF-Token": csrf_for(client)}
    created = client.post("/api/hidden-channels", json={"channel": "Loud"}, headers=headers)
    assert created.status_code == 201 and created.json() == {"channel": "Loud"}
    assert client.post("/api/hidden-channels", json={"channel": "Loud"}, headers=headers).status_code == 201
    assert client.get("/api/hidden-channels").json() == [{"channel": "Loud"}]
    items = client.get("/api/feed").json()["items"]
    assert [i["recommendation_id"] for i in items] == [rid for rid in ids if channel_of[rid] == "Calm"]
    assert client.post("/api/hidden-channels", json={"channel": ""}, headers=headers).status_code == 422
    assert client.delete("/api/hidden-channels", params={"channel": "Loud"}, headers=headers).status_code == 204
    assert client.delete("/api/hidden-channels", params={"channel": "Loud"}, headers=headers).status_code == 404
    assert len(client.get("/api/feed").json()["items"]) == 4


def test_openapi_describes_the_feed_api_exactly(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    feed = schema["paths"]["/api/feed"]["get"]
    assert feed["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FeedPageOut"
    }
    assert {p["name"] for p in feed["parameters"]} == {"cursor", "limit"}
    item = components["FeedItemOut"]
    assert {"recommendation_id", "video_id", "start_s", "end_s", "tweets", "vote", "reason", "watch_url"} <= set(
        item["required"]
    )
    reasons = components["FeedbackIn"]["properties"]["reason"]["anyOf"][0]["enum"]
    assert reasons == ["too_basic", "too_advanced", "off_topic", "clickbait", "seen_it"]
    put = schema["paths"]["/api/feedback/{recommendation_id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FeedbackIn"}
    assert "404" in put["responses"]
    assert "204" in schema["paths"]["/api/feedback/{recommendation_id}"]["delete"]["responses"]
    assert set(schema["paths"]["/api/hidden-channels"]) == {"get", "post", "delete"}
    assert not any(path.startswith("/clips") for path in schema["paths"])
