"""Browser tests: a real server on loopback with its own SQLite file, Debian's chromium driven by Playwright.

The server runs with the YouTube player stub and the offline catalog (the dev catalog's videos, then those of the
bundled sample catalog, so runs of posts on the sample's subjects find clips), and every page
is opened in a context that lets only loopback requests through: anything else is
aborted and recorded, so a test can check nothing tried to leave the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import make_engine
from app.demo import SAMPLE_CATALOG
from app.models import PipelineRun, Recommendation, Tweet, Video
from app.services.users import user_create
from tests.conftest import PASSWORD, REPO, SHARED, unique_email

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATALOG = SHARED / "eval" / "dev" / "catalog.json"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
LOOPBACK = frozenset({"127.0.0.1", "localhost"})
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
LAPTOP = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    engine: Engine

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A session on the server's own database; committed on success."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    tmp = Path(tempfile.mkdtemp(prefix="openrec-e2e-"))
    database_url = f"sqlite:///{tmp / 'e2e.sqlite3'}"
    catalog = tmp / "catalog.json"
    videos = [video for path in (CATALOG, SAMPLE_CATALOG) for video in json.loads(path.read_text())["videos"]]
    catalog.write_text(json.dumps({"videos": videos}))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENREC_ENV": "test",
        "SECRET_KEY": "e2e-secret-key",
        "REDIS_URL": "",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "YOUTUBE_API_KEY": "",
        "X_BEARER_TOKEN": "",
        "OPENREC_YOUTUBE_PLAYER_STUB": "true",
        "OPENREC_VIDEO_SOURCE": "catalog",
        "OPENREC_CATALOG": str(catalog),
        "OPENREC_LOG_LEVEL": "WARNING",
    }
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited: {(tmp / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.2)
        engine = make_engine(database_url)
        yield LiveServer(base_url=base_url, engine=engine)
        engine.dispose()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class NetworkGuard:
    """Lets loopback through and aborts (and records) every other request."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def blocked_hosts(self) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.blocked}

    def check(self) -> None:
        """Only thumbnails may have tried to leave loopback; no script error, no CSP violation."""
        assert self.blocked_hosts() <= {"i.ytimg.com"}, self.blocked
        assert all(url.startswith("https://i.ytimg.com/vi/") for url in self.blocked), self.blocked
        assert not self.page_errors, self.page_errors
        unexpected = [e for e in self.console_errors if "net::ERR_FAILED" not in e]
        assert not unexpected, unexpected


@dataclass
class Browsing:
    context: BrowserContext
    page: Page
    guard: NetworkGuard


@pytest.fixture
def browse(browser: Browser) -> Iterator[Any]:
    """Open guarded browser contexts: `browse(viewport)` returns a Browsing; each is checked and closed after."""
    opened: list[Browsing] = []

    def open_context(viewport: dict[str, int] = DESKTOP, **options: Any) -> Browsing:
        context = browser.new_context(viewport=viewport, **options)
        guard = NetworkGuard()
        context.route("**/*", guard.route)
        page = context.new_page()
        page.on("console", guard.console)
        page.on("pageerror", lambda error: guard.page_errors.append(str(error)))
        opened.append(Browsing(context, page, guard))
        return opened[-1]

    yield open_context
    for browsing in opened:
        browsing.context.close()
    for browsing in opened:
        browsing.guard.check()


@dataclass
class FeedUser:
    email: str
    password: str
    ids: list[int]  # recommendation ids in feed order
    video_ids: list[str]
    titles: list[str]
    starts: list[int]
    ends: list[int]
    channels: list[str]
    quotes: list[str] = field(default_factory=list)
    quote_starts: list[float] = field(default_factory=list)
    run_id: int = 0


def seed_catalog_feed(
    server: LiveServer,
    *,
    clips: int = 8,
    video_ids: list[str] | None = None,
    kinds: tuple[str, str] = ("tweet", "like"),
) -> FeedUser:
    """A user with one succeeded run whose clips are dev catalog videos (the first ones, or those named).

    Each clip cites one of two posts, the first of engagement kind `kinds[0]`, the second `kinds[1]`;
    its quote is the clip's second and third captions, spoken a few seconds after the clip starts.
    """
    catalog = {video["id"]: video for video in json.loads(CATALOG.read_text())["videos"]}
    videos = [catalog[i] for i in video_ids] if video_ids else list(catalog.values())[:clips]
    email = unique_email("e2e")
    with server.db() as db:
        user = user_create(db, email=email, password=PASSWORD)
        now = datetime.now(UTC)
        tweets = [
            Tweet(
                user_id=user.id,
                tweet_id=str(1_900_000_000_000_000_000 + uuid.uuid4().int % 10**15),
                kind=kind,
                text=text,
                created_at=now,
            )
            for kind, text in zip(
                kinds,
                (
                    "Been reading about how a sourdough starter picks up its wild yeast — fascinating stuff",
                    "Calligraphy rabbit hole today: broad nib vs pointed pen, who knew",
                ),
                strict=True,
            )
        ]
        run = PipelineRun(user_id=user.id, status="succeeded", stage="rank", started_at=now, finished_at=now)
        db.add_all([*tweets, run])
        for video in videos:
            if db.get(Video, video["id"]) is None:
                db.add(
                    Video(
                        id=video["id"],
                        title=video["title"],
                        channel=video["channel"],
                        description=video["description"],
                        duration_s=video["duration_s"],
                        view_count=video["view_count"],
                        like_count=video["like_count"],
                    )
                )
        db.flush()
        seeded = FeedUser(email, PASSWORD, [], [], [], [], [], [])
        for position, video in enumerate(videos):
            segments = video["transcript"]
            first = segments[len(segments) // 3]
            inside = [s for s in segments if first["start"] <= s["start"] < first["start"] + 60]
            end = inside[-1]["start"] + inside[-1]["duration"]
            quote = " ".join(" ".join(s["text"] for s in inside[1:3]).split())
            rec = Recommendation(
                user_id=user.id,
                run_id=run.id,
                video_id=video["id"],
                interest="sourdough baking",
                start_s=first["start"],
                end_s=end,
                quote=quote,
                quote_s=inside[1]["start"],
                explanation=(
                    f'Picked for your interest in sourdough baking, from "{tweets[position % 2].text}". '
                    f'In this clip: "{quote}"'
                ),
                tweet_ids=[tweets[position % 2].tweet_id],
                score=1.0 - position / 100,
                position=position,
            )
            db.add(rec)
            db.flush()
            seeded.ids.append(rec.id)
            seeded.video_ids.append(video["id"])
            seeded.titles.append(video["title"])
            seeded.starts.append(int(first["start"]))
            seeded.ends.append(int(-(-end // 1)))
            seeded.channels.append(video["channel"])
            seeded.quotes.append(quote)
            seeded.quote_starts.append(inside[1]["start"])
        seeded.run_id = run.id
    return seeded


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"].primary')
    page.wait_for_url(f"{base_url}/")


def scroll_to_feed_end(page: Page, *, most: int = 40) -> None:
    """Down card by card ("j") until the feed's end shows: every page loads on the way, however slowly the
    server answers (a fixed number of presses outruns a busy one)."""
    for _ in range(most):
        if page.locator("#feed-end.is-active").count():
            break
        page.keyboard.press("j")
        page.wait_for_timeout(300)
    expect(page.locator("#feed-end.is-active")).to_be_attached(timeout=15_000)


def sign_up_with_posts(page: Page, base_url: str, prefix: str, posts: Sequence[str]) -> str:
    """A new account, signed in, with `posts` pasted on the import page; its email."""
    email = unique_email(prefix)
    page.goto(f"{base_url}/signup")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.wait_for_url(f"{base_url}/")
    page.goto(f"{base_url}/import")
    page.fill('textarea[name="text"]', "\n".join(posts))
    page.get_by_role("button", name="Import text").click()
    page.wait_for_load_state()
    return email


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
