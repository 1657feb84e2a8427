"""Killing the server mid-run: on the next start the run resumes where it was and finishes.

A real `openrec serve` runs in embedded mode on its own SQLite file, with a model
endpoint on loopback that holds the first model call until the test has killed the
server (SIGKILL, no chance to clean up). The run it leaves "running" must not stay so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db import make_engine, utcnow
from app.models import PipelineRun, Recommendation, RunStageResult, User
from app.pipeline.executor import RESUMED_NOTE
from tests.conftest import REPO, SHARED
from tests.e2e.conftest import _free_port
from tests.fake_openai_server import ChatRequest, FakeOpenAI, Reply, run_fake_openai, server_error

HEARTBEAT_S = 5
EMAIL = "restart@example.com"


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env, check=True, capture_output=True)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--no-migrate", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(self._healthy, 180, "the server to start")  # a loaded machine starts it slowly
        except AssertionError:
            self.kill()
            raise AssertionError(f"the server did not start: {log.read_text()[-3000:]}") from None

    def _healthy(self) -> bool:
        assert self.process.poll() is None, "the server exited"
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with run_fake_openai() as fake:
        yield fake


def run_of(engine: Engine, run_id: int) -> PipelineRun:
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(PipelineRun, run_id)
        assert run is not None
        return run


def test_a_run_killed_with_its_server_resumes_on_the_next_start(model: FakeOpenAI, tmp_path: Path) -> None:
    tmp = tmp_path
    database_url = f"sqlite:///{tmp / 'db.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENREC_ENV": "test",
        "SECRET_KEY": "restart-test-secret",
        "REDIS_URL": "",
        "OPENAI_API_KEY": "sk-restart-test",
        "OPENAI_BASE_URL": model.base_url,
        "OPENREC_LLM_MAX_RETRIES": "0",
        "OPENREC_RUN_HEARTBEAT_S": str(HEARTBEAT_S),
        "OPENREC_VIDEO_SOURCE": "catalog",
        "OPENREC_CATALOG": str(SHARED / "eval" / "dev" / "catalog.json"),
        "OPENREC_LOG_LEVEL": "WARNING",
    }
    cli(env, "migrate")
    cli(env, "create-user", EMAIL, "--password", "restart-password")
    cli(env, "import-archive", EMAIL, str(SHARED / "eval" / "dev" / "personas" / "lena.zip"))
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.email == EMAIL))
        assert user is not None
        run = PipelineRun(user_id=user.id, trigger="web", status="queued")
        run.created_at = utcnow() - timedelta(seconds=HEARTBEAT_S * 2)  # queued before the server stopped
        session.add(run)
        session.flush()
        run_id = run.id

    held = threading.Event()
    release = threading.Event()

    def hold_first_call(request: ChatRequest) -> Reply:
        if not held.is_set():
            held.set()
            release.wait(60)  # the server is killed while it waits for this answer
        return server_error()

    model.answer(hold_first_call)
    first = Server(env, tmp / "server.log")
    try:
        wait_for(held.is_set, 120, "the queued run to start and call the model")
        interrupted = run_of(engine, run_id)
        assert interrupted.status == "running"
        first.kill()
    finally:
        first.kill()
        release.set()
    assert run_of(engine, run_id).status == "running"  # nothing left alive to finish it

    second = Server(env, tmp / "server.log")
    try:
        wait_for(lambda: run_of(engine, run_id).status not in ("queued", "running"), 180, "the run to finish")
    finally:
        second.kill()

    finished = run_of(engine, run_id)
    assert finished.status == "succeeded", (finished.error, (tmp / "server.log").read_text()[-3000:])
    assert finished.attempts == 2
    assert [e["message"] for e in finished.log if e["kind"] == "note"].count(RESUMED_NOTE) == 1
    with Session(engine) as session:
        stages = session.scalars(select(RunStageResult.stage).where(RunStageResult.run_id == run_id)).all()
        clips = session.scalar(select(func.count()).where(Recommendation.run_id == run_id))
    assert len(stages) == len(set(stages))  # every stage saved once, the first execution's included
    assert clips
    engine.dispose()
