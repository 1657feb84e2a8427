"""Interests, exports and "why not?" in a real browser: steer a run, follow the feed in a reader, ask about a video."""

from __future__ import annotations

import re
from typing import Any

import feedparser
import httpx
import pytest
from playwright.sync_api import Page, expect

from app.models import PipelineRun
from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, screenshot, seed_catalog_feed, sign_in, sign_up_with_posts

pytestmark = pytest.mark.e2e

POSTS = [
    "Spent the evening feeding my sourdough starter, it peaked in four hours at twenty six degrees",
    "Why does my sourdough starter smell so sharp? Wild yeast and lactic acid bacteria are a rabbit hole",
    "Stretch and folds vs kneading: the sourdough gluten finally makes sense to me",
    "Cable stitches are all about the cable needle, knitting is beautiful",
    "Working the moss stitch border again tonight, lace knitting patterns are hard",
    "Cable stitches: slip two onto the cable needle and hold them in front, knitting technique",
]


def _choose(page: Page, card: Any, button: str) -> None:
    card.get_by_role("button", name=re.compile(rf"^{button} ")).click()
    page.wait_for_load_state()


def _run_to_the_end(page: Page, base: str) -> str:
    page.goto(f"{base}/runs")
    page.get_by_role("button", name=re.compile("Start (a|a new) run")).first.click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/runs/\d+$"))
    expect(page.locator(".run-summary .status")).to_have_text("Finished", timeout=120_000)
    return page.url


def test_steering_interests_shapes_the_next_run_and_its_log_says_how(live_server: LiveServer, browse: Any) -> None:
    base = live_server.base_url
    page = browse(DESKTOP).page
    sign_up_with_posts(page, base, "e2e-interests", POSTS)
    _run_to_the_end(page, base)

    page.get_by_role("link", name="Interests").click()
    page.wait_for_url(f"{base}/interests")
    cards = page.locator(".interest")
    expect(cards.first).to_be_visible()
    first = cards.first.locator(".interest-name").inner_text()
    # a sample of the posts, the description saying how many there are in all
    expect(cards.first.locator("details.posts summary")).to_have_text(
        re.compile(r"^(1 post that shows|[2-5] posts that show) it$")
    )

    _choose(page, cards.first, "Pin")
    expect(page.locator(".notice")).to_contain_text("Pinned")
    expect(page.locator(f'.interest[data-interest="{first}"] .badge')).to_have_text("pinned")

    page.locator("#add input[name=name]").fill("Category theory for programmers")
    page.locator("#add").get_by_role("button", name="Add").click()
    expect(page.locator(".notice")).to_contain_text("Added")
    added = page.locator('.interest[data-interest="Category theory for programmers"]')
    expect(added.locator(".badge")).to_have_text("added")

    renamed = f"{first} (mine)"
    card = page.locator(f'.interest[data-interest="{first}"]')
    card.locator("details.rename summary").click()
    card.locator("input[name=new_name]").fill(renamed)
    card.get_by_role("button", name="Save name").click()
    expect(page.locator(f'.interest[data-interest="{renamed}"]')).to_contain_text(f"The run called it “{first}”.")

    size = page.locator("#feed-size input[name=size]")
    size.fill("9")
    page.locator("#feed-size").get_by_role("button", name="Save feed size").click()
    assert not size.evaluate("input => input.checkValidity()")  # the browser keeps it to 10-50 before sending
    page.locator("#feed-size input[name=size]").fill("30")
    page.locator("#feed-size").get_by_role("button", name="Save feed size").click()
    expect(page.locator(".notice")).to_contain_text("Feed size saved")
    expect(page.locator("#history .history-item")).to_have_count(3)
    expect(page.locator("#history .history-item").first).to_contain_text("Renamed")
    page.set_viewport_size({"width": DESKTOP["width"], "height": 1400})  # the whole page, under its own top bar
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "desktop-interests")
    page.set_viewport_size(DESKTOP)

    run_url = _run_to_the_end(page, base)
    notes = page.locator(".notes")
    expect(notes).to_contain_text(f"Kept your pinned interest “{renamed}”")
    expect(notes).to_contain_text("Added your interest “Category theory for programmers” in your own words")
    expect(notes).to_contain_text("as you renamed it")
    run_id = int(run_url.rsplit("/", 1)[1])
    with live_server.db() as db:
        run = db.get(PipelineRun, run_id)
        assert run is not None and run.status == "succeeded"


def test_the_interests_page_on_a_phone(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=3)
    page = browse(PHONE).page
    sign_in(page, live_server.base_url, feed.email)
    page.goto(f"{live_server.base_url}/interests")
    expect(page.locator("h1")).to_have_text("Your interests")
    page.locator("#add input[name=name]").fill("History of cartography")
    page.locator("#add").get_by_role("button", name="Add").click()
    expect(page.locator('.interest[data-interest="History of cartography"]')).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    screenshot(page, "phone-interests")


def test_feed_links_work_in_a_reader_and_replacing_them_revokes_the_old(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=4)
    page = browse(DESKTOP).page
    base = live_server.base_url
    sign_in(page, base, feed.email)
    page.goto(f"{base}/exports")
    page.get_by_role("button", name="Make my feed links").click()
    expect(page.locator(".notice")).to_contain_text("ready")
    rss_url = page.locator("#url-rss").input_value()
    atom_url = page.locator("#url-atom").input_value()
    json_url = page.locator("#url-json").input_value()
    assert rss_url.endswith("/clips.rss") and atom_url.endswith("/clips.atom") and json_url.endswith("/clips.json")
    # A feed reader has no session: fetch the links from outside the browser.
    local = lambda url: base + url.split("/feeds/", 1)[1].join(("/feeds/", ""))  # noqa: E731
    parsed = feedparser.parse(httpx.get(local(rss_url)).content)
    assert not parsed.bozo and [e.title.split(" (")[0] for e in parsed.entries] == feed.titles
    assert parsed.entries[0].link.endswith(f"&t={feed.starts[0]}s")
    assert not feedparser.parse(httpx.get(local(atom_url)).content).bozo
    assert httpx.get(local(json_url)).json()["items"][0]["_openrec"]["video_id"] == feed.video_ids[0]
    screenshot(page, "desktop-exports")

    page.get_by_role("button", name=re.compile("Replace the links")).click()
    expect(page.locator(".notice")).to_contain_text("old ones no longer work")
    assert httpx.get(local(rss_url)).status_code == 404
    assert page.locator("#url-rss").input_value() != rss_url

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download liked clips")).click()
    assert download.value.suggested_filename == "openrec-liked-clips.md"


def test_why_not_says_which_stage_dropped_a_video(live_server: LiveServer, browse: Any) -> None:
    feed = seed_catalog_feed(live_server, clips=2)
    with live_server.db() as db:
        run = db.query(PipelineRun).order_by(PipelineRun.id.desc()).first()
        assert run is not None
        run.log = [
            {
                "kind": "skipped",
                "stage": "screen",
                "item": "QQQQQQQQQQQ",
                "message": "about “crypto”, which you asked to see no more of",
            }
        ]
    page = browse(DESKTOP).page
    sign_in(page, live_server.base_url, feed.email)
    page.goto(f"{live_server.base_url}/why-not")
    page.fill("input[name=video]", "https://www.youtube.com/watch?v=QQQQQQQQQQQ")
    page.get_by_role("button", name="Ask").click()
    verdict = page.locator(".verdict")
    expect(verdict).to_contain_text("Dropped at screening.")
    expect(verdict).to_contain_text("About “crypto”, which you asked to see no more of.")
    screenshot(page, "desktop-why-not")
    page.fill("input[name=video]", f"https://youtu.be/{feed.video_ids[0]}")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator(".verdict")).to_contain_text("It is in your feed: clip 1 of the latest run.")
    page.fill("input[name=video]", "not a link")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator(".form-error")).to_contain_text("Paste a YouTube link")
