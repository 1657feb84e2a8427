"""Seed one user's rows in every user-owned table, and read them back table by table.

Used by the account-deletion and the isolation tests: both must cover every table that
holds personal data, so `owned_tables()` is derived from the schema and the seed checks
it filled each one (a new user-owned table makes those tests fail until it is seeded).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.db import Base
from app.models import (
    ApiToken,
    AuthSession,
    CustomInstruction,
    Feedback,
    HiddenChannel,
    ImportJob,
    Interest,
    InterestChoice,
    LLMCacheEntry,
    LLMCall,
    PipelineRun,
    Recommendation,
    RunStageResult,
    Transcript,
    Tweet,
    User,
    Video,
)
from app.security import token_digest

SHARED_TABLES = ("videos", "transcripts", "llm_cache")


def owned_tables() -> list[Table]:
    """Every table with a user_id column, straight from the schema."""
    return [t for t in Base.metadata.sorted_tables if "user_id" in t.c]


def run_owned_tables() -> list[Table]:
    """Tables owned through a run (no user_id of their own)."""
    return [
        t
        for t in Base.metadata.sorted_tables
        if "user_id" not in t.c and any(fk.column.table.name == "pipeline_runs" for fk in t.foreign_keys)
    ]


@dataclass
class Seeded:
    """What was stored for one user: its ids and the unique strings that must never leak."""

    user_id: int
    email: str
    run_id: int
    active_run_id: int
    recommendation_id: int
    token_id: int
    instruction_id: int
    import_id: int
    interest_id: int
    channel: str
    tweet_id: str
    video_id: str
    secrets: list[str]


def seed_user_data(session: Session, user: User, *, row_id: int | None = None) -> Seeded:
    """Store one row (two runs) in every user-owned table; `row_id` forces the primary key of each.

    Every text is a distinct string carrying a random marker, so a response that shows
    one of them shows this user's data.
    """
    marker = f"MARK{uuid.uuid4().hex[:12]}"
    text = {
        key: f"{marker}-{key}"
        for key in (
            "tweet",
            "file",
            "instruction",
            "channel",
            "token",
            "skipped-item",
            "skip-reason",
            "active-log",
            "interest",
            "interest-description",
            "model",
            "quote",
            "explanation",
            "rec-interest",
            "stage-result",
            "interest-choice",
            "x",
        )
    }
    now = datetime.now(UTC)
    ids: dict[str, Any] = {"id": row_id} if row_id is not None else {}
    tweet_id = str(1_700_000_000_000_000_000 + uuid.uuid4().int % 10**15)
    video_id = uuid.uuid4().hex[:11]
    user.x_username = text["x"]

    session.add(
        Video(
            id=video_id,
            title="A shared video",
            channel="A shared channel",
            description="",
            published_at=date(2020, 1, 1),
            duration_s=900,
        )
    )
    session.flush()
    session.add(
        Transcript(
            video_id=video_id,
            language_code="en",
            segments=[{"text": "shared words", "start": 0.0, "duration": 5.0}],
        )
    )
    session.add(LLMCacheEntry(key=uuid.uuid4().hex, stage="clip", model="m", response={"shared": True}))
    session.flush()

    tweet = Tweet(**ids, user_id=user.id, tweet_id=tweet_id, kind="tweet", text=text["tweet"], created_at=now)
    imported = ImportJob(
        **ids, user_id=user.id, source="archive", status="succeeded", filename=text["file"], counts={"tweet": 1}
    )
    instruction = CustomInstruction(**ids, user_id=user.id, text=text["instruction"], created_at=now)
    hidden = HiddenChannel(**ids, user_id=user.id, channel=text["channel"])
    choice = InterestChoice(**ids, user_id=user.id, action="add", name=text["interest-choice"])
    token = ApiToken(
        **ids, user_id=user.id, name=text["token"], token_hash=token_digest(uuid.uuid4().hex), prefix="orc_xxxxxx"
    )
    auth = AuthSession(id=token_digest(uuid.uuid4().hex), user_id=user.id, expires_at=now + timedelta(days=1))
    run = PipelineRun(
        **ids,
        user_id=user.id,
        status="succeeded",
        stage="rank",
        counts={"search": {"in": 1, "out": 3, "skipped": 1}},
        timings={"engagement": 0.1},
        log=[{"kind": "skipped", "stage": "screen", "item": text["skipped-item"], "message": text["skip-reason"]}],
        tokens_in=10,
        tokens_out=5,
        cost_usd=0.001,
        created_at=now - timedelta(hours=2),
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=1),
    )
    session.add_all([tweet, imported, instruction, hidden, choice, token, auth, run])
    session.flush()
    active = PipelineRun(
        id=row_id + 1 if row_id is not None else None,
        user_id=user.id,
        status="running",
        stage="search",
        log=[{"kind": "note", "stage": "queries", "item": "", "message": text["active-log"]}],
        created_at=now,
        started_at=now,
        heartbeat_at=now,
    )
    session.add(active)
    session.flush()
    stage_result = RunStageResult(**ids, run_id=run.id, stage="interests", payload={"note": text["stage-result"]})
    interest = Interest(
        **ids,
        user_id=user.id,
        run_id=run.id,
        name=text["interest"],
        description=text["interest-description"],
        weight=1.0,
        evidence_tweet_ids=[tweet_id],
    )
    call = LLMCall(**ids, user_id=user.id, run_id=run.id, stage="clip", model=text["model"], outcome="ok")
    recommendation = Recommendation(
        **ids,
        user_id=user.id,
        run_id=run.id,
        video_id=video_id,
        interest=text["rec-interest"],
        start_s=10.0,
        end_s=70.0,
        quote=text["quote"],
        explanation=text["explanation"],
        tweet_ids=[tweet_id],
        score=0.9,
        position=0,
    )
    session.add_all([stage_result, interest, call, recommendation])
    session.flush()
    feedback = Feedback(**ids, user_id=user.id, recommendation_id=recommendation.id, vote=-1, reason="off_topic")
    session.add(feedback)
    session.flush()

    empty = [name for name, count in owned_counts(session, user.id).items() if count == 0]
    assert not empty, f"seed_user_data does not fill {empty}: add a row for each new user-owned table"
    return Seeded(
        user_id=user.id,
        email=user.email,
        run_id=run.id,
        active_run_id=active.id,
        recommendation_id=recommendation.id,
        token_id=token.id,
        instruction_id=instruction.id,
        import_id=imported.id,
        interest_id=interest.id,
        channel=text["channel"],
        tweet_id=tweet_id,
        video_id=video_id,
        secrets=[*text.values(), user.email, tweet_id],
    )


def owned_counts(session: Session, user_id: int) -> dict[str, int]:
    """Rows per user-owned table (directly or through a run) for one user, plus the user row."""
    counts = {"users": session.scalar(select(func.count()).select_from(User).where(User.id == user_id)) or 0}
    for table in owned_tables():
        counts[table.name] = session.scalar(select(func.count()).where(table.c.user_id == user_id)) or 0
    for table in run_owned_tables():
        query = select(func.count()).where(
            table.c.run_id.in_(select(PipelineRun.id).where(PipelineRun.user_id == user_id))
        )
        counts[table.name] = session.scalar(query) or 0
    return counts


def shared_counts(session: Session) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
        for name in SHARED_TABLES
    }


def owned_snapshot(session: Session, user_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the user owns, every column, in a stable order: equal snapshots mean nothing changed."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {
        "users": [tuple(r) for r in session.execute(select(User.__table__).where(User.__table__.c.id == user_id))]
    }
    for table in owned_tables():
        rows = session.execute(select(table).where(table.c.user_id == user_id).order_by(*table.primary_key.columns))
        snapshot[table.name] = [tuple(r) for r in rows]
    run_ids = select(PipelineRun.id).where(PipelineRun.user_id == user_id)
    for table in run_owned_tables():
        rows = session.execute(select(table).where(table.c.run_id.in_(run_ids)).order_by(*table.primary_key.columns))
        snapshot[table.name] = [tuple(r) for r in rows]
    return snapshot
