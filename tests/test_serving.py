"""Serving: reads beside a writer, queries per feed request, static caching and compression, the server's processes."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from app.config import Settings, get_settings
from app.db import SQLITE_POOL_SIZE, get_engine, lookups_engine, session_scope
from app.main import create_app
from app.models import ApiToken, User
from app.security import SESSION_COOKIE
from app.services.feed import cursor_encode
from app.services.users import user_by_email
from app.web import feed as feed_pages
from app.web.static import AssetVersions, static_url
from tests.conftest import REPO, csrf_for, signup
from tests.feed_factory import seed_feed

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
CARD_ID = re.compile(r'<article class="clip" id="clip-(\d+)"')


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every statement the app's engine sends, transaction control left out."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _seeded_user(client: TestClient, *, runs: int = 3, per_run: int = 10) -> tuple[int, list[int]]:
    """Sign up through the form and seed a feed: the user's id and the recommendation ids in feed order."""
    email = signup(client)
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return user.id, seed_feed(db, user.id, runs=runs, per_run=per_run).ids_in_feed_order


def _cursor_after(recommendation_id: int) -> str:
    from app.models import Recommendation

    with session_scope() as db:
        row = db.get(Recommendation, recommendation_id)
        assert row is not None
        return cursor_encode(run_id=row.run_id, position=row.position)


# --- a constant number of queries per feed request ---------------------------------------------


def _queries(client: TestClient, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    with counted_queries() as statements:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.text
    return len(statements), response.text


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_a_feed_page_costs_the_same_queries_whatever_its_size(
    signed_in: TestClient, monkeypatch: pytest.MonkeyPatch, htmx: bool
) -> None:
    _, order = _seeded_user(signed_in)
    headers = {"HX-Request": "true"} if htmx else {}
    counts: dict[str, list[int]] = {"first": [], "deep": [], "last": []}
    for size in (2, 12):
        monkeypatch.setattr(feed_pages, "PAGE_SIZE", size)
        count, html = _queries(signed_in, "/", headers)
        assert CARD_ID.findall(html) == [str(i) for i in order[:size]]
        counts["first"].append(count)
        count, html = _queries(signed_in, f"/?cursor={_cursor_after(order[9])}", headers)
        assert CARD_ID.findall(html) == [str(i) for i in order[10 : 10 + size]]
        counts["deep"].append(count)
        # The end of the feed, which also says what comes next: 1 card, then 11.
        count, html = _queries(signed_in, f"/?cursor={_cursor_after(order[-size])}", headers)
        assert CARD_ID.findall(html) == [str(i) for i in order[-(size - 1) :]]
        counts["last"].append(count)
    for name, (small, large) in counts.items():
        assert small == large, (name, counts)
    assert counts["deep"][0] <= 4, counts  # the account (for a kept page), the user, the page, the tweets it cites
    assert counts["first"][0] <= counts["deep"][0] + 2, counts  # and the newest run, with what it changed


def test_the_api_feed_costs_the_same_queries_whatever_the_limit(signed_in: TestClient) -> None:
    _, order = _seeded_user(signed_in)
    counts = []
    cursor = _cursor_after(order[0])
    for limit in (1, 7, 29):
        with counted_queries() as statements:
            body = signed_in.get(f"/api/feed?limit={limit}&cursor={cursor}").json()
        assert [item["recommendation_id"] for item in body["items"]] == order[1 : 1 + limit]
        assert all(item["tweets"] for item in body["items"])
        counts.append(len(statements))
    assert len(set(counts)) == 1 and counts[0] <= 4, counts  # the account, the user, the page, its tweets


# --- reads never wait for a writer --------------------------------------------------------------


def test_sixteen_readers_proceed_while_a_writer_holds_the_write_lock(signed_in: TestClient, app: Any) -> None:
    """Every reader is answered while another connection sits in a write transaction it has not committed.

    On SQLite the writer holds the database's single write lock (BEGIN IMMEDIATE plus a write);
    a reader that asked for that lock too would wait out the busy timeout and fail.
    """
    user_id, order = _seeded_user(signed_in, runs=2, per_run=5)
    cookies = {SESSION_COOKIE: signed_in.cookies[SESSION_COOKIE]}
    urls = ["/", "/api/feed?limit=3", f"/?cursor={_cursor_after(order[2])}", "/healthz"] * 4

    async def readers() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as client:
            answers = await asyncio.wait_for(asyncio.gather(*(client.get(url) for url in urls)), timeout=8)
        return [(answer.status_code, answer.text) for answer in answers]

    writer = get_engine().connect()  # the default begin: IMMEDIATE on SQLite
    transaction = writer.begin()
    try:
        writer.execute(update(User).where(User.id == user_id).values(refresh_hour=3))  # the readers' own row
        # A thread of its own: a session-scoped Playwright in this process may hold the main thread's loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            answers = pool.submit(asyncio.run, readers()).result(timeout=60)
        assert writer.in_transaction()
    finally:
        transaction.rollback()
        writer.close()
    assert [status for status, _ in answers] == [200] * len(urls)
    assert all(str(order[0]) in text for (_, text), url in zip(answers, urls, strict=True) if url == "/")


def test_a_lone_read_gives_its_connection_back_as_it_found_it(signed_in: TestClient) -> None:
    """Who is signed in is read outside a transaction on PostgreSQL; the connection must not stay that way."""
    user_id, _ = _seeded_user(signed_in, runs=1, per_run=8)
    engine = get_engine()
    for _ in range(3):
        assert signed_in.get("/").status_code == 200 and signed_in.get("/api/feed").status_code == 200
    idle = [engine.connect() for _ in range(engine.pool.checkedin())]  # every connection the pool holds
    try:
        assert idle
        for connection in idle:
            with connection.begin() as transaction:
                connection.execute(update(User).where(User.id == user_id).values(refresh_hour=5))
                transaction.rollback()
            assert connection.scalar(select(User.refresh_hour).where(User.id == user_id)) != 5
            connection.rollback()
    finally:
        for connection in idle:
            connection.close()
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    with lookups_engine().connect() as lookup:
        lookup.execute(select(User.feed_version).where(User.id == user_id))
        lone = lookup.connection.dbapi_connection
        assert lone is not None and (engine.dialect.name != "postgresql" or lone.autocommit)
    assert len(sent) == 1 and not TRANSACTION_CONTROL.match(sent[0]), sent  # no BEGIN on SQLite either


def test_a_bearer_token_records_its_use_once_a_minute_without_failing_reads(signed_in: TestClient, app: Any) -> None:
    created = signed_in.post("/api/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf_for(signed_in)})
    token_id, raw = created.json()["id"], created.json()["token"]
    auth = {"authorization": f"Bearer {raw}"}

    def last_used() -> Any:
        with session_scope() as db:
            return db.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))

    with TestClient(app) as script:
        assert script.get("/api/me", headers=auth).status_code == 200
        first = last_used()
        assert first is not None
        with counted_queries() as statements:
            assert script.get("/api/feed", headers=auth).status_code == 200
        assert last_used() == first
        assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements), statements
        stale = first - timedelta(minutes=2)
        with session_scope() as db:  # a use more than a minute ago is recorded again
            db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=stale))
        assert script.get("/api/me", headers=auth).status_code == 200
        assert last_used() > stale + timedelta(minutes=1)


# --- static files: long-lived caching by content digest, gzip above a size ----------------------


def test_a_versioned_static_url_is_cached_for_a_year_and_others_revalidate(client: TestClient) -> None:
    url = static_url("app.css")
    assert re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{12}", url)
    assert f'href="{url}"' in client.get("/login").text
    current = client.get(url)
    assert current.status_code == 200
    assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
    for other in ("/static/app.css", "/static/app.css?v=000000000000"):
        response = client.get(other)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"
        assert response.content == current.content
    again = client.get("/static/app.css", headers={"if-none-match": current.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"


def test_an_asset_gets_a_new_version_when_its_content_changes() -> None:
    with tempfile.TemporaryDirectory() as folder:
        asset = Path(folder) / "site.css"
        asset.write_text("body { color: black; }")
        versions = AssetVersions(Path(folder))
        first = versions.version("site.css")
        asset.write_text("body { color: navy; }")
        os.utime(asset, ns=(time.time_ns() + 10**9,) * 2)
        assert versions.version("site.css") == first  # read once outside development
        versions.watch = True
        changed = versions.version("site.css")
        assert changed is not None and changed != first
        assert versions.version("missing.css") is None


def test_pages_scripts_and_styles_are_compressed_above_the_threshold(signed_in: TestClient) -> None:
    _seeded_user(signed_in, runs=1, per_run=6)
    for url in ("/", static_url("app.css"), static_url("feed.js"), static_url("vendor/htmx-2.0.11.min.js")):
        response = signed_in.get(url, headers={"accept-encoding": "gzip"})
        assert response.headers.get("content-encoding") == "gzip", url
        assert "accept-encoding" in response.headers["vary"].lower()
        raw = signed_in.get(url, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in raw.headers and raw.content == response.content
        assert int(response.headers["content-length"]) < len(raw.content) / 2, url
    small = signed_in.get("/healthz", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers and small.json() == {"status": "ok"}


# --- the server's processes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("database_url", "redis_url", "workers", "expected"),
    [
        ("sqlite:///data/openrec.sqlite3", "", 0, 1),
        ("postgresql+psycopg://db/openrec", "", 0, 1),
        ("sqlite:///data/openrec.sqlite3", "redis://127.0.0.1:6379/0", 0, 1),
        ("postgresql+psycopg://db/openrec", "redis://127.0.0.1:6379/0", 0, 8),
        ("postgresql+psycopg://db/openrec", "redis://127.0.0.1:6379/0", 3, 3),
        ("sqlite:///data/openrec.sqlite3", "", 2, 2),
    ],
)
def test_the_number_of_server_processes(database_url: str, redis_url: str, workers: int, expected: int) -> None:
    settings = Settings(database_url=database_url, redis_url=redis_url, openrec_workers=workers)
    assert settings.web_workers(8) == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _worker_processes(pid: int) -> list[int]:
    """Children of the process that multiprocessing spawned to run code (not its resource tracker)."""
    children = [int(c) for task in Path(f"/proc/{pid}/task").glob("*/children") for c in task.read_text().split()]
    return [child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_serve_starts_the_asked_worker_processes_and_logs_requests_once(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "OPENREC_LOG_LEVEL": "INFO"}
    command = [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240  # two processes start slowly on a busy machine
            while True:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            while len(_worker_processes(server.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(_worker_processes(server.pid)) == 2
            for _ in range(3):
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    printed = log.read_text()
    assert "each executes runs and counts failed sign-ins on its own" in printed
    assert len(re.findall(r"event='request' .*route='/healthz' status=200", printed)) >= 4, printed
    assert '"GET /healthz HTTP/1.1" 200' not in printed  # uvicorn's access log is off


def test_handlers_run_on_as_many_threads_as_the_setting_says() -> None:
    app = create_app(get_settings().model_copy(update={"openrec_web_threads": 2}))
    lock, release = threading.Lock(), threading.Event()
    running: list[int] = [0, 0]  # now, most at once

    @app.get("/test-blocking")
    def blocking() -> dict[str, str]:
        with lock:
            running[0] += 1
            running[1] = max(running)
        release.wait(10)
        with lock:
            running[0] -= 1
        return {}

    with TestClient(app) as client, ThreadPoolExecutor(max_workers=6) as pool:
        answers = [pool.submit(client.get, "/test-blocking") for _ in range(6)]
        deadline = time.monotonic() + 10
        while running[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # time enough for a third handler to start, were there a thread for it
        assert running == [2, 2]
        release.set()
        assert [answer.result(timeout=10).status_code for answer in answers] == [200] * 6
    assert running[1] == 2


def test_what_the_app_loads_at_start_is_kept_out_of_the_collectors_full_passes() -> None:
    gc.unfreeze()
    loaded = ["lives as long as the process, like the app's modules"]
    try:
        with TestClient(create_app(get_settings())) as client:
            assert client.get("/healthz").status_code == 200
            assert all(o is not loaded for o in gc.get_objects())  # frozen: no collection scans it again
            later = ["made after the start"]
            assert any(o is later for o in gc.get_objects())
    finally:
        gc.unfreeze()


def test_a_burst_larger_than_the_connection_pool_is_answered(client: TestClient) -> None:
    """More requests at once than threads and pooled connections: none waits for a connection that only a
    thread it is itself waiting for could give back."""
    _seeded_user(client, runs=1, per_run=6)
    cookies = {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}
    app = create_app(get_settings().model_copy(update={"openrec_web_threads": 2}))
    burst = 2 * SQLITE_POOL_SIZE

    async def readers() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as c:
                answers = await asyncio.wait_for(asyncio.gather(*(c.get("/") for _ in range(burst))), timeout=20)
        return [answer.status_code for answer in answers]

    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, as above
        statuses = pool.submit(asyncio.run, readers()).result(timeout=60)
    assert statuses == [200] * burst
