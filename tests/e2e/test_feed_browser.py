"""The feed in a real browser: cards, keys, the player on the visible card, votes, hiding a channel, both sizes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from app.models import Feedback, HiddenChannel, PipelineRun, Tweet
from app.services.users import user_by_email, user_create
from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import CATALOG, DESKTOP, PHONE, LiveServer, screenshot, seed_catalog_feed, sign_in

pytestmark = pytest.mark.e2e

CARD = "article.clip:not(.clip-hidden)"


def yt_calls(page: Page) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = page.evaluate("window.__ytCalls || []")
    return calls


def wait_for_call(page: Page, call: str, video_id: str) -> None:
    page.wait_for_function(
        "([call, id]) => (window.__ytCalls || []).some(c => c.call === call && c.videoId === id)",
        arg=[call, video_id],
    )


def active_id(page: Page) -> str | None:
    value: str | None = page.evaluate("document.querySelector('.clip.is-active')?.id ?? null")
    return value


def snapped_to(page: Page, element_id: str) -> None:
    """The element fills the screen from its top (the top bar floats over its padding): the scroll has landed."""
    page.wait_for_function(
        "id => Math.abs(document.getElementById(id).getBoundingClientRect().top) < 2",
        arg=element_id,
    )


def test_the_visible_card_plays_its_clip_and_j_moves_on(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server)
    b = browse(DESKTOP)
    page = b.page
    sign_in(page, live_server.base_url, feed.email)
    expect(page.locator(CARD).first).to_be_visible()
    assert page.locator(CARD).count() >= 6
    assert page.locator(CARD).first.get_attribute("id") == f"clip-{feed.ids[0]}"
    expect(page.locator(CARD).first.locator(".clip-title")).to_have_text(feed.titles[0])

    first = feed.video_ids[0]
    wait_for_call(page, "playVideo", first)
    calls = yt_calls(page)
    created = next(c for c in calls if c["call"] == "new" and c["videoId"] == first)
    assert created["host"] == "https://www.youtube-nocookie.com"
    assert created["playerVars"]["start"] == feed.starts[0]
    assert created["playerVars"]["end"] == feed.ends[0]
    assert created["playerVars"]["mute"] == 1 and created["playerVars"]["playsinline"] == 1
    assert created["playerVars"]["rel"] == 0
    order = [(c["call"], c["videoId"]) for c in calls]
    assert order.index(("mute", first)) < order.index(("playVideo", first))
    # Only the visible card and its neighbour hold a player; the rest show thumbnails.
    assert {c["videoId"] for c in calls if c["call"] == "new"} == {first, feed.video_ids[1]}
    assert active_id(page) == f"clip-{feed.ids[0]}"

    page.keyboard.press("j")
    snapped_to(page, f"clip-{feed.ids[1]}")
    assert active_id(page) == f"clip-{feed.ids[1]}"
    second = feed.video_ids[1]
    wait_for_call(page, "playVideo", second)
    wait_for_call(page, "pauseVideo", first)
    created = [c for c in yt_calls(page) if c["call"] == "new" and c["videoId"] == second]
    assert len(created) == 1 and created[0]["playerVars"]["start"] == feed.starts[1]
    wait_for_call(page, "new", feed.video_ids[2])  # the next neighbour is made ready

    page.keyboard.press("ArrowDown")
    snapped_to(page, f"clip-{feed.ids[2]}")
    page.keyboard.press("k")
    snapped_to(page, f"clip-{feed.ids[1]}")
    assert active_id(page) == f"clip-{feed.ids[1]}"
    # Coming back plays the clip again from its start.
    page.wait_for_function(
        "id => window.__ytCalls.filter(c => c.videoId === id && c.call === 'seekTo').length >= 1", arg=second
    )
    mounted = page.locator(".clip-player:not(:empty)").count()
    assert mounted <= 3

    page.keyboard.press(" ")
    wait_for_call(page, "pauseVideo", second)
    playing = page.evaluate("id => document.getElementById(id).classList.contains('is-playing')", f"clip-{feed.ids[1]}")
    assert playing is False
    b.guard.check()


def test_the_clip_stops_at_its_end_and_space_plays_it_again(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=2)
    b = browse(DESKTOP)
    page = b.page
    page.add_init_script("window.__ytSpeed = 120")  # the stub's clock: a minute of clip in half a second
    sign_in(page, live_server.base_url, feed.email)
    card = page.locator(f"#clip-{feed.ids[0]}")
    expect(card).to_have_class(re.compile(r"\bis-ended\b"))
    bar = card.locator(".clip-progress-bar")
    expect(bar).to_have_attribute("style", re.compile(r"scaleX\(1(\.000)?\)"))
    started = len(yt_calls(page))
    page.keyboard.press(" ")
    page.wait_for_function(
        "([id, from]) => window.__ytCalls.slice(from).some(c => c.videoId === id && c.call === 'playVideo')",
        arg=[feed.video_ids[0], started],
    )
    replay = [(c["call"], c.get("args")) for c in yt_calls(page)[started:] if c["videoId"] == feed.video_ids[0]]
    assert ("seekTo", [feed.starts[0], True]) in replay  # from the clip start, not where it stopped
    b.guard.check()


def test_keys_vote_and_open_the_full_video(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=2)
    b = browse(DESKTOP)
    page = b.page
    page.add_init_script("window.open = function (url, target, rel) { window.__opened = [url, target, rel]; }")
    sign_in(page, live_server.base_url, feed.email)
    card = page.locator(f"#clip-{feed.ids[0]}")
    expect(card).to_have_class(re.compile(r"\bis-active\b"))
    page.keyboard.press("d")
    expect(card.locator('[data-action="down"]')).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".vote-reasons")).to_be_visible()
    page.keyboard.press("d")  # again: the vote is taken back
    expect(card.locator('[data-action="down"]')).to_have_attribute("aria-pressed", "false")
    page.wait_for_load_state("networkidle")  # the vote's request has settled before the next key
    page.keyboard.press("o")
    opened = page.wait_for_function("() => window.__opened").json_value()
    assert opened == [
        f"https://www.youtube.com/watch?v={feed.video_ids[0]}&t={feed.starts[0]}s",
        "_blank",
        "noopener,noreferrer",
    ]
    b.guard.check()


def test_scrolling_to_the_end_loads_every_page_then_says_so(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=8)
    b = browse(DESKTOP)
    page = b.page
    sign_in(page, live_server.base_url, feed.email)
    for index in range(1, len(feed.ids)):
        page.keyboard.press("j")
        snapped_to(page, f"clip-{feed.ids[index]}")
    assert page.locator(CARD).evaluate_all("cards => cards.map(c => c.id)") == [f"clip-{i}" for i in feed.ids]
    page.keyboard.press("j")
    snapped_to(page, "feed-end")
    expect(page.locator("#feed-end")).to_contain_text("That’s all for now")
    expect(page.locator("#feed-end button")).to_have_text("Start a new run")
    assert page.locator("#feed-more").count() == 0
    # Players were released on the way down: memory stays flat however far one scrolls.
    assert page.locator(".clip-player:not(:empty)").count() <= 2
    screenshot(page, "desktop-end-of-feed")
    b.guard.check()


def test_thumbs_down_with_a_reason_survives_a_reload_and_can_change(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=3)
    b = browse(PHONE, has_touch=True, is_mobile=True)
    page = b.page
    sign_in(page, live_server.base_url, feed.email)
    card = page.locator(f"#clip-{feed.ids[0]}")
    card.locator('[data-action="down"]').click()
    reasons = card.locator(".vote-reasons")
    expect(reasons).to_be_visible()
    screenshot(page, "phone-thumbs-down-reasons")
    card.locator('[data-reason="too_basic"]').click()
    expect(card.locator('[data-reason="too_basic"]')).to_have_attribute("aria-pressed", "true")

    page.reload()
    card = page.locator(f"#clip-{feed.ids[0]}")
    expect(card.locator('[data-action="down"]')).to_have_attribute("aria-pressed", "true")
    expect(card.locator('[data-reason="too_basic"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#clip-{feed.ids[1]} [data-action='down']")).to_have_attribute("aria-pressed", "false")
    with live_server.db() as db:
        user = user_by_email(db, email=feed.email)
        assert user is not None
        votes = db.execute(
            select(Feedback.recommendation_id, Feedback.vote, Feedback.reason).where(Feedback.user_id == user.id)
        ).all()
    assert [tuple(v) for v in votes] == [(feed.ids[0], -1, "too_basic")]

    page.keyboard.press("u")  # the visible card is the first one
    expect(card.locator('[data-action="up"]')).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".vote-reasons")).to_have_count(0)
    page.reload()
    expect(page.locator(f"#clip-{feed.ids[0]} [data-action='up']")).to_have_attribute("aria-pressed", "true")
    b.guard.check()


def test_hide_a_channel_then_undo(live_server: LiveServer, browse: Any) -> None:
    catalog = json.loads(CATALOG.read_text())["videos"]
    by_channel: dict[str, list[str]] = {}
    for video in catalog:
        by_channel.setdefault(video["channel"], []).append(video["id"])
    twins = next(ids for ids in by_channel.values() if len(ids) > 1)  # one channel, two videos
    others = [v["id"] for v in catalog if v["id"] not in twins][:2]
    feed = seed_catalog_feed(live_server, video_ids=[others[0], twins[0], others[1], twins[1]])
    b = browse(DESKTOP)
    page = b.page
    sign_in(page, live_server.base_url, feed.email)
    target, twin = f"#clip-{feed.ids[1]}", f"#clip-{feed.ids[3]}"
    page.locator(target).locator('[data-action="details"]').click()  # "Hide this channel" is behind "Why this clip"
    page.locator(target).locator('[data-action="hide-channel"]').click()
    notice = page.locator(f"{target}.clip-hidden")
    expect(notice).to_contain_text("Channel hidden")
    expect(notice).to_contain_text(feed.channels[1])
    expect(page.locator(twin)).to_be_hidden()  # the channel's other clip goes too
    screenshot(page, "desktop-channel-hidden")
    notice.locator('[data-action="undo-hide"]').click()
    expect(page.locator(f"{target} .clip-title")).to_be_visible()
    expect(page.locator(twin)).not_to_have_class(re.compile(r"\bis-collapsed\b"))
    page.reload()
    expect(page.locator(target)).to_have_count(1)

    page.locator(target).locator('[data-action="details"]').click()
    page.locator(target).locator('[data-action="hide-channel"]').click()
    expect(page.locator(f"{target}.clip-hidden")).to_be_visible()
    page.reload()
    expect(page.locator(CARD).first).to_be_visible()
    assert page.locator(target).count() == 0 and page.locator(twin).count() == 0
    with live_server.db() as db:
        user = user_by_email(db, email=feed.email)
        assert user is not None
        hidden = db.scalars(select(HiddenChannel.channel).where(HiddenChannel.user_id == user.id)).all()
    assert hidden == [feed.channels[1]]
    b.guard.check()


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_both_sizes_look_intended(live_server: LiveServer, browse: Any, name: str, viewport: dict[str, int]) -> None:
    feed = seed_catalog_feed(live_server, clips=4)
    b = browse(viewport, has_touch=name == "phone", is_mobile=name == "phone", color_scheme="dark")
    page = b.page
    page.add_init_script(
        """window.__shifts = 0;
        new PerformanceObserver(list => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value;
        }).observe({type: 'layout-shift', buffered: true});"""
    )
    sign_in(page, live_server.base_url, feed.email)
    wait_for_call(page, "playVideo", feed.video_ids[0])
    page.wait_for_timeout(400)
    screenshot(page, f"{name}-feed")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the page scrolls sideways"
    media = page.locator(f"#clip-{feed.ids[0]} .clip-media").bounding_box()
    assert media is not None and abs(media["width"] / media["height"] - 16 / 9) < 0.02
    card = page.locator(f"#clip-{feed.ids[0]}").bounding_box()
    assert card is not None and abs(card["height"] - viewport["height"]) < 1  # one clip per screen
    controls = ['[data-action="up"]', '[data-action="down"]', '[data-action="open"]', '[data-action="details"]']
    for selector in controls + (["#keys-button"] if name == "desktop" else []):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 40 and box["width"] >= 40, selector
        assert box["y"] + box["height"] <= viewport["height"], f"{selector} is below the first screen"
    assert page.evaluate("window.__shifts") < 0.02

    if name == "desktop":  # a phone has no keyboard, so no button for its shortcuts
        page.locator("#keys-button").click()
        expect(page.locator("#keys-help")).to_be_visible()
        screenshot(page, f"{name}-keys-help")
        page.keyboard.press("Escape")
        expect(page.locator("#keys-help")).to_be_hidden()
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_hidden()

    page.keyboard.press("j")
    snapped_to(page, f"clip-{feed.ids[1]}")
    page.wait_for_timeout(300)
    screenshot(page, f"{name}-second-card")
    page.emulate_media(color_scheme="light")
    screenshot(page, f"{name}-second-card-light")
    # A thumbnail that cannot load still leaves a neutral, intended-looking box.
    assert b.guard.blocked_hosts() <= {"i.ytimg.com"}
    b.guard.check()


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_an_empty_feed_says_what_to_do(
    live_server: LiveServer, browse: Any, name: str, viewport: dict[str, int]
) -> None:
    email = unique_email("empty")
    with live_server.db() as db:
        user_create(db, email=email, password=PASSWORD)
    b = browse(viewport)
    sign_in(b.page, live_server.base_url, email)
    expect(b.page.get_by_role("heading", name="No data yet")).to_be_visible()
    expect(b.page.get_by_role("link", name="Import your interests")).to_have_attribute("href", "/import")
    screenshot(b.page, f"{name}-empty")
    b.guard.check()


def test_a_run_in_progress_shows_live_progress_on_the_empty_feed(live_server: LiveServer, browse: Any) -> None:
    email = unique_email("running")
    with live_server.db() as db:
        user = user_create(db, email=email, password=PASSWORD)
        db.add(Tweet(user_id=user.id, tweet_id="1900000000000000001", kind="tweet", text="cheese presses"))
        run = PipelineRun(user_id=user.id, status="running", stage="search", progress_done=3, progress_total=10)
        db.add(run)
        db.flush()
        run_id = run.id
    b = browse(PHONE, color_scheme="dark")
    sign_in(b.page, live_server.base_url, email)
    expect(b.page.get_by_role("heading", name="Your clips are on their way")).to_be_visible()
    status = b.page.locator(".feed-empty-run #run-status")  # the run page's own live fragment
    expect(status).to_contain_text("3 of 10")
    screenshot(b.page, "phone-run-in-progress")
    with live_server.db() as db:
        db.execute(update(PipelineRun).where(PipelineRun.id == run_id).values(progress_done=7))
    expect(status).to_contain_text("7 of 10")  # it polls
    b.guard.check()
