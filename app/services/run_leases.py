"""Which execution holds a run in service mode: claim on delivery, heartbeat while running, reap when gone.

A queue may deliver a run more than once (a redelivery after a lost worker, a
message sent twice, a retry). An execution holds a run while the run's heartbeat is
fresh; a delivery may take the run only when it is queued, when nobody holds it (its
heartbeat is stale or was never written), or when it retries the attempt it held
itself. The claim is one conditional UPDATE, so two deliveries racing for the same
run end with one holder; the unique constraints on stage results and
recommendations remain the last line.

`attempts` counts executions started (`execute_run` adds one as it begins), so a
claim that finds the run at its limit fails it instead of starting again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ACTIVE_RUN_STATUSES, PipelineRun
from app.services.runs import run_finish

Claim = Literal["claimed", "busy", "ended", "exhausted"]


def exhausted_reason(attempts: int) -> str:
    return (
        f"The run was given up after {attempts} attempts: each time, its worker stopped before the run finished "
        "(the process was killed, lost its database connection or exceeded the time limit). Start a new run."
    )


def run_claim(
    session: Session, *, run_id: int, stale_before: datetime, max_attempts: int, lease: int | None = None
) -> tuple[Claim, int]:
    """Take a delivered run for this execution; returns the outcome and the run's attempts before this one.

    `lease` is the attempts value a retry's earlier try claimed: that try may have
    counted its execution (`lease + 1`) or died before it did (`lease`).
    """
    claimable: ColumnElement[bool] = or_(
        PipelineRun.status == "queued",
        PipelineRun.heartbeat_at.is_(None),
        PipelineRun.heartbeat_at < stale_before,
    )
    if lease is not None:
        claimable = or_(claimable, PipelineRun.attempts.in_((lease, lease + 1)))
    attempts = session.scalar(
        update(PipelineRun)
        .where(PipelineRun.id == run_id, PipelineRun.status.in_(ACTIVE_RUN_STATUSES), claimable)
        .values(status="running", heartbeat_at=utcnow())
        .returning(PipelineRun.attempts),
        execution_options={"synchronize_session": False},
    )
    if attempts is None:
        run = session.get(PipelineRun, run_id)
        ended = run is None or run.status not in ACTIVE_RUN_STATUSES
        return ("ended" if ended else "busy"), (run.attempts if run is not None else 0)
    if attempts >= max_attempts:
        run = session.get(PipelineRun, run_id, populate_existing=True)
        assert run is not None
        run_finish(session, run=run, status="failed", error=exhausted_reason(attempts))
        return "exhausted", attempts
    return "claimed", attempts


def run_heartbeat(session: Session, *, run_id: int) -> bool:
    """Say the execution holding a run is alive; False once the run has ended."""
    result = session.execute(
        update(PipelineRun)
        .where(PipelineRun.id == run_id, PipelineRun.status == "running")
        .values(heartbeat_at=utcnow())
        .returning(PipelineRun.id),
        execution_options={"synchronize_session": False},
    )
    return result.first() is not None


def runs_reap_stale(session: Session, *, stale_before: datetime, max_attempts: int) -> list[int]:
    """Fail stale runs that used up their attempts and hand the others back to the queue; returns the ids to send.

    A stale run is active with no sign of life since `stale_before`: its worker
    vanished, or its message was lost with the broker's data. It goes back to
    `queued` with a fresh heartbeat, so it is sent again at most once per heartbeat
    period while it waits.
    """
    last_seen = func.coalesce(PipelineRun.heartbeat_at, PipelineRun.created_at)
    stale = list(
        session.scalars(
            select(PipelineRun)
            .where(and_(PipelineRun.status.in_(ACTIVE_RUN_STATUSES), last_seen < stale_before))
            .order_by(PipelineRun.id)
            .with_for_update(skip_locked=True)
        )
    )
    requeued = []
    now = utcnow()
    for run in stale:
        if run.attempts >= max_attempts:
            run_finish(session, run=run, status="failed", error=exhausted_reason(run.attempts))
        else:
            run.status = "queued"
            run.heartbeat_at = now
            requeued.append(run.id)
    session.flush()
    return requeued
