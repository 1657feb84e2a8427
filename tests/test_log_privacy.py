"""Logs carry ids and counts, never what people wrote or the secrets that guard them.

A whole journey runs with every logger at DEBUG (the most any operator can turn on):
sign-up, a sign-in with a wrong password, an archive import, an API token created and
used, and two pipeline runs with an OpenAI-compatible endpoint configured (a loopback
server that first rejects the key, then fails, so the run falls back to the local
engine). Every secret and every tweet carries a unique marker; neither structlog's
output (stderr) nor any standard-library log record may contain one.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from fastapi.testclient import TestClient

from app.config import get_settings
from app.demo import SAMPLE_CATALOG
from app.main import create_app
from app.security import SESSION_COOKIE
from tests.archive_factory import build_archive, snowflake, tweet_entry
from tests.conftest import csrf_for, reset_caches, unique_email
from tests.fake_openai_server import FakeOpenAI, fixture, run_fake_openai, server_error

# The bundled sample catalog: its sourdough and dovetail talks match the posts below, so a run goes on to pick
# clips and write explanations that cite them.
CATALOG = SAMPLE_CATALOG
MARK = uuid.uuid4().hex[:10]
PASSWORD = f"pw-{MARK}-correct horse"
WRONG_PASSWORD = f"pw-{MARK}-wrong guess"
API_KEY = f"sk-key{MARK}0123456789abcdef"
X_TOKEN = f"xbearer{MARK}"
SECRET_KEY = f"secret{MARK}"
TWEET_MARK = f"tweet{MARK}"
TWEETS = [
    f"How a sourdough starter peaks: the wild yeast and the bacteria race for the flour {TWEET_MARK}",
    f"Hand-cut dovetails: saw on the waste side, then pare to the baseline with a chisel {TWEET_MARK}",
    f"Mushroom foraging at dawn: chanterelles hide under the moss {TWEET_MARK}",
]
TERMINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def model_server() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as fake:
        yield fake


@dataclass
class Journey:
    client: TestClient
    structured_logs: io.StringIO  # what structlog prints, rendered as in production


@pytest.fixture
def configured(model_server: FakeOpenAI) -> Iterator[Journey]:
    """The app with a key, a model endpoint, an X token and a secret key that are all markers."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": model_server.base_url,
            "OPENREC_LLM_MAX_RETRIES": "0",
            "X_BEARER_TOKEN": X_TOKEN,
            "SECRET_KEY": SECRET_KEY,
            "OPENREC_VIDEO_SOURCE": "catalog",
            "OPENREC_CATALOG": str(CATALOG),
            "OPENREC_LOG_LEVEL": "DEBUG",
        }.items():
            patch.setenv(name, value)
        reset_caches()
        app = create_app(get_settings())  # configures logging: the renderer and level the product uses
        printed = io.StringIO()
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=printed))
        try:
            with TestClient(app) as client:
                client.get("/login")
                yield Journey(client, printed)
        finally:
            structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
            reset_caches()


def _post_form(client: TestClient, path: str, **fields: str) -> int:
    response = client.post(path, data={**fields, "csrf_token": csrf_for(client)}, follow_redirects=False)
    return response.status_code


def _run(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    started = client.post("/api/runs", headers=headers)
    assert started.status_code == 201, started.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run: dict[str, object] = client.get(f"/api/runs/{started.json()['id']}", headers=headers).json()
        if run["status"] in TERMINAL:
            return run
        time.sleep(0.1)
    raise AssertionError("the run did not end within a minute")


def test_logs_never_hold_tweets_passwords_tokens_or_keys(
    configured: Journey, model_server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = configured.client
    email = unique_email("private")

    assert _post_form(client, "/signup", email=email, password=PASSWORD) == 303
    session_cookie = client.cookies[SESSION_COOKIE]
    assert _post_form(client, "/logout") == 303
    assert _post_form(client, "/login", email=email, password=WRONG_PASSWORD) == 400
    assert _post_form(client, "/login", email=email, password=PASSWORD) == 303
    csrf = csrf_for(client)
    headers = {"x-csrf-token": csrf}

    now = datetime(2026, 3, 1, tzinfo=UTC)
    archive = build_archive(
        [
            tweet_entry(snowflake(now - timedelta(days=i), i), text, now - timedelta(days=i))
            for i, text in enumerate(TWEETS)
        ]
    )
    imported = client.post("/api/imports/archive", files={"archive": ("mine.zip", archive)}, headers=headers)
    assert imported.status_code == 201, imported.text
    pasted = client.post(
        "/api/imports/paste", json={"text": f"a pasted note about sourdough starters {TWEET_MARK}"}, headers=headers
    )
    assert pasted.status_code == 201

    token = client.post("/api/tokens", json={"name": f"script {MARK}"}, headers=headers).json()["token"]
    assert client.get("/api/me", headers={"authorization": f"Bearer {token}"}).status_code == 200

    model_server.answer(lambda _request: fixture("error_401_invalid_api_key.json", status=401))
    rejected = _run(client, headers)
    model_server.answer(lambda _request: server_error())
    fallen_back = _run(client, headers)
    assert rejected["status"] == "failed" and fallen_back["status"] == "succeeded", (rejected, fallen_back)
    assert model_server.requests, "the runs must have called the model endpoint"
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in model_server.requests)

    logs = configured.structured_logs.getvalue() + caplog.text
    assert "event='request'" in logs or '"event": "request"' in logs, "request logging was not captured"
    secrets = {
        "tweet text": TWEET_MARK,
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "API token": token,
        "API token body": token[len("orc_") :],
        "session cookie": session_cookie,
        "CSRF token": csrf,
        "OpenAI key": API_KEY,
        "X bearer token": X_TOKEN,
        "secret key": SECRET_KEY,
    }
    leaked = {what: secret for what, secret in secrets.items() if secret in logs}
    assert not leaked, f"logs contain {sorted(leaked)}"
    assert MARK not in logs, "some marked value reached the logs"


def test_the_run_record_keeps_no_key_either(configured: Journey, model_server: FakeOpenAI) -> None:
    """What a run stores and shows (its error and log) never holds the key the model rejected."""
    client = configured.client
    assert _post_form(client, "/signup", email=unique_email("private"), password=PASSWORD) == 303
    headers = {"x-csrf-token": csrf_for(client)}
    assert client.post("/api/imports/paste", json={"text": TWEETS[0]}, headers=headers).status_code == 201
    model_server.answer(lambda _request: fixture("error_401_invalid_api_key.json", status=401))
    run = _run(client, headers)
    assert run["status"] == "failed" and run["error"]
    shown = client.get(f"/runs/{run['id']}").text + repr(run)
    assert API_KEY not in shown and MARK not in shown
