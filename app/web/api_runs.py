"""JSON API for runs (list, start, progress, cancel) and for settings (instructions, refresh schedule)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.deps import ApiUser, RowId, SessionDep, SettingsDep
from app.models import PipelineRun, User
from app.pipeline.dispatch import dispatch_run
from app.services.account import schedule_set
from app.services.feedback import hidden_channels_list
from app.services.instruction_history import instructions_history, instructions_update
from app.services.preferences import MAX_INSTRUCTIONS_CHARS, instructions_get
from app.services.run_details import run_clip_counts, run_interests, run_models
from app.services.runs import run_cancel, run_create, runs_list
from app.web.runs import RUNS_SHOWN, duration_s, own_run, stage_rows

router = APIRouter(prefix="/api", tags=["runs"])
NO_SUCH_RUN: dict[int | str, dict[str, Any]] = {404: {"description": "No such run of yours."}}
settings_router = APIRouter(prefix="/api", tags=["settings"])


class RunOut(BaseModel):
    id: int
    number: int = Field(description="The run's number among your runs: 1 for your first.")
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    trigger: str
    stage: str | None
    engine: str
    progress_done: int
    progress_total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None = Field(description="Seconds worked so far, or in all once finished.")
    error: str | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    clips: int = Field(description="Clips the run put in the feed.")


class StageOut(BaseModel):
    name: str
    state: Literal["done", "current", "stopped", "pending"]
    seconds: float | None
    counts: dict[str, Any]


class LogEntryOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str = "note"
    stage: str = ""
    item: str = ""
    message: str = ""


class EvidenceOut(BaseModel):
    tweet_id: str
    kind: str
    text: str
    url: str | None = Field(description="The post on X; null for pasted notes.")


class InterestOut(BaseModel):
    name: str
    description: str
    weight: float
    evidence: list[EvidenceOut]


class RunDetail(RunOut):
    models: list[str] = Field(description="Model names called; empty when the local engine did everything.")
    budget_usd: float
    stages: list[StageOut]
    log: list[LogEntryOut]
    interests: list[InterestOut]


class InstructionOut(BaseModel):
    id: int
    text: str
    created_at: datetime


class SettingsOut(BaseModel):
    instructions: str
    instructions_history: list[InstructionOut] = Field(description="Newest first; the first is in force.")
    refresh_schedule: Literal["off", "daily", "weekly"]
    refresh_hour: int = Field(description="Hour of the day (UTC) of scheduled runs.")
    hidden_channels: list[str]


class SettingsChanged(SettingsOut):
    """The settings after a change, with what new instructions did to the clips already in the feed."""

    taken_out: int = Field(
        0, description="Clips already in your feed that the new instructions exclude: out of the feed now."
    )
    put_back: int = Field(0, description="Clips your earlier instructions took out that are back in your feed now.")
    out_of_bounds: int = Field(
        0, description="Clips already in your feed of videos longer or shorter than the new instructions allow."
    )
    message: str = Field("", description="What changed in your feed, in words; empty when nothing did.")


class SettingsIn(BaseModel):
    """Fields left out are unchanged."""

    model_config = ConfigDict(extra="forbid")

    instructions: str | None = Field(None, max_length=MAX_INSTRUCTIONS_CHARS)
    refresh_schedule: Literal["off", "daily", "weekly"] | None = None
    refresh_hour: int | None = Field(None, ge=0, le=23, strict=True)  # `true` is not hour 1


def _run_out(run: PipelineRun, clips: int) -> dict[str, Any]:
    fields = {name: getattr(run, name) for name in RunOut.model_fields if hasattr(run, name)}
    return {**fields, "duration_s": duration_s(run), "clips": clips}


def _clips(session: Session, user: User, run: PipelineRun) -> int:
    return run_clip_counts(session, user=user, run_ids=[run.id]).get(run.id, 0)


@router.get("/runs")
def api_runs_list(user: ApiUser, session: SessionDep) -> list[RunOut]:
    """Your runs, newest first."""
    runs = runs_list(session, user=user, limit=RUNS_SHOWN)
    clips = run_clip_counts(session, user=user, run_ids=[run.id for run in runs])
    return [RunOut(**_run_out(run, clips.get(run.id, 0))) for run in runs]


@router.post("/runs", status_code=201, responses={200: {"description": "A run was already active: that run."}})
def api_run_start(user: ApiUser, session: SessionDep, settings: SettingsDep, response: Response) -> RunOut:
    """Start a run; when one is already queued or running, that one is returned (200) instead."""
    run, created = run_create(session, user=user, trigger="manual")
    session.commit()
    if created:
        dispatch_run(run.id, settings)
    else:
        response.status_code = 200
    return RunOut(**_run_out(run, _clips(session, user, run)))


@router.get("/runs/{run_id}", responses=NO_SUCH_RUN)
def api_run_get(run_id: RowId, user: ApiUser, session: SessionDep, settings: SettingsDep) -> RunDetail:
    """One run with its stages, log, interests and the models it used."""
    run = own_run(session, user, run_id)
    interests = [
        InterestOut(
            name=i.name,
            description=i.description,
            weight=i.weight,
            evidence=[EvidenceOut(tweet_id=t.tweet_id, kind=t.kind, text=t.text, url=t.url) for t in i.evidence],
        )
        for i in run_interests(session, run=run)
    ]
    return RunDetail(
        **_run_out(run, _clips(session, user, run)),
        models=run_models(session, run=run),
        budget_usd=settings.openrec_run_budget_usd,
        stages=[StageOut(name=s.name, state=s.state, seconds=s.seconds, counts=s.counts) for s in stage_rows(run)],
        log=[LogEntryOut.model_validate(entry) for entry in run.log if isinstance(entry, dict)],
        interests=interests,
    )


@router.post("/runs/{run_id}/cancel", responses=NO_SUCH_RUN)
def api_run_cancel(run_id: RowId, user: ApiUser, session: SessionDep) -> RunOut:
    """Ask a run to stop: a queued run stops at once, a running one at its next checkpoint."""
    run = run_cancel(session, user=user, run_id=run_id)
    if run is None:
        raise HTTPException(status_code=404, detail="No such run.")
    session.commit()
    return RunOut(**_run_out(run, _clips(session, user, run)))


def _settings_out(session: Session, user: User) -> SettingsOut:
    return SettingsOut(
        instructions=instructions_get(session, user=user),
        instructions_history=[
            InstructionOut(id=row.id, text=row.text, created_at=row.created_at)
            for row in instructions_history(session, user=user)
        ],
        refresh_schedule=user.refresh_schedule,
        refresh_hour=user.refresh_hour,
        hidden_channels=hidden_channels_list(session, user=user),
    )


@settings_router.get("/settings")
def api_settings_get(user: ApiUser, session: SessionDep) -> SettingsOut:
    """Your custom instructions (with history), refresh schedule and hidden channels."""
    return _settings_out(session, user)


@settings_router.put("/settings")
def api_settings_put(body: SettingsIn, user: ApiUser, session: SessionDep) -> SettingsChanged:
    """Change instructions and/or the refresh schedule; new instructions are added to the history, and clips
    already in your feed that they exclude leave it (those an exclusion you dropped took out come back)."""
    withdrawal = None
    if body.instructions is not None:
        withdrawal = instructions_update(session, user=user, text=body.instructions)
    if body.refresh_schedule is not None or body.refresh_hour is not None:
        schedule_set(
            session,
            user=user,
            schedule=body.refresh_schedule or user.refresh_schedule,
            hour=user.refresh_hour if body.refresh_hour is None else body.refresh_hour,
        )
    session.commit()
    changed = {} if withdrawal is None else {**asdict(withdrawal), "message": withdrawal.said()}
    return SettingsChanged(**_settings_out(session, user).model_dump(), **changed)
