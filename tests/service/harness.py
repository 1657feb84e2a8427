"""Real worker processes, a Redis of our own when a test needs to restart it, and a PostgreSQL schema per test.

Everything a test starts is stopped by the fixture that started it, even when the
test fails: worker process groups are killed, the schema is dropped, and the test's
queue and any message left unacknowledged in Redis are deleted. Every wait has a
deadline and says what it waited for.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import sessionmaker

from app.config import Settings
from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models import PipelineRun, Recommendation, RunStageResult, User
from app.pipeline.dispatch import dispatch_run, queue_client
from app.services.imports import import_archive, import_paste
from app.services.runs import run_create

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CATALOG = SHARED / "eval" / "dev" / "catalog.json"
PERSONAS = SHARED / "eval" / "dev" / "personas"
PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery staple"
REDIS_URL = "redis://127.0.0.1:6379/7"  # the shared Redis; each test has a queue of its own in this database
HEARTBEAT_S = 5
TRANSCRIPT_DELAY_S = 0.75
WORKER_APP = "tests.service.slow_worker:celery_app"
READY_TIMEOUT_S = 45
RUN_TIMEOUT_S = 60


def wait_until(check: Callable[[], Any], *, what: str, timeout: float = RUN_TIMEOUT_S, every: float = 0.1) -> Any:
    """Poll until `check` returns something truthy (and return it); fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def _with_query(url: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as when a machine dies."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class World:
    """One test's PostgreSQL schema and Redis queue, the users and runs in them, and its worker processes."""

    schema: str
    queue: str
    tmp: Path
    redis_url: str = REDIS_URL
    workers: list[Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app_name = f"{self.queue}-worker"
        self.url = _with_query(PG_URL, options=f"-csearch_path%3D{self.schema}")
        self.engine: Engine = make_engine(self.url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    # -- settings and processes ------------------------------------------------------

    def settings(self) -> Settings:
        """What the web app of this world would have: dispatch goes to this world's queue."""
        return Settings(database_url=self.url, redis_url=self.redis_url, openrec_queue=self.queue)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": _with_query(self.url, application_name=self.app_name),
            "REDIS_URL": self.redis_url,
            "OPENREC_QUEUE": self.queue,
            "OPENREC_VIDEO_SOURCE": "catalog",
            "OPENREC_CATALOG": str(CATALOG),
            "OPENREC_RUN_HEARTBEAT_S": str(HEARTBEAT_S),
            "OPENREC_LOG_LEVEL": "INFO",
            "OPENREC_TEST_TRANSCRIPT_DELAY_S": str(TRANSCRIPT_DELAY_S),
            "PYTHONUNBUFFERED": "1",
            # Runs compared across worker processes: the local engine breaks some ties in set order.
            "PYTHONHASHSEED": "0",
        }
        env.update(extra)
        return env

    def start_worker(self, name: str, *, concurrency: int = 1, product: bool = False, **env: str) -> Worker:
        """A real Celery worker (prefork pool) on this world's queue, started and ready.

        By default the test worker app (slow transcripts, crash marker); `product=True`
        starts `openrec worker` itself.
        """
        log_path = self.tmp / f"{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", WORKER_APP, "worker", "--pool=prefork",
            f"--concurrency={concurrency}", f"--hostname={name}-{self.queue}@localhost",
            "--without-mingle", "--without-gossip", "--loglevel=INFO",
        ]  # fmt: skip
        if product:
            command = [sys.executable, "-m", "app.cli", "worker", f"--concurrency={concurrency}", "--loglevel=INFO"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name, process, log_path)
        self.workers.append(worker)
        started = lambda: " ready." in worker.log() or process.poll() is not None  # noqa: E731
        wait_until(started, what=f"worker {name} to start", timeout=READY_TIMEOUT_S)
        assert process.poll() is None, f"worker {name} exited:\n{worker.log()[-3000:]}"
        return worker

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The `openrec` command against this world."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    # -- data ------------------------------------------------------------------------

    def add_user(self, persona: str = "lena", *, note: str = "") -> int:
        """A user with a persona's archive imported (and a pasted note, if given)."""
        from app.services.users import user_create

        with self.sessions.begin() as session:
            user = user_create(session, email=f"{persona}-{uuid.uuid4().hex[:8]}@example.com", password=PASSWORD)
            with (PERSONAS / f"{persona}.zip").open("rb") as handle:
                import_archive(session, user=user, data=handle, filename=f"{persona}.zip")
            if note:
                import_paste(session, user=user, text=note)
            return user.id

    def email(self, user_id: int) -> str:
        with self.sessions() as session:
            user = session.get(User, user_id)
            assert user is not None
            return user.email

    def create_run(self, user_id: int) -> int:
        with self.sessions.begin() as session:
            user = session.get(User, user_id)
            assert user is not None
            run, created = run_create(session, user=user, trigger="manual")
            assert created
            session.flush()
            return run.id

    def start_run(self, user_id: int) -> int:
        """Create a run, commit, dispatch it to the queue: what the web app does."""
        run_id = self.create_run(user_id)
        assert dispatch_run(run_id, self.settings())
        return run_id

    def send(self, task: str, *args: Any) -> None:
        queue_client(self.settings()).send_task(task, args=list(args))

    def run(self, run_id: int) -> PipelineRun:
        with self.sessions() as session:
            run = session.get(PipelineRun, run_id)
            assert run is not None
            return run

    def wait_run(self, run_id: int, check: Callable[[PipelineRun], bool], what: str) -> PipelineRun:
        def ready() -> PipelineRun | None:
            run = self.run(run_id)
            return run if check(run) else None

        run: PipelineRun = wait_until(ready, what=f"run {run_id} {what}")
        return run

    def wait_ended(self, run_id: int) -> PipelineRun:
        return self.wait_run(run_id, lambda r: r.status in ("succeeded", "failed", "cancelled"), "to end")

    def recommendations(self, run_id: int) -> list[tuple[Any, ...]]:
        """The run's feed, without ids, users or times: what two equal runs have in common."""
        with self.sessions() as session:
            rows = session.scalars(
                select(Recommendation).where(Recommendation.run_id == run_id).order_by(Recommendation.position)
            )
            return [
                (r.position, r.video_id, r.start_s, r.end_s, r.interest, r.quote, r.explanation, r.tweet_ids, r.score)
                for r in rows
            ]

    def stage_results(self, run_id: int) -> list[str]:
        with self.sessions() as session:
            return list(session.scalars(select(RunStageResult.stage).where(RunStageResult.run_id == run_id)))


@contextmanager
def world(tmp: Path) -> Iterator[World]:
    """A migrated schema of its own, a queue of its own; all of it removed afterwards."""
    token = uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    broker = redis.Redis.from_url(REDIS_URL)
    broker.ping()  # Redis must be there: this fails the test, it does not skip it
    w = World(schema=f"openrec_svc_{token}", queue=f"openrec-test-{token}", tmp=tmp)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{w.schema}"'))
        with w.engine.begin() as conn:
            upgrade_to_head(conn)
        yield w
    finally:
        for worker in w.workers:
            worker.kill()
        w.engine.dispose()
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :app"),
                {"app": w.app_name},
            )
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{w.schema}" CASCADE'))
        admin.dispose()
        forget_queue(broker, w.queue)
        broker.close()


def forget_queue(broker: redis.Redis, queue: str) -> None:
    """Delete a test queue's keys and its unacknowledged messages (a killed worker leaves its message there)."""
    for key in broker.scan_iter(match=f"*{queue}*"):
        broker.delete(key)
    for tag, payload in broker.hgetall("unacked").items():
        try:
            _message, exchange, routing_key = json.loads(payload)
        except (ValueError, TypeError):
            continue
        if queue in (exchange, routing_key):
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)
    for key in ("_kombu.binding.celery.pidbox", "_kombu.binding.celeryev"):
        for member in broker.smembers(key):
            if queue.encode() in member:
                broker.srem(key, member)


@dataclass
class RedisServer:
    """A redis-server of our own, so a test may kill and restart it without touching the shared one."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), what=f"redis-server on port {self.port}", timeout=15)
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
