"""Settings and runs in a real browser: sign up, paste interests, save instructions, start a run, watch it finish."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.models import PipelineRun
from app.services.users import user_create
from tests.conftest import PASSWORD, unique_email
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, LiveServer, sign_in, sign_up_with_posts

pytestmark = pytest.mark.e2e

POSTS = [
    "Spent the evening feeding my sourdough starter, it peaked in four hours at twenty six degrees",
    "Why does my sourdough starter smell so sharp? Wild yeast and lactic acid bacteria are a rabbit hole",
    "Bulk fermentation with an aliquot jar: reading the dough, not the clock, is the unsung hero of sourdough",
    "Stretch and folds vs kneading: the sourdough gluten finally makes sense to me",
    "Cable stitches are all about the cable needle, knitting is beautiful",
    "Working the moss stitch border again tonight, lace knitting patterns are hard",
]


def full_page(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def save_instructions(page: Page, text: str) -> None:
    page.fill("#instructions-text", text)
    page.get_by_role("button", name="Save instructions").click()
    expect(page.locator("#instructions .notice")).to_contain_text("Instructions saved")


def test_instructions_then_a_run_to_completion(live_server: LiveServer, browse: Any) -> None:
    base = live_server.base_url
    b = browse(DESKTOP)
    page = b.page
    email = sign_up_with_posts(page, base, "e2e-runs", POSTS)

    page.goto(f"{base}/settings")
    save_instructions(page, "prefer talks over podcasts")
    save_instructions(page, "no knitting")
    history = page.locator("#instructions .history-item")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("no knitting")
    expect(history.nth(0)).to_contain_text("in force")
    expect(history.nth(1)).to_contain_text("prefer talks over podcasts")
    expect(history.nth(1).get_by_role("button", name="Restore")).to_be_visible()
    expect(page.locator("#instructions-text")).to_have_value("no knitting")

    page.goto(f"{base}/runs")
    status_polls: list[str] = []
    page.on("request", lambda request: status_polls.append(request.url) if request.url.endswith("/status") else None)
    page.get_by_role("button", name="Start a run").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/runs/\d+$"))
    run_url = page.url
    expect(page.locator(".run-summary .status")).to_have_text("Finished", timeout=90_000)
    expect(page.get_by_role("link", name="See your feed")).to_have_attribute("href", "/")
    expect(page.locator(".stage.stage-done")).to_have_count(8)
    expect(page.locator(".notes")).to_contain_text("knitting")  # the instructions, applied
    expect(page.locator(".interest").first).to_be_visible()
    evidence = page.locator(".evidence li").first
    expect(evidence).to_contain_text("(pasted)")  # pasted notes have no post on X to link to
    assert page.locator(".evidence a").count() == 0
    assert evidence.inner_text().removesuffix(" (pasted)") in POSTS[:4]  # knitting was excluded
    # Polling stops once the run has ended.
    polls = len(status_polls)
    page.wait_for_timeout(2500)
    assert len(status_polls) == polls
    assert page.locator("#run-status[hx-trigger]").count() == 0
    full_page(page, "desktop-run")

    page.goto(f"{base}/runs")
    expect(page.locator(".run-row")).to_have_count(1)
    expect(page.locator(".run-row .status")).to_have_text("Finished")
    expect(page.locator(".run-row")).to_contain_text(re.compile(r"\d+ clips?"))

    page.goto(f"{base}/settings")
    full_page(page, "desktop-settings")
    phone = browse(PHONE).page
    sign_in(phone, base, email)
    phone.goto(run_url)
    expect(phone.locator(".run-summary .status")).to_have_text("Finished")
    full_page(phone, "phone-run")
    phone.goto(f"{base}/settings")
    full_page(phone, "phone-settings")
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_live_run_polls_and_can_be_cancelled(live_server: LiveServer, browse: Any) -> None:
    email = unique_email("e2e-cancel")
    with live_server.db() as db:
        user = user_create(db, email=email, password=PASSWORD)
        run = PipelineRun(user_id=user.id, status="running", stage="search", progress_done=3, progress_total=12)
        db.add(run)
        db.flush()
        run_id = run.id
    b = browse(PHONE)
    page = b.page
    sign_in(page, live_server.base_url, email)
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status") else None)
    page.goto(f"{live_server.base_url}/runs/{run_id}")
    expect(page.locator(".current-stage")).to_contain_text("Searching YouTube · 3 of 12")
    page.wait_for_timeout(2300)
    assert len(polls) >= 2  # polling every second while running
    full_page(page, "phone-run-live")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_role("button", name="Stopping…")).to_be_disabled()
    with live_server.db() as db:
        stored = db.get(PipelineRun, run_id)
        assert stored is not None and stored.cancel_requested
