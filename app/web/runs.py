"""The run pages: /runs (history and "start a run") and /runs/{id} (live progress by htmx polling).

The status fragment polls itself every second while the run is queued or running
and renders without the trigger once it has ended, which stops the polling.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.config import Settings
from app.db import utcnow
from app.deps import CurrentUser, RowId, SessionDep, SettingsDep
from app.models import ACTIVE_RUN_STATUSES, PipelineRun, User
from app.pipeline.dispatch import dispatch_run
from app.schemas import STAGES
from app.services.run_details import run_clip_counts, run_interests, run_models, run_stage_usage
from app.services.runs import run_cancel, run_create, run_get, runs_list
from app.services.videos import video_titles
from app.web.templating import format_seconds, is_htmx, render

router = APIRouter(tags=["pages"], include_in_schema=False)

RUNS_SHOWN = 50
SKIPPED_SHOWN_PER_STAGE = 50
STAGE_LABELS = {
    "engagement": "Reading your engagement",
    "interests": "Inferring interests",
    "queries": "Writing searches",
    "search": "Searching YouTube",
    "screen": "Screening videos",
    "transcripts": "Reading transcripts",
    "clip": "Picking clips",
    "rank": "Ranking and explaining",
}
STATUS_LABELS = {
    "queued": "Waiting to start",
    "running": "Running",
    "succeeded": "Finished",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class StageRow:
    name: str
    label: str
    state: str  # done | current | stopped | pending
    seconds: float | None
    counts: dict[str, Any]

    @property
    def time_text(self) -> str:
        return seconds_text(self.seconds)


@dataclass
class RunLog:
    """A run's log split for display: skipped items per stage, and notes."""

    skipped: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped_total: dict[str, int] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)


def duration_s(run: PipelineRun, now: datetime | None = None) -> float | None:
    """Seconds the run has been (or was) working; None before it started."""
    if run.started_at is None:
        return None
    end = run.finished_at or now or utcnow()
    return max(0.0, (end - run.started_at).total_seconds())


def seconds_text(value: float | None) -> str:
    """<0.01 s, 0.42 s, 12.5 s, then 1:05 as the run goes on."""
    if value is None:
        return ""
    if value < 0.01:
        return "<0.01 s"
    if value < 1:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    return format_seconds(value)


def stage_rows(run: PipelineRun) -> list[StageRow]:
    """Every stage in order with its state; stages the pipeline reports beyond the known ones follow."""
    names = list(STAGES)
    names += [name for name in [*run.timings, *run.counts, run.stage or ""] if name and name not in names]
    active = run.status in ACTIVE_RUN_STATUSES
    rows = []
    for name in names:
        if name in run.timings:
            state = "done"
        elif name == run.stage:
            state = "current" if active else "stopped"
        else:
            state = "pending"
        counts = run.counts.get(name)
        rows.append(
            StageRow(
                name=name,
                label=STAGE_LABELS.get(name, name.replace("_", " ").capitalize()),
                state=state,
                seconds=run.timings.get(name),
                counts=counts if isinstance(counts, dict) else {},
            )
        )
    return rows


def split_log(entries: list[dict[str, Any]]) -> RunLog:
    log = RunLog()
    skipped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if entry.get("kind") == "skipped":
            stage = str(entry.get("stage", ""))
            totals[stage] += 1
            if len(skipped[stage]) < SKIPPED_SHOWN_PER_STAGE:
                skipped[stage].append(entry)
        else:
            log.notes.append(entry)
    log.skipped = dict(skipped)
    log.skipped_total = dict(totals)
    return log


def run_context(session: Session, settings: Settings, run: PipelineRun) -> dict[str, Any]:
    """Everything the run page and its status fragment show."""
    models = run_models(session, run=run)
    log = split_log(run.log)
    engine = "local engine" if run.engine == "local" else run.engine
    return {
        "run": run,
        "active": run.status in ACTIVE_RUN_STATUSES,
        "status_label": STATUS_LABELS.get(run.status, run.status),
        "stages": stage_rows(run),
        "usage": run_stage_usage(session, run=run),
        "elapsed": seconds_text(duration_s(run)),
        "engine": f"{engine} ({', '.join(models)})" if models else engine,
        "budget_usd": settings.openrec_run_budget_usd,
        "log": log,
        "titles": video_titles(
            session, video_ids=[entry.get("item", "") for entries in log.skipped.values() for entry in entries]
        ),
        "stage_labels": STAGE_LABELS,
        "interests": run_interests(session, run=run),
    }


def own_run(session: Session, user: User, run_id: int) -> PipelineRun:
    """The user's run, or 404: another user's run id is indistinguishable from none."""
    run = run_get(session, user=user, run_id=run_id)
    if run is None:
        raise HTTPException(status_code=404, detail="No such run.")
    return run


@router.get("/runs")
def runs_page(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    runs = runs_list(session, user=user, limit=RUNS_SHOWN)
    active = next((run for run in runs if run.status in ACTIVE_RUN_STATUSES), None)
    rows = [
        {
            "run": run,
            "duration": seconds_text(duration_s(run)),
            "status_label": STATUS_LABELS.get(run.status, run.status),
        }
        for run in runs
    ]
    clips = run_clip_counts(session, user=user, run_ids=[run.id for run in runs])
    return render(request, "runs.html", {"rows": rows, "clips": clips, "active": active})


@router.post("/runs")
def run_start(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Response:
    run, created = run_create(session, user=user, trigger="manual")
    session.commit()
    if created:
        dispatch_run(run.id, settings)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


@router.get("/runs/{run_id}")
def run_page(
    run_id: RowId, request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    run = own_run(session, user, run_id)
    return render(request, "run.html", run_context(session, settings, run))


@router.get("/runs/{run_id}/status")
def run_status(
    run_id: RowId, request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    run = own_run(session, user, run_id)
    response = render(request, "_run_status.html", run_context(session, settings, run))
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/runs/{run_id}/cancel")
def run_cancel_page(
    run_id: RowId, request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    run = run_cancel(session, user=user, run_id=run_id)
    if run is None:
        raise HTTPException(status_code=404, detail="No such run.")
    session.commit()
    if is_htmx(request):
        return render(request, "_run_status.html", run_context(session, settings, run))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)
