"""Which delivery executes a run: the claim, the heartbeat, and the stale-run reaper (no worker needed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import PipelineRun, User
from app.services.run_leases import run_claim, run_heartbeat, runs_reap_stale
from app.services.runs import run_create, run_finish

HEARTBEAT = timedelta(seconds=120)
MAX_ATTEMPTS = 3


def new_run(session: Session, user: User) -> PipelineRun:
    run, created = run_create(session, user=user)
    assert created
    session.flush()
    return run


def claim(session: Session, run: PipelineRun, *, now: datetime | None = None, lease: int | None = None) -> str:
    outcome, _ = run_claim(
        session,
        run_id=run.id,
        stale_before=(now or utcnow()) - HEARTBEAT,
        max_attempts=MAX_ATTEMPTS,
        lease=lease,
    )
    session.refresh(run)
    return outcome


def executing(session: Session, run: PipelineRun, *, attempts: int, heartbeat_age: timedelta) -> None:
    """The run as an execution leaves it: running, its attempt counted, its heartbeat this old."""
    run.status = "running"
    run.attempts = attempts
    run.heartbeat_at = utcnow() - heartbeat_age
    session.flush()


def test_a_queued_run_is_claimed_once(session: Session, user: User) -> None:
    run = new_run(session, user)
    assert claim(session, run) == "claimed"
    assert run.status == "running"
    assert run.heartbeat_at is not None and utcnow() - run.heartbeat_at < timedelta(seconds=5)
    assert run.attempts == 0, "the runner counts the attempt when it starts executing"
    assert claim(session, run) == "busy"


def test_a_run_whose_holder_went_silent_is_claimed_again(session: Session, user: User) -> None:
    run = new_run(session, user)
    executing(session, run, attempts=1, heartbeat_age=HEARTBEAT - timedelta(seconds=5))
    assert claim(session, run) == "busy"
    executing(session, run, attempts=1, heartbeat_age=HEARTBEAT + timedelta(seconds=5))
    assert claim(session, run) == "claimed"
    assert claim(session, run) == "busy"


@pytest.mark.parametrize(("held", "lease", "outcome"), [(1, 0, "claimed"), (0, 0, "claimed"), (2, 0, "busy")])
def test_a_retry_takes_back_the_attempt_it_held_and_no_other(
    session: Session, user: User, held: int, lease: int, outcome: str
) -> None:
    """A retry carries the attempts its try found; that try counted itself (held = lease + 1) or died first."""
    run = new_run(session, user)
    executing(session, run, attempts=held, heartbeat_age=timedelta(seconds=1))
    assert claim(session, run, lease=lease) == outcome


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_a_late_delivery_of_an_ended_run_does_nothing(session: Session, user: User, status: str) -> None:
    run = new_run(session, user)
    run_finish(session, run=run, status=status)  # type: ignore[arg-type]
    assert claim(session, run, lease=0) == "ended"
    assert run.status == status


def test_a_delivery_of_a_deleted_run_does_nothing(session: Session) -> None:
    outcome, _ = run_claim(session, run_id=987_654, stale_before=utcnow(), max_attempts=MAX_ATTEMPTS)
    assert outcome == "ended"


def test_a_run_out_of_attempts_is_failed_with_a_reason_instead_of_started(session: Session, user: User) -> None:
    run = new_run(session, user)
    executing(session, run, attempts=MAX_ATTEMPTS, heartbeat_age=HEARTBEAT * 2)
    assert claim(session, run) == "exhausted"
    assert run.status == "failed"
    assert run.error is not None and f"after {MAX_ATTEMPTS} attempts" in run.error
    assert run.finished_at is not None


def test_the_heartbeat_refreshes_a_running_run_only(session: Session, user: User) -> None:
    run = new_run(session, user)
    assert not run_heartbeat(session, run_id=run.id), "a queued run has no holder yet"
    executing(session, run, attempts=1, heartbeat_age=timedelta(minutes=10))
    assert run_heartbeat(session, run_id=run.id)
    session.refresh(run)
    assert run.heartbeat_at is not None and utcnow() - run.heartbeat_at < timedelta(seconds=5)
    run_finish(session, run=run, status="succeeded")
    assert not run_heartbeat(session, run_id=run.id)


def reap(session: Session, *runs: PipelineRun, now: datetime | None = None) -> list[int]:
    """The reaper's pass; of the runs it sends again, those among `runs` (other tests may leave runs behind)."""
    sent = runs_reap_stale(session, stale_before=(now or utcnow()) - HEARTBEAT, max_attempts=MAX_ATTEMPTS)
    return sorted(set(sent) & {run.id for run in runs})


def test_the_reaper_requeues_silent_runs_and_fails_exhausted_ones(
    session: Session, make_user: Callable[..., User]
) -> None:
    alive, vanished, exhausted, lost_message, ended = (new_run(session, make_user()) for _ in range(5))
    executing(session, alive, attempts=1, heartbeat_age=timedelta(seconds=10))
    executing(session, vanished, attempts=1, heartbeat_age=HEARTBEAT * 2)
    executing(session, exhausted, attempts=MAX_ATTEMPTS, heartbeat_age=HEARTBEAT * 2)
    lost_message.created_at = utcnow() - HEARTBEAT * 2  # queued long ago, never picked up
    run_finish(session, run=ended, status="succeeded")
    ended.heartbeat_at = utcnow() - HEARTBEAT * 10
    session.flush()

    assert reap(session, alive, vanished, exhausted, lost_message, ended) == sorted([vanished.id, lost_message.id])
    for run in (alive, vanished, exhausted, lost_message, ended):
        session.refresh(run)
    assert alive.status == "running"
    assert vanished.status == lost_message.status == "queued", "queued again, so the next delivery may claim it"
    assert exhausted.status == "failed"
    assert exhausted.error is not None and "given up after 3 attempts" in exhausted.error
    assert ended.status == "succeeded"
    assert claim(session, vanished) == "claimed"


def test_a_requeued_run_is_sent_again_only_after_another_heartbeat_period(session: Session, user: User) -> None:
    run = new_run(session, user)
    run.created_at = utcnow() - HEARTBEAT * 2
    session.flush()
    assert reap(session, run) == [run.id]
    assert reap(session, run) == []
    assert reap(session, run, now=utcnow() + HEARTBEAT + timedelta(seconds=1)) == [run.id]
