"""Embedded mode: runs a stopped server left queued or running are handed back to the executor on start."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import utcnow
from app.models import PipelineRun, User
from app.pipeline.executor import RESUMED_NOTE, RunExecutor, recover_abandoned_runs
from app.services.run_leases import exhausted_reason
from app.services.runs import run_create

HEARTBEAT_S = 60
SETTINGS = Settings(_env_file=None, openrec_run_heartbeat_s=HEARTBEAT_S, openrec_run_max_attempts=3)


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


class Recorded:
    """An executor that records what it is given instead of executing it."""

    def __init__(self) -> None:
        self.executed: list[int] = []
        self.executor = RunExecutor(max_workers=1, execute=self.executed.append)

    def finish(self) -> list[int]:
        self.executor.shutdown(wait=True)
        return self.executed


def a_run(session: Session, user: User, *, status: str, idle_s: float, attempts: int, stage: str | None) -> PipelineRun:
    run, created = run_create(session, user=user, trigger="web")
    assert created
    run.status = status
    run.attempts = attempts
    run.stage = stage
    run.created_at = utcnow() - timedelta(seconds=idle_s)
    run.heartbeat_at = None if status == "queued" else utcnow() - timedelta(seconds=idle_s)
    session.flush()
    return run


def notes(run: PipelineRun) -> list[str]:
    return [entry["message"] for entry in run.log if entry["kind"] == "note"]


def test_a_run_left_running_resumes_with_a_note_and_a_queued_one_starts(
    session: Session, sessions: sessionmaker[Session], make_user: Callable[..., Any]
) -> None:
    running = a_run(session, make_user(), status="running", idle_s=HEARTBEAT_S + 5, attempts=1, stage="screen")
    queued = a_run(session, make_user(), status="queued", idle_s=HEARTBEAT_S + 5, attempts=0, stage=None)
    recorded = Recorded()
    mine = {running.id, queued.id}

    assert mine <= set(recover_abandoned_runs(SETTINGS, executor=recorded.executor, sessions=sessions))

    executed = [run_id for run_id in recorded.finish() if run_id in mine]  # other tests' runs may be stale too
    assert sorted(executed) == sorted(mine)
    session.expire_all()
    assert (running.status, queued.status) == ("queued", "queued")
    assert notes(running) == [RESUMED_NOTE]
    assert notes(queued) == []  # it never started: nothing was interrupted


def test_a_run_with_a_fresh_heartbeat_or_held_here_is_left_alone(
    session: Session, sessions: sessionmaker[Session], make_user: Callable[..., Any]
) -> None:
    alive = a_run(session, make_user(), status="running", idle_s=1, attempts=1, stage="clip")
    waiting = a_run(session, make_user(), status="queued", idle_s=HEARTBEAT_S + 5, attempts=0, stage=None)
    release = threading.Event()
    executed: list[int] = []

    def busy(run_id: int) -> None:
        executed.append(run_id)
        release.wait(10)

    executor = RunExecutor(max_workers=1, execute=busy)
    executor.submit(waiting.id)  # this very executor has it: queued, but not abandoned
    try:
        recovered = recover_abandoned_runs(SETTINGS, executor=executor, sessions=sessions)
        assert alive.id not in recovered and waiting.id not in recovered
    finally:
        release.set()
        executor.shutdown(wait=True)

    assert executed.count(waiting.id) == 1  # once, not twice
    session.expire_all()
    assert alive.status == "running"


def test_a_run_interrupted_too_often_is_failed_with_the_reason(
    session: Session, sessions: sessionmaker[Session], make_user: Callable[..., Any]
) -> None:
    run = a_run(session, make_user(), status="running", idle_s=HEARTBEAT_S + 5, attempts=3, stage="clip")
    recorded = Recorded()

    assert run.id not in recover_abandoned_runs(SETTINGS, executor=recorded.executor, sessions=sessions)

    assert run.id not in recorded.finish()
    session.expire_all()
    assert run.status == "failed"
    assert run.error == exhausted_reason(3)
