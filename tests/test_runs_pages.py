"""/runs and /runs/{id}: history, live progress fragment, start (one active run), cancel, scoping, escaping."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Interest, LLMCall, PipelineRun, Recommendation, Tweet, Video
from app.services.users import user_by_email
from tests.conftest import csrf_for, signup

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _user_id(email: str) -> int:
    with session_scope() as db:
        user = user_by_email(db, email=email)
        assert user is not None
        return user.id


def _wait_until_ended(run_id: int) -> PipelineRun:
    """The run once the executor has finished with it (the start routes hand it over)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with session_scope() as db:
            run = db.get(PipelineRun, run_id)
            assert run is not None
            if run.status not in ("queued", "running"):
                return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} was not executed")


def _add_run(user_id: int, **fields: Any) -> int:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": "succeeded", "created_at": now - timedelta(minutes=5)}
    values.update(fields)
    with session_scope() as db:
        run = PipelineRun(user_id=user_id, **values)
        db.add(run)
        db.flush()
        return run.id


@pytest.fixture
def me(client: TestClient) -> tuple[TestClient, int]:
    email = signup(client)
    return client, _user_id(email)


@pytest.fixture
def stranger(app) -> tuple[TestClient, int]:  # type: ignore[no-untyped-def]
    with TestClient(app) as other:
        other.get("/login")
        email = signup(other)
        yield other, _user_id(email)


def test_pages_need_a_sign_in(client: TestClient) -> None:
    for path in ("/runs", "/runs/1", "/runs/1/status"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


def test_runs_page_lists_only_my_runs_with_facts(me, stranger) -> None:
    client, user_id = me
    _other, other_id = stranger
    now = datetime.now(UTC)
    finished = _add_run(
        user_id,
        started_at=now - timedelta(seconds=200),
        finished_at=now - timedelta(seconds=75),
        cost_usd=0.0123,
    )
    failed = _add_run(user_id, status="failed", error="nope", created_at=now - timedelta(days=1))
    foreign = _add_run(other_id)
    videos = [f"vid{uuid.uuid4().hex[:8]}" for _ in range(3)]
    with session_scope() as db:
        for video_id in videos:
            db.merge(Video(id=video_id, title="t", channel="c"))
        db.flush()
        for position, video_id in enumerate(videos):
            db.add(
                Recommendation(
                    user_id=user_id,
                    run_id=finished,
                    video_id=video_id,
                    start_s=0,
                    end_s=40,
                    quote="q",
                    explanation="e",
                    score=1,
                    position=position,
                )
            )

    page = client.get("/runs")
    assert page.status_code == 200
    assert f'href="/runs/{finished}"' in page.text and f'href="/runs/{failed}"' in page.text
    assert f'href="/runs/{foreign}"' not in page.text
    assert page.text.index(f"/runs/{finished}") < page.text.index(f"/runs/{failed}")  # newest first
    row = page.text.split(f'href="/runs/{finished}"')[1].split("</a>")[0]
    assert "3 clips" in row and "$0.0123" in row and "2:05" in row and "Finished" in row
    assert "Failed" in page.text.split(f'href="/runs/{failed}"')[1].split("</a>")[0]
    assert 'action="/runs"' in page.text  # no active run: a start button


def test_running_run_page_shows_live_progress_and_polls(me) -> None:
    client, user_id = me
    now = datetime.now(UTC)
    run_id = _add_run(
        user_id,
        status="running",
        stage="screen",
        engine="openai",
        progress_done=7,
        progress_total=20,
        started_at=now - timedelta(seconds=65),
        timings={"engagement": 0.2, "interests": 1.5, "queries": 0.7, "search": 3.25},
        counts={"search": {"in": 12, "out": 48, "skipped": 1}},
        tokens_in=12345,
        tokens_out=678,
        cost_usd=0.0042,
        log=[
            {"kind": "note", "stage": "interests", "item": "", "message": "Instructions applied: excluding crypto."},
            {"kind": "skipped", "stage": "screen", "item": "Crypto moon vid", "message": "matches your exclusion"},
            {"kind": "skipped", "stage": "search", "item": HOSTILE, "message": HOSTILE},
        ],
    )
    with session_scope() as db:
        db.add(LLMCall(user_id=user_id, run_id=run_id, stage="interests", model="gpt-4o-mini", outcome="ok"))

    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    html = page.text
    assert f'hx-get="/runs/{run_id}/status"' in html and 'hx-trigger="every 1s"' in html
    assert "Screening videos" in html and "7 of 20" in html
    assert "12,345 in" in html and "678 out" in html and "$0.0042" in html
    assert "openai (gpt-4o-mini)" in html
    assert re.search(r"Elapsed</dt><dd>1:0[5-9]</dd>", html)
    assert "3.2 s" in html or "3.3 s" in html  # the search stage's time
    assert "out 48" in html
    assert "Instructions applied: excluding crypto." in html
    assert "Crypto moon vid" in html and "matches your exclusion" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert 'id="cancel-run"' in html


def test_the_run_page_shows_each_stage_model_tokens_and_cost(me) -> None:
    client, user_id = me
    run_id = _add_run(user_id, engine="openai", timings={"interests": 1.0, "clip": 2.0, "rank": 1.0})

    def call(stage: str, model: str, tokens: tuple[int, int], cost: float, outcome: str = "ok") -> LLMCall:
        t_in, t_out = tokens
        return LLMCall(
            user_id=user_id,
            run_id=run_id,
            stage=stage,
            model=model,
            tokens_in=t_in,
            tokens_out=t_out,
            cost_usd=cost,
            outcome=outcome,
        )

    with session_scope() as db:
        db.add_all(
            [
                call("interests", "gpt-4o-mini", (1000, 240), 0.0004),
                call("clip", "gpt-4o", (900, 100), 0.002),
                call("clip", "gpt-4o", (800, 100), 0.001),
                call("rank", "gpt-4o-mini", (1500, 500), 0.0005),
                call("explain", "gpt-4o-mini", (300, 100), 0.0001),
                call("clip", "gpt-4o", (0, 0), 0.0, outcome="cached"),  # reached no model: not counted
            ]
        )

    html = client.get(f"/runs/{run_id}").text

    assert "gpt-4o-mini, 1 call, 1,240 tokens, $0.0004" in html
    assert "gpt-4o, 2 calls, 1,900 tokens, $0.0030" in html
    assert "gpt-4o-mini, 2 calls, 2,400 tokens, $0.0006" in html  # ranking and its explanations


def test_a_run_without_a_language_model_shows_no_cost(me) -> None:
    """The local engine spends nothing: "$0.0000" on every run would be noise, "none" says it."""
    client, user_id = me
    local = _add_run(user_id, finished_at=datetime.now(UTC))
    free_model = _add_run(user_id, finished_at=datetime.now(UTC), tokens_in=900, tokens_out=120)
    page = client.get("/runs").text
    assert "$" not in page.split(f'href="/runs/{local}"')[1].split("</a>")[0]
    assert "$0.0000" in page.split(f'href="/runs/{free_model}"')[1].split("</a>")[0]  # a model served for free
    facts = client.get(f"/runs/{local}").text.split("<dt>Cost</dt>")[1].split("</dd>")[0]
    assert "none" in facts and "$" not in facts
    assert "$0.0000" in client.get(f"/runs/{free_model}").text


def test_finished_status_fragment_stops_polling_and_offers_the_feed(me) -> None:
    client, user_id = me
    run_id = _add_run(user_id, started_at=datetime.now(UTC) - timedelta(seconds=3), finished_at=datetime.now(UTC))
    fragment = client.get(f"/runs/{run_id}/status", headers={"hx-request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # a fragment, not a page
    assert "hx-trigger" not in fragment.text
    assert 'href="/"' in fragment.text and "See your feed" in fragment.text
    assert fragment.headers["cache-control"] == "no-store"


def test_failed_run_shows_its_reason(me) -> None:
    client, user_id = me
    run_id = _add_run(user_id, status="failed", stage="search", error=f"Search failed: {HOSTILE}")
    html = client.get(f"/runs/{run_id}").text
    assert "Search failed: &lt;script&gt;" in html and HOSTILE not in html
    assert "hx-trigger" not in html and "See your feed" not in html


def test_interests_are_listed_with_their_evidence_tweets(me, stranger) -> None:
    client, user_id = me
    _other, other_id = stranger
    run_id = _add_run(user_id)
    with session_scope() as db:
        db.add(Tweet(user_id=user_id, tweet_id="111222333", kind="tweet", text=f"Bayesian priors {HOSTILE}"))
        db.add(Tweet(user_id=user_id, tweet_id="111222334", kind="like", text="A liked thread on MCMC"))
        db.add(Tweet(user_id=other_id, tweet_id="999888777", kind="tweet", text="someone else's secret"))
        db.add(Tweet(user_id=user_id, tweet_id="note-1a2b3c", kind="note", text="A pasted note on Gibbs sampling"))
        db.add(
            Interest(
                user_id=user_id,
                run_id=run_id,
                name="Bayesian statistics",
                description="Priors and sampling",
                weight=0.6,
                evidence_tweet_ids=["111222333", "111222334", "999888777", "note-1a2b3c"],
                position=0,
            )
        )
        db.add(
            Interest(
                user_id=user_id, run_id=run_id, name="Sourdough", description="", weight=0.4, evidence_tweet_ids=[]
            )
        )
    html = client.get(f"/runs/{run_id}").text
    assert html.index("Bayesian statistics") < html.index("Sourdough")
    assert "Priors and sampling" in html and "60%" in html
    assert 'href="https://x.com/i/status/111222333"' in html and 'href="https://x.com/i/status/111222334"' in html
    assert "A liked thread on MCMC" in html and "(liked)" in html
    assert "Bayesian priors &lt;script&gt;" in html and HOSTILE not in html
    assert "999888777" not in html and "someone else" not in html
    assert 'A pasted note on Gibbs sampling <span class="hint">(pasted)</span>' in html
    assert "x.com/i/status/note-" not in html


def test_another_users_run_is_not_found_anywhere(me, stranger) -> None:
    client, _user_id = me
    _other, other_id = stranger
    foreign = _add_run(
        other_id, status="running", log=[{"kind": "note", "stage": "x", "item": "", "message": "SECRET"}]
    )
    token = csrf_for(client)
    for method, path in (
        ("GET", f"/runs/{foreign}"),
        ("GET", f"/runs/{foreign}/status"),
        ("POST", f"/runs/{foreign}/cancel"),
        ("GET", f"/api/runs/{foreign}"),
        ("POST", f"/api/runs/{foreign}/cancel"),
        ("GET", "/runs/987654321"),
    ):
        response = client.request(method, path, headers={"x-csrf-token": token})
        assert response.status_code == 404, (method, path)
        assert "SECRET" not in response.text
    with session_scope() as db:
        run = db.get(PipelineRun, foreign)
        assert run is not None and run.status == "running" and not run.cancel_requested


def test_start_returns_the_active_run_instead_of_a_second(me) -> None:
    client, user_id = me
    active = _add_run(user_id, status="running", stage="search")
    response = client.post("/runs", data={"csrf_token": csrf_for(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/runs/{active}"
    api = client.post("/api/runs", headers={"x-csrf-token": csrf_for(client)})
    assert api.status_code == 200 and api.json()["id"] == active
    with session_scope() as db:
        assert db.scalar(select(func.count()).where(PipelineRun.user_id == user_id)) == 1
    page = client.get("/runs").text
    assert f'href="/runs/{active}"' in page and "See the run in progress" in page


def test_start_creates_a_run_and_opens_its_page(me) -> None:
    client, user_id = me
    response = client.post("/runs", data={"csrf_token": csrf_for(client)}, follow_redirects=False)
    assert response.status_code == 303
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    with session_scope() as db:
        run = db.get(PipelineRun, run_id)
        assert run is not None and run.user_id == user_id and run.trigger == "manual"
    assert client.get(response.headers["location"]).status_code == 200
    ended = _wait_until_ended(run_id)  # handed to the executor, which found nothing imported yet
    assert ended.status == "failed" and "import" in (ended.error or "")


def test_cancel_a_queued_run_by_htmx_and_by_form(me) -> None:
    client, user_id = me
    queued = _add_run(user_id, status="queued")
    fragment = client.post(f"/runs/{queued}/cancel", headers={"x-csrf-token": csrf_for(client), "hx-request": "true"})
    assert fragment.status_code == 200 and "Cancelled" in fragment.text and "hx-trigger" not in fragment.text
    with session_scope() as db:
        run = db.get(PipelineRun, queued)
        assert run is not None and run.status == "cancelled"

    running = _add_run(user_id, status="running", stage="clip")
    response = client.post(f"/runs/{running}/cancel", data={"csrf_token": csrf_for(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/runs/{running}"
    page = client.get(f"/runs/{running}").text
    assert "Stopping…" in page  # a running run stops at its next checkpoint
    with session_scope() as db:
        run = db.get(PipelineRun, running)
        assert run is not None and run.cancel_requested and run.status == "running"


def test_api_lists_and_details_my_runs(me, stranger) -> None:
    client, user_id = me
    _other, other_id = stranger
    run_id = _add_run(
        user_id,
        timings={"engagement": 0.1},
        counts={"engagement": {"in": 3, "out": 3, "skipped": 0}},
        log=[{"kind": "skipped", "stage": "screen", "item": "v1", "message": "clickbait"}],
        tokens_in=5,
        cost_usd=0.5,
    )
    _add_run(other_id)
    with session_scope() as db:
        db.add(Tweet(user_id=user_id, tweet_id="5550001", kind="tweet", text="evidence text"))
        db.add(Interest(user_id=user_id, run_id=run_id, name="Topic", weight=1.0, evidence_tweet_ids=["5550001"]))
    listed = client.get("/api/runs")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [run_id]
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["status"] == "succeeded" and detail["tokens_in"] == 5 and detail["cost_usd"] == 0.5
    assert detail["stages"][0] == {
        "name": "engagement",
        "state": "done",
        "seconds": 0.1,
        "counts": {"in": 3, "out": 3, "skipped": 0},
    }
    assert detail["log"] == [{"kind": "skipped", "stage": "screen", "item": "v1", "message": "clickbait"}]
    assert detail["interests"][0]["evidence"] == [
        {"tweet_id": "5550001", "kind": "tweet", "text": "evidence text", "url": "https://x.com/i/status/5550001"}
    ]


def test_api_start_and_cancel(me) -> None:
    client, user_id = me
    queued = _add_run(user_id, status="queued")
    cancelled = client.post(f"/api/runs/{queued}/cancel", headers={"x-csrf-token": csrf_for(client)})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    created = client.post("/api/runs", headers={"x-csrf-token": csrf_for(client)})
    assert created.status_code == 201
    assert created.json()["id"] != queued and created.json()["trigger"] == "manual"
    ended = _wait_until_ended(created.json()["id"])
    assert ended.user_id == user_id and ended.status == "failed"


def test_runs_are_numbered_per_user_and_skipped_videos_go_by_their_title(me, stranger) -> None:
    client, user_id = me
    _other, other_id = stranger
    video_id = f"v{uuid.uuid4().hex[:10]}"
    with session_scope() as db:
        db.add(Video(id=video_id, title="Ten hacks to double your bread", channel="Loud Kitchen"))
    _add_run(other_id)
    _add_run(other_id)
    first = _add_run(user_id, log=[{"kind": "skipped", "stage": "screen", "item": video_id, "message": "clickbait"}])
    second = _add_run(user_id, log=[{"kind": "skipped", "stage": "screen", "item": "unknown0001", "message": "x"}])
    with session_scope() as db:
        numbers = [db.get(PipelineRun, run_id).number for run_id in (first, second)]  # type: ignore[union-attr]
    assert numbers == [1, 2]
    page = client.get(f"/runs/{first}").text
    assert "<h1>Run 1</h1>" in page
    assert "Ten hacks to double your bread</a> — clickbait" in page
    assert f'href="https://www.youtube.com/watch?v={video_id}"' in page
    assert "unknown0001" in client.get(f"/runs/{second}").text  # no stored title: the id it has
    listing = client.get("/runs").text
    assert "Run 1" in listing and "Run 2" in listing and "Run 3" not in listing
    assert [run["number"] for run in client.get("/api/runs").json()] == [2, 1]


def test_runs_inserted_together_count_on_from_each_other(me) -> None:
    _client, user_id = me
    with session_scope() as db:
        db.add_all([PipelineRun(user_id=user_id, status="succeeded") for _ in range(3)])
        db.flush()
        db.add(PipelineRun(user_id=user_id, status="succeeded"))
        db.flush()
        numbers = db.scalars(select(PipelineRun.number).where(PipelineRun.user_id == user_id).order_by(PipelineRun.id))
        assert list(numbers) == [1, 2, 3, 4]
