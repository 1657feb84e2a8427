"""The embedded executor: runs pipeline runs on background threads of the web process (no Redis).

It calls the same `execute_run` the worker task calls. A run whose execution dies
with an unexpected error (a database outage, a bug) is marked failed with the reason,
since no queue will deliver it again.

Nothing outside this process remembers what it was executing, so a run left queued
or running when the server stopped would wait forever. `openrec serve` therefore
starts a recovery loop: at start and then periodically, runs with no sign of life for
OPENREC_RUN_HEARTBEAT_S are handed back to this executor, where they resume after
their last finished stage; a run that has used its OPENREC_RUN_MAX_ATTEMPTS is failed
with the reason instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import get_sessionmaker, utcnow
from app.models import PipelineRun
from app.pipeline.runner import execute_run, fail_run
from app.services.run_leases import runs_reap_stale
from app.services.runs import LogEntry, run_progress

MAX_CONCURRENT_RUNS = 2
RESUMED_NOTE = "The server stopped while this run was in progress; it resumed after the restart from where it was."
log = structlog.get_logger("openrec.runs")


class RunExecutor:
    def __init__(
        self,
        *,
        max_workers: int = MAX_CONCURRENT_RUNS,
        execute: Callable[[int], None] = execute_run,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="openrec-run")
        self._execute = execute
        self._sessions = sessions
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, run_id: int) -> Future[None]:
        """Queue a run (already committed as queued) for execution."""
        with self._lock:
            self._held.add(run_id)
        return self._pool.submit(self._guarded, run_id)

    def holds(self, run_id: int) -> bool:
        """Whether this executor has the run, waiting or executing (so it is not taken for abandoned)."""
        with self._lock:
            return run_id in self._held

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def _guarded(self, run_id: int) -> None:
        try:
            self._execute(run_id)
        except Exception as exc:
            log.exception("run_execution_failed", run_id=run_id)
            fail_run(run_id, f"The run stopped unexpectedly: {type(exc).__name__}: {exc}", sessions=self._sessions)
        finally:
            with self._lock:
                self._held.discard(run_id)


_default: RunExecutor | None = None
_default_lock = threading.Lock()


def default_executor() -> RunExecutor:
    """This process's executor, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RunExecutor()
        return _default


def submit_run(run_id: int) -> Future[None]:
    """Execute a run in the background of this process (the embedded mode's queue)."""
    return default_executor().submit(run_id)


def recover_abandoned_runs(
    settings: Settings, *, executor: RunExecutor | None = None, sessions: sessionmaker[Session] | None = None
) -> list[int]:
    """Hand runs left without an execution back to the executor; returns their ids.

    A run counts as abandoned when its heartbeat (or, never started, its creation) is
    older than OPENREC_RUN_HEARTBEAT_S and this executor does not hold it: it was
    queued or running in a server that stopped. One at its attempt limit is failed.
    """
    executor = executor or default_executor()
    stale_before = utcnow() - timedelta(seconds=settings.openrec_run_heartbeat_s)
    with (sessions or get_sessionmaker()).begin() as session:
        requeued = runs_reap_stale(session, stale_before=stale_before, max_attempts=settings.openrec_run_max_attempts)
        abandoned = [run_id for run_id in requeued if not executor.holds(run_id)]
        for run_id in abandoned:
            run = session.get(PipelineRun, run_id)
            if run is not None and run.attempts > 0:
                # No stage: the interrupted stage starts over, and its log lines with it.
                note: LogEntry = {"kind": "note", "stage": "", "item": "", "message": RESUMED_NOTE}
                run_progress(session, run=run, done=run.progress_done, total=run.progress_total, log=[note])
    for run_id in abandoned:
        log.info("run_recovered", run_id=run_id)
        executor.submit(run_id)
    return abandoned


class RunRecovery:
    """Runs `recover_abandoned_runs` at start and then every half heartbeat period, on a daemon thread."""

    def __init__(self, settings: Settings, *, executor: RunExecutor | None = None) -> None:
        self._settings = settings
        self._executor = executor
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="openrec-run-recovery", daemon=True)

    def start(self) -> RunRecovery:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        interval_s = self._settings.openrec_run_heartbeat_s / 2
        while True:
            try:
                recover_abandoned_runs(self._settings, executor=self._executor)
            except SQLAlchemyError:
                log.warning("run_recovery_failed", exc_info=True)
            if self._stop.wait(interval_s):
                return
