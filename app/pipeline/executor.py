"""The embedded executor: runs pipeline runs on background threads of the web process (no Redis).

It calls the same `execute_run` the worker task calls. A run whose execution dies
with an unexpected error (a database outage, a bug) is marked failed with the reason,
since no queue will deliver it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import structlog
from sqlalchemy.orm import Session, sessionmaker

from app.pipeline.runner import execute_run, fail_run

MAX_CONCURRENT_RUNS = 2
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

    def submit(self, run_id: int) -> Future[None]:
        """Queue a run (already committed as queued) for execution."""
        return self._pool.submit(self._guarded, run_id)

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def _guarded(self, run_id: int) -> None:
        try:
            self._execute(run_id)
        except Exception as exc:
            log.exception("run_execution_failed", run_id=run_id)
            fail_run(run_id, f"The run stopped unexpectedly: {type(exc).__name__}: {exc}", sessions=self._sessions)


_default: RunExecutor | None = None
_default_lock = threading.Lock()


def submit_run(run_id: int) -> Future[None]:
    """Execute a run in the background of this process (the embedded mode's queue)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = RunExecutor()
    return _default.submit(run_id)
