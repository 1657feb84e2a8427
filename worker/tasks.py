"""Thin tasks: take ids, claim or query state in short transactions, call app.pipeline.runner.

`openrec.run_pipeline` claims the run before anything else (app.services.run_leases),
so a duplicate delivery of a run that a live worker holds does nothing; while it
executes, a heartbeat thread keeps the run's lease fresh, whatever the stage is
doing. A transient error (the database or broker went away) retries the task with
exponential backoff and full jitter, carrying the attempt it claimed so that the
retry may take the run back at once; any other unexpected error fails the run with
its reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import structlog
from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.exc import DBAPIError

from app.config import Settings, get_settings
from app.db import session_scope, utcnow
from app.pipeline.dispatch import REAP_TASK, RUN_TASK, SCHEDULE_TASK, dispatch_run
from app.pipeline.runner import execute_run, fail_run
from app.services.run_leases import run_claim, run_heartbeat, runs_reap_stale
from app.services.schedule import refresh_start_due
from worker.celery_app import RETRY_BACKOFF_MAX_S, RETRY_BACKOFF_S, RETRY_MAX, celery_app, is_transient

HEARTBEATS_PER_PERIOD = 4  # a live run refreshes its heartbeat this many times per staleness period

log = structlog.get_logger("openrec.worker")


@celery_app.task(name=RUN_TASK, bind=True, max_retries=RETRY_MAX)
def run_pipeline(self: Task, run_id: int, lease: int | None = None) -> str:
    """Execute (or resume) one run; returns what this delivery did: executed, busy, ended or exhausted."""
    settings = get_settings()
    claimed = False
    try:
        with session_scope() as session:
            outcome, attempts = run_claim(
                session,
                run_id=run_id,
                stale_before=utcnow() - timedelta(seconds=settings.openrec_run_heartbeat_s),
                max_attempts=settings.openrec_run_max_attempts,
                lease=lease,
            )
        if outcome != "claimed":
            log.info("run_not_claimed", run_id=run_id, outcome=outcome, attempts=attempts)
            return outcome
        claimed, lease = True, attempts
        with _heartbeat(run_id, settings):
            execute_run(run_id, settings=settings)
    except Exception as exc:
        if is_transient(exc):
            countdown = get_exponential_backoff_interval(
                RETRY_BACKOFF_S, self.request.retries, RETRY_BACKOFF_MAX_S, full_jitter=True
            )
            log.warning(
                "run_retry", run_id=run_id, retries=self.request.retries, countdown=countdown, error=_reason(exc)
            )
            raise self.retry(exc=exc, countdown=countdown, kwargs={"run_id": run_id, "lease": lease}) from exc
        if claimed:
            fail_run(run_id, f"The run stopped on an unexpected error: {_reason(exc)}")
        raise
    return "executed"


@celery_app.task(name=REAP_TASK)
def reap_stale_runs() -> int:
    """Send again the runs whose worker vanished or whose message was lost; fail those out of attempts."""
    settings = get_settings()
    with session_scope() as session:
        requeued = runs_reap_stale(
            session,
            stale_before=utcnow() - timedelta(seconds=settings.openrec_run_heartbeat_s),
            max_attempts=settings.openrec_run_max_attempts,
        )
    for run_id in requeued:
        dispatch_run(run_id, settings)
    if requeued:
        log.info("stale_runs_requeued", run_ids=requeued)
    return len(requeued)


@celery_app.task(name=SCHEDULE_TASK)
def schedule_refresh() -> int:
    """Start the scheduled refreshes that are due (daily or weekly, at each user's hour)."""
    settings = get_settings()
    with session_scope() as session:
        started = refresh_start_due(session, now=utcnow())
    for run_id in started:
        dispatch_run(run_id, settings)
    if started:
        log.info("scheduled_runs_started", run_ids=started)
    return len(started)


@contextmanager
def _heartbeat(run_id: int, settings: Settings) -> Iterator[None]:
    """Keep the run's heartbeat fresh from a thread while the body runs (a stage may take long between progress)."""
    stop = threading.Event()
    interval = settings.openrec_run_heartbeat_s / HEARTBEATS_PER_PERIOD

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with session_scope() as session:
                    if not run_heartbeat(session, run_id=run_id):
                        return
            except Exception as exc:  # the next beat tries again; the run itself reports real failures
                log.warning("run_heartbeat_failed", run_id=run_id, error=_reason(exc))

    thread = threading.Thread(target=beat, name=f"run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval)  # a beat stuck on the database must not hold the task's end


def _reason(exc: BaseException) -> str:
    """An error in one line, without the SQL statement and parameters (they may hold a user's text)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line}"
