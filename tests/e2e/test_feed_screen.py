"""One clip per screen, every word on it true: the feed as a person sees it, at desktop and phone sizes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.models import Feedback, PipelineRun, Recommendation
from tests.e2e.conftest import LAPTOP, PHONE, LiveServer, seed_catalog_feed, sign_in

pytestmark = pytest.mark.e2e

SIZES = [pytest.param(LAPTOP, id="desktop"), pytest.param(PHONE, id="phone")]
CARD = "article.clip:not(.clip-hidden)"


def open_feed(browse: Any, server: LiveServer, email: str, viewport: dict[str, int], **options: Any) -> Any:
    phone = viewport == PHONE
    b = browse(viewport, has_touch=phone, is_mobile=phone, **options)
    sign_in(b.page, server.base_url, email)
    expect(b.page.locator(CARD).first).to_be_visible()
    b.page.wait_for_function("document.querySelector('.clip.is-active') !== null")
    return b


def card_top(page: Page, index: int) -> float:
    top: float = page.evaluate(f"document.querySelectorAll({CARD!r})[{index}].getBoundingClientRect().top")
    return top


def landed_on(page: Page, index: int) -> None:
    """The scroll has stopped with card `index` filling the screen from its top."""
    page.wait_for_function(
        """([sel, i]) => {
            const top = document.querySelectorAll(sel)[i].getBoundingClientRect().top;
            const still = window.__lastY === window.scrollY;
            window.__lastY = window.scrollY;
            return Math.abs(top) < 2 && still;
        }""",
        arg=[CARD, index],
        polling=150,
    )


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize("viewport", SIZES)
def test_each_card_is_one_screen_with_the_rest_behind_why_this_clip(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    feed = seed_catalog_feed(live_server, clips=3)
    b = open_feed(browse, live_server, feed.email, viewport)
    page = b.page
    heights = page.evaluate(f"[...document.querySelectorAll({CARD!r})].map(c => c.getBoundingClientRect().height)")
    assert heights and all(abs(h - viewport["height"]) < 1 for h in heights), heights
    card = page.locator(f"#clip-{feed.ids[0]}")
    # On the first screen: player, title, channel, clip range, votes, the first lines of why.
    for part in (".clip-media", ".clip-title", ".clip-channel", ".clip-range", '[data-action="up"]', ".clip-why"):
        box = card.locator(part).first.bounding_box()
        assert box is not None and box["height"] > 0, part
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1, f"{part} is off the screen"
    more = card.locator(".clip-more")
    expect(more).to_be_hidden()
    # Nothing floats over the card's words: the top bar ends above them; the keys button is in the bar or gone.
    bar = page.locator(".topbar").bounding_box()
    assert bar is not None
    for part in (".clip-media", ".clip-run", ".clip-title", ".clip-why", ".clip-actions"):
        box = card.locator(part).first.bounding_box()
        assert box is not None and box["y"] >= bar["y"] + bar["height"] - 1, part
    keys = page.locator("#keys-button")
    if viewport == PHONE:
        expect(keys).to_be_hidden()
    else:
        keys_box = keys.bounding_box()
        assert keys_box is not None and keys_box["y"] + keys_box["height"] <= bar["y"] + bar["height"]
        for text in page.locator(".clip-body *:visible").all():
            text_box = text.bounding_box()
            assert text_box is None or not overlaps(keys_box, text_box)

    card.locator('[data-action="details"]').click()
    expect(more).to_be_visible()
    expect(card.locator('[data-action="details"]')).to_have_attribute("aria-expanded", "true")
    expect(more.locator(".clip-tweets")).to_be_visible()
    expect(more.locator('[data-action="hide-channel"]')).to_be_visible()
    assert abs(card.bounding_box()["height"] - viewport["height"]) < 1  # type: ignore[index]  # still one screen
    more.locator('[data-action="hide-channel"]').scroll_into_view_if_needed()
    box = more.locator('[data-action="hide-channel"]').bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"] + 1  # reachable inside the card
    card.locator('[data-action="details"]').click()
    expect(more).to_be_hidden()
    b.guard.check()


@pytest.mark.parametrize("viewport", SIZES)
def test_j_and_k_move_exactly_one_card(live_server: LiveServer, browse: Any, viewport: dict[str, int]) -> None:
    feed = seed_catalog_feed(live_server, clips=4)
    page = open_feed(browse, live_server, feed.email, viewport).page
    for key, index in (("j", 1), ("j", 2), ("k", 1), ("ArrowDown", 2), ("ArrowUp", 1)):
        page.keyboard.press(key)
        landed_on(page, index)
        expect(page.locator(".clip.is-active")).to_have_id(f"clip-{feed.ids[index]}")


def swipe(page: Page, distance: float, *, start: float, sideways: float = 0, pause_ms: float = 0) -> None:
    """A touch swipe: the finger moves `distance` px (negative: up, to the next card) in eight steps,
    quickly unless `pause_ms` holds it between steps."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": 195, "y": start}]})
    for step in range(1, 9):
        point = {"x": 195 + sideways * step / 8, "y": start + distance * step / 8}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        if pause_ms:
            page.wait_for_timeout(pause_ms)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_swipe_moves_exactly_one_card(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=4)
    page = open_feed(browse, live_server, feed.email, PHONE).page
    # A short swipe, a long fling over most of the screen, then one back down.
    for expected, distance, start in ((1, -250, 650), (2, -600, 700), (1, 400, 200)):
        swipe(page, distance, start=start)
        landed_on(page, expected)
        expect(page.locator(".clip.is-active")).to_have_id(f"clip-{feed.ids[expected]}")


def test_a_slow_short_drag_moves_one_card_and_a_sideways_one_none(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=3)
    page = open_feed(browse, live_server, feed.email, PHONE).page
    # A third of the screen, the finger resting between steps: no fling to carry it past halfway.
    swipe(page, -280, start=600, pause_ms=60)
    landed_on(page, 1)
    expect(page.locator(".clip.is-active")).to_have_id(f"clip-{feed.ids[1]}")
    # Mostly sideways: the feed stays on the same card.
    swipe(page, -60, start=500, sideways=-200, pause_ms=60)
    page.wait_for_timeout(600)
    landed_on(page, 1)
    expect(page.locator(".clip.is-active")).to_have_id(f"clip-{feed.ids[1]}")


@pytest.mark.parametrize("viewport", SIZES)
def test_reduced_motion_jumps_instead_of_scrolling_smoothly(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    feed = seed_catalog_feed(live_server, clips=3)
    page = open_feed(browse, live_server, feed.email, viewport, reduced_motion="reduce").page
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
    page.keyboard.press("j")
    assert abs(card_top(page, 1)) < 2  # already there: no animation in between
    normal = open_feed(browse, live_server, feed.email, viewport).page
    assert normal.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "smooth"


@pytest.mark.parametrize("viewport", SIZES)
def test_cited_posts_say_what_you_did_and_the_quote_shows_once_with_its_time(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    feed = seed_catalog_feed(live_server, clips=2, kinds=("reply", "like"))
    page = open_feed(browse, live_server, feed.email, viewport).page
    for index, verb in ((0, "You replied"), (1, "You liked")):
        card = page.locator(f"#clip-{feed.ids[index]}")
        if index:
            page.keyboard.press("j")
            landed_on(page, 1)
        card.locator('[data-action="details"]').click()
        expect(card.locator(".clip-tweet-verb")).to_have_text([verb])
        text = card.inner_text()
        assert text.count(feed.quotes[index]) == 1, text
        assert "You posted" not in text and "Because you posted" not in text
        spoken = int(feed.quote_starts[index])
        time_link = card.locator(".clip-quote-time")
        expect(time_link).to_have_text(f"at {spoken // 60}:{spoken % 60:02d}")
        assert time_link.get_attribute("href", timeout=1000).endswith(f"&t={spoken}s")  # type: ignore[union-attr]
        assert spoken > feed.starts[index]  # the moment it is said, not the clip start


@pytest.mark.parametrize("viewport", SIZES)
def test_the_newest_run_says_what_changed_and_earlier_runs_follow_without_clips_voted_down(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    old = seed_catalog_feed(live_server, clips=5)
    with live_server.db() as db:
        first, voted_down = old.ids[0], old.ids[1]
        db.add(Feedback(user_id=_user_id(db, first), recommendation_id=voted_down, vote=-1, reason="too_advanced"))
        user_id = _user_id(db, first)
        now = datetime.now(UTC)
        new_run = PipelineRun(
            user_id=user_id,
            status="succeeded",
            started_at=now,
            finished_at=now,
            log=[
                {"kind": "note", "stage": "interests", "item": "", "message": "Instructions applied: beginner level."},
                {"kind": "skipped", "stage": "screen", "item": old.video_ids[2], "message": "already shown to you"},
            ],
        )
        db.add(new_run)
        db.flush()
        newest = []
        for position, source in enumerate(db.get(Recommendation, i) for i in old.ids[3:5]):
            assert source is not None
            rec = Recommendation(
                user_id=user_id,
                run_id=new_run.id,
                video_id=source.video_id,
                start_s=source.start_s,
                end_s=source.end_s,
                quote=source.quote,
                explanation=source.explanation,
                tweet_ids=source.tweet_ids,
                score=1.0,
                position=position,
            )
            db.add(rec)
            db.flush()
            newest.append(rec.id)
    page = open_feed(browse, live_server, old.email, viewport).page
    ids = page.evaluate(f"[...document.querySelectorAll({CARD!r})].map(c => c.id)")
    expected = [*newest, old.ids[0], *old.ids[2:]]
    assert ids == [f"clip-{i}" for i in expected]  # the clip voted down in run 1 is gone
    expect(page.locator(f"#clip-{newest[0]} .clip-run")).to_have_text(
        re.compile(r"^Run 2 · \d+ \w+ · 2 new clips · applied: beginner level · skipped 1 video you had seen$")
    )
    expect(page.locator(f"#clip-{newest[1]} .clip-run")).to_have_count(0)
    expect(page.locator(f"#clip-{old.ids[0]} .clip-run")).to_have_text(re.compile(r"^Earlier: run 1 · \d+ \w+$"))


def _user_id(db: Any, recommendation_id: int) -> int:
    rec = db.get(Recommendation, recommendation_id)
    assert rec is not None
    return int(rec.user_id)


@pytest.mark.parametrize("viewport", SIZES)
def test_offline_the_player_says_so_with_the_title(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    feed = seed_catalog_feed(live_server, clips=2)
    phone = viewport == PHONE
    b = browse(viewport, has_touch=phone, is_mobile=phone)
    b.page.route("**/static/youtube-stub.js*", lambda route: route.abort("internetdisconnected"))
    sign_in(b.page, live_server.base_url, feed.email)
    message = b.page.locator(f"#clip-{feed.ids[0]} .clip-offline")
    expect(message).to_be_visible()
    expect(message).to_contain_text("The player can’t load right now")
    expect(message.get_by_role("link")).to_contain_text(feed.titles[0][:30])
    box = message.bounding_box()
    media = b.page.locator(f"#clip-{feed.ids[0]} .clip-media").bounding_box()
    assert box is not None and media is not None and overlaps(box, media)
    b.guard.console_errors.clear()  # the refused player script is the point of this test
