"""The pages around the feed in a real browser, at desktop and phone sizes: the landing page, the API
reference under the Content Security Policy, the favicon, an empty upload, run numbers and skipped
videos by title, and the demo account's feed."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.demo import DEMO_EMAIL
from app.models import PipelineRun, Video
from app.services.users import user_by_email, user_create
from tests.conftest import PASSWORD, REPO, unique_email
from tests.e2e.conftest import CATALOG, LAPTOP, PHONE, LiveServer, scroll_to_feed_end, sign_in

pytestmark = pytest.mark.e2e

SIZES = [pytest.param(LAPTOP, id="desktop"), pytest.param(PHONE, id="phone")]


def open_page(browse: Any, viewport: dict[str, int]) -> Any:
    phone = viewport == PHONE
    return browse(viewport, has_touch=phone, is_mobile=phone)


@pytest.mark.parametrize("viewport", SIZES)
def test_a_visitor_sees_what_openrec_is_and_the_way_in(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    b = open_page(browse, viewport)
    page = b.page
    page.goto(f"{live_server.base_url}/")
    assert page.url == f"{live_server.base_url}/"
    expect(page.get_by_role("heading", level=1)).to_contain_text("worth your time")
    expect(page.locator(".landing-lead")).to_contain_text("what you post and like on X")
    shot = page.locator(".landing-shot img")
    expect(shot).to_be_visible()
    assert page.evaluate("document.querySelector('.landing-shot img').naturalWidth") > 0
    expect(page.locator("main").get_by_role("link", name="Create an account")).to_have_attribute("href", "/signup")
    expect(page.locator("main").get_by_role("link", name="Sign in")).to_have_attribute("href", "/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    b.guard.check()


@pytest.mark.parametrize("viewport", SIZES)
def test_the_api_reference_renders_under_the_csp(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    b = open_page(browse, viewport)
    page = b.page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(f"{live_server.base_url}/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)  # a 1.5 MB script to run
    expect(page.locator(".swagger-ui")).to_contain_text("/api/feed")
    assert page.locator("script:not([src])").count() == 0  # no inline script to allow
    assert violations == []
    b.guard.check()  # nothing left the machine: no CDN


def test_the_favicon_is_served(live_server: LiveServer, browse: Any) -> None:
    icon = httpx.get(f"{live_server.base_url}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon" and icon.content
    b = open_page(browse, PHONE)
    b.page.goto(f"{live_server.base_url}/login")
    href = b.page.locator('link[rel="icon"]').get_attribute("href")
    assert href is not None and httpx.get(f"{live_server.base_url}{href}").status_code == 200
    b.guard.check()


@pytest.mark.parametrize("viewport", SIZES)
def test_a_menu_wider_than_the_screen_fades_where_more_of_it_lies(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    """On a phone the menu scrolls sideways without a scroll bar: the fading edge says there is more."""
    email = unique_email("menu")
    with live_server.db() as db:
        user_create(db, email=email, password=PASSWORD)
    b = open_page(browse, viewport)
    page = b.page
    sign_in(page, live_server.base_url, email)
    page.goto(f"{live_server.base_url}/import")
    nav = "document.querySelector('.topbar nav')"
    fades = f"['--nav-before', '--nav-after'].map(p => getComputedStyle({nav}).getPropertyValue(p).trim())"
    wider = page.evaluate(f"{nav}.scrollWidth > {nav}.clientWidth")
    assert wider == (viewport == PHONE)
    assert page.evaluate(fades) == (["0px", "40px"] if wider else ["0px", "0px"])
    page.evaluate(f"{nav}.scrollLeft = {nav}.scrollWidth")
    expect(page.locator(".topbar nav").get_by_text("Sign out")).to_be_in_viewport()
    assert page.evaluate(fades) == (["40px", "0px"] if wider else ["0px", "0px"])
    b.guard.check()


@pytest.mark.parametrize("viewport", SIZES)
def test_an_empty_file_is_named_and_listed_in_recent_imports(
    live_server: LiveServer, browse: Any, viewport: dict[str, int], tmp_path: Path
) -> None:
    email = unique_email("empty-upload")
    with live_server.db() as db:
        user_create(db, email=email, password=PASSWORD)
    empty = tmp_path / "twitter-2026-archive.zip"
    empty.write_bytes(b"")
    b = open_page(browse, viewport)
    page = b.page
    sign_in(page, live_server.base_url, email)
    page.goto(f"{live_server.base_url}/import")
    page.set_input_files('input[name="archive"]', str(empty))
    page.get_by_role("button", name="Import archive").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("“twitter-2026-archive.zip” is empty (0 bytes)")
    expect(result).not_to_contain_text("Choose your X archive")
    page.reload()
    expect(page.locator("table.imports")).to_contain_text("twitter-2026-archive.zip")
    expect(page.locator("table.imports")).to_contain_text("refused")
    b.guard.console_errors[:] = [e for e in b.guard.console_errors if "400" not in e]  # the refusal itself
    b.guard.check()


@pytest.mark.parametrize("viewport", SIZES)
def test_runs_count_from_one_for_each_user_and_skipped_videos_show_titles(
    live_server: LiveServer, browse: Any, viewport: dict[str, int]
) -> None:
    email = unique_email("runs")
    video_id = uuid.uuid4().hex[:11]
    with live_server.db() as db:
        other = user_create(db, email=unique_email("other"), password=PASSWORD)
        db.add_all([PipelineRun(user_id=other.id, status="succeeded") for _ in range(2)])
        user = user_create(db, email=email, password=PASSWORD)
        db.add(Video(id=video_id, title="You won't BELIEVE this sourdough trick", channel="Loud Kitchen"))
        run = PipelineRun(
            user_id=user.id,
            status="succeeded",
            log=[{"kind": "skipped", "stage": "screen", "item": video_id, "message": "looks like clickbait"}],
        )
        db.add(run)
        db.flush()
        run_id = run.id
    b = open_page(browse, viewport)
    page = b.page
    sign_in(page, live_server.base_url, email)
    page.goto(f"{live_server.base_url}/runs")
    expect(page.locator(".run-title")).to_have_text(["Run 1"])
    page.goto(f"{live_server.base_url}/runs/{run_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Run 1")
    page.locator("details.skipped-stage summary").first.click()  # a finished run folds its skipped list
    title = page.locator(".skipped .skipped-item").first
    expect(title).to_have_text("You won't BELIEVE this sourdough trick")
    expect(title).to_have_attribute("href", f"https://www.youtube.com/watch?v={video_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    b.guard.check()


@pytest.fixture(scope="module")
def demo_account(live_server: LiveServer) -> str:
    """The demo account, set up by `openrec demo` on the test server's database (its catalog is another one)."""
    with live_server.db() as db:
        exists = user_by_email(db, email=DEMO_EMAIL) is not None
    if not exists:
        env = {**os.environ, "DATABASE_URL": live_server.engine.url.render_as_string(hide_password=False)}
        env |= {"SECRET_KEY": "e2e-secret-key", "OPENREC_VIDEO_SOURCE": "catalog", "OPENREC_CATALOG": str(CATALOG)}
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "demo", "--password", PASSWORD],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return DEMO_EMAIL


@pytest.mark.parametrize("viewport", SIZES)
def test_the_demo_feed_has_at_least_eight_clips(
    live_server: LiveServer, browse: Any, demo_account: str, viewport: dict[str, int]
) -> None:
    b = open_page(browse, viewport)
    page = b.page
    sign_in(page, live_server.base_url, demo_account)
    expect(page.locator("article.clip").first).to_be_visible()
    scroll_to_feed_end(page)
    expect(page.locator("#feed-end")).to_be_in_viewport()
    assert page.locator("article.clip").count() >= 8
    b.guard.check()
