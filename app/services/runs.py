"""Pipeline runs: start (one active run per user), progress, stage results, LLM usage, cancel.

The runner calls these in short transactions of its own; the web app and the CLI
call `run_create`, `run_cancel` and the readers. The database enforces one active
run per user (the partial unique index `uq_pipeline_runs_active_user`), so two
concurrent starts end with one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.llm.base import CallRecord
from app.models import ACTIVE_RUN_STATUSES, LLMCall, PipelineRun, RunStageResult, Tweet, User
from app.schemas import STAGES

TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
# Outcomes of LLMCall rows that were real requests to the model (see app/llm/base.py).
MODEL_OUTCOMES = ("ok", "invalid", "error")
RunEnd = Literal["succeeded", "failed", "cancelled"]
MAX_LOG_ENTRIES = 1000


class LogEntry(TypedDict):
    """One line of a run's log: a skipped item and why, or a note about the run."""

    kind: Literal["skipped", "note"]
    stage: str
    item: str
    message: str


@dataclass(frozen=True)
class StoredTweet:
    """A user's tweet as the engagement stage reads it (detached from the session)."""

    tweet_id: str
    kind: str
    text: str
    created_at: datetime | None
    url: str | None


def run_active(session: Session, *, user_id: int) -> PipelineRun | None:
    return session.scalar(
        select(PipelineRun).where(PipelineRun.user_id == user_id, PipelineRun.status.in_(ACTIVE_RUN_STATUSES))
    )


def run_create(session: Session, *, user: User, trigger: str = "manual") -> tuple[PipelineRun, bool]:
    """A new queued run, or the user's active run when there is one; the flag says whether it is new."""
    active = run_active(session, user_id=user.id)
    if active is not None:
        return active, False
    run = PipelineRun(user_id=user.id, status="queued", trigger=trigger)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:  # a concurrent start won
        active = run_active(session, user_id=user.id)
        if active is None:
            raise
        return active, False
    return run, True


def run_get(session: Session, *, user: User, run_id: int) -> PipelineRun | None:
    """One of the user's runs (None for another user's)."""
    run = session.get(PipelineRun, run_id)
    return run if run is not None and run.user_id == user.id else None


def runs_list(session: Session, *, user: User, limit: int = 20) -> list[PipelineRun]:
    """The user's runs, newest first."""
    return list(
        session.scalars(
            select(PipelineRun)
            .where(PipelineRun.user_id == user.id)
            .order_by(PipelineRun.created_at.desc(), PipelineRun.id.desc())
            .limit(limit)
        )
    )


def run_cancel(session: Session, *, user: User, run_id: int) -> PipelineRun | None:
    """Ask a run to stop; a run still queued stops at once, a running one at its next checkpoint."""
    run = run_get(session, user=user, run_id=run_id)
    if run is None or run.status in TERMINAL_STATUSES:
        return run
    run.cancel_requested = True
    if run.status == "queued":
        _finish(run, "cancelled", None)
    session.flush()
    return run


def run_is_stale(run: PipelineRun, *, heartbeat_s: int, now: datetime | None = None) -> bool:
    """An active run nobody has touched for `heartbeat_s` (its worker or process is gone)."""
    if run.status not in ACTIVE_RUN_STATUSES:
        return False
    last = run.heartbeat_at or run.created_at
    return last < (now or utcnow()) - timedelta(seconds=heartbeat_s)


def run_mark_running(session: Session, *, run_id: int) -> PipelineRun | None:
    """Take a delivered run: None when it no longer exists or has already ended (a late redelivery)."""
    run = session.get(PipelineRun, run_id, with_for_update=True)
    if run is None or run.status in TERMINAL_STATUSES:
        return None
    now = utcnow()
    run.status = "running"
    run.attempts += 1
    run.started_at = run.started_at or now
    run.heartbeat_at = now
    run.error = None
    session.flush()
    return run


def run_heartbeat(session: Session, *, run_id: int) -> None:
    """Show that a running run's execution is alive."""
    session.execute(
        update(PipelineRun)
        .where(PipelineRun.id == run_id, PipelineRun.status == "running")
        .values(heartbeat_at=utcnow())
    )


def run_tweets(session: Session, *, user_id: int) -> list[StoredTweet]:
    rows = session.execute(
        select(Tweet.tweet_id, Tweet.kind, Tweet.text, Tweet.created_at, Tweet.url).where(Tweet.user_id == user_id)
    ).all()
    return [StoredTweet(*row) for row in rows]


def run_stage_begin(session: Session, *, run: PipelineRun, stage: str) -> None:
    """Enter a stage; log lines of an earlier, interrupted attempt at it are dropped."""
    run.stage = stage
    run.progress_done = 0
    run.progress_total = 0
    run.heartbeat_at = utcnow()
    run.log = [entry for entry in run.log if entry.get("stage") != stage]
    session.flush()


def run_progress(session: Session, *, run: PipelineRun, done: int, total: int, log: Sequence[LogEntry] = ()) -> None:
    """Record progress within the current stage (and the heartbeat), plus any new log lines."""
    run.progress_done = done
    run.progress_total = total
    run.heartbeat_at = utcnow()
    if log:
        run.log = [*run.log, *(dict(entry) for entry in log)][-MAX_LOG_ENTRIES:]
    session.flush()


def run_stage_done(
    session: Session, *, run: PipelineRun, stage: str, payload: Any, seconds: float, counts: dict[str, int]
) -> None:
    """Save a finished stage's output so a redelivered run resumes after it, with its time and counts."""
    session.add(RunStageResult(run_id=run.id, stage=stage, payload=payload))
    run.timings = {**run.timings, stage: round(seconds, 3)}
    run.counts = {**run.counts, stage: counts}
    run.heartbeat_at = utcnow()
    session.flush()


def run_stage_replace(session: Session, *, run: PipelineRun, stage: str, payload: Any) -> None:
    """Replace a finished stage's saved output (a later stage refined it), so a resumed run sees the same."""
    session.execute(
        update(RunStageResult)
        .where(RunStageResult.run_id == run.id, RunStageResult.stage == stage)
        .values(payload=payload)
    )


def run_stage_results(session: Session, *, run_id: int) -> dict[str, Any]:
    """The saved output of each finished stage of a run, by stage."""
    rows = session.execute(
        select(RunStageResult.stage, RunStageResult.payload).where(RunStageResult.run_id == run_id)
    ).all()
    return dict(rows)


def run_record_calls(session: Session, *, run: PipelineRun, records: Iterable[CallRecord]) -> None:
    """Store each model call of the run and add its tokens and cost to the run's totals."""
    for record in records:
        session.add(
            LLMCall(
                user_id=run.user_id,
                run_id=run.id,
                stage=record.stage,
                model=record.model,
                prompt_version=record.prompt_version,
                tokens_in=record.tokens_in,
                tokens_out=record.tokens_out,
                tokens_cached=record.tokens_cached,
                latency_ms=record.latency_ms,
                cost_usd=record.cost_usd,
                outcome=record.outcome,
                error=record.error,
            )
        )
        run.tokens_in += record.tokens_in
        run.tokens_out += record.tokens_out
        run.cost_usd += record.cost_usd
    session.flush()


def run_finish(
    session: Session,
    *,
    run: PipelineRun,
    status: RunEnd,
    error: str | None = None,
    notes: Sequence[LogEntry] = (),
) -> None:
    if notes:
        run.log = [*run.log, *(dict(entry) for entry in notes)][-MAX_LOG_ENTRIES:]
    _finish(run, status, error)
    session.flush()


def _finish(run: PipelineRun, status: str, error: str | None) -> None:
    run.status = status
    run.error = error
    run.finished_at = utcnow()
    run.heartbeat_at = run.finished_at


def run_llm_usage(session: Session, *, run_id: int) -> dict[str, dict[str, float]]:
    """Model calls of a run per LLM stage: calls, tokens in and out, cost.

    Cache hits, local decisions and budget refusals are recorded too, but only requests
    that reached the model count as calls.
    """
    rows = session.execute(
        select(
            LLMCall.stage,
            func.sum(case((LLMCall.outcome.in_(MODEL_OUTCOMES), 1), else_=0)),
            func.sum(LLMCall.tokens_in),
            func.sum(LLMCall.tokens_out),
            func.sum(LLMCall.cost_usd),
        )
        .where(LLMCall.run_id == run_id)
        .group_by(LLMCall.stage)
    ).all()
    return {
        stage: {
            "calls": int(calls or 0),
            "tokens_in": int(t_in or 0),
            "tokens_out": int(t_out or 0),
            "cost_usd": float(cost or 0),
        }
        for stage, calls, t_in, t_out, cost in rows
    }


def _in_stage_order(per_stage: dict[str, Any]) -> dict[str, Any]:
    """A per-stage dict in pipeline order (JSONB keeps keys in an order of its own)."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    return dict(sorted(per_stage.items(), key=lambda item: order.get(item[0], len(order))))


def run_summary(session: Session, *, run: PipelineRun) -> dict[str, Any]:
    """A run as `openrec runs --json` and the API show it."""
    return {
        "id": run.id,
        "number": run.number,
        "status": run.status,
        "trigger": run.trigger,
        "engine": run.engine,
        "stage": run.stage,
        "progress": {"done": run.progress_done, "total": run.progress_total},
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "attempts": run.attempts,
        "error": run.error,
        "timings": _in_stage_order(run.timings),
        "counts": _in_stage_order(run.counts),
        "llm_calls": run_llm_usage(session, run_id=run.id),
        "tokens_in": run.tokens_in,
        "tokens_out": run.tokens_out,
        "cost_usd": round(run.cost_usd, 6),
        "log": run.log,
    }
