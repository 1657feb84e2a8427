"""ORM tables for the whole domain.

User-owned rows carry `user_id` with ON DELETE CASCADE so that "delete my data" is one
delete; videos and transcripts are shared caches and survive it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONType, UTCDateTime, utcnow

TWEET_KINDS = ("tweet", "retweet", "quote", "reply", "like", "note")
RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
ACTIVE_RUN_STATUSES = ("queued", "running")
FEEDBACK_REASONS = ("too_basic", "too_advanced", "off_topic", "clickbait", "seen_it")
REFRESH_SCHEDULES = ("off", "daily", "weekly")
INTEREST_ACTIONS = ("pin", "unpin", "mute", "unmute", "rename", "add", "remove")
FEED_SIZES = (10, 50)  # fewest and most clips one run may put in the feed
DEFAULT_FEED_SIZE = 20


def _user_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    x_username: Mapped[str | None] = mapped_column(String(64))
    x_display_name: Mapped[str | None] = mapped_column(String(128))
    refresh_schedule: Mapped[str] = mapped_column(String(8), default="off", server_default="off")
    refresh_hour: Mapped[int] = mapped_column(SmallInteger, default=6, server_default="6")
    last_scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_size: Mapped[int] = mapped_column(
        SmallInteger, default=DEFAULT_FEED_SIZE, server_default=str(DEFAULT_FEED_SIZE)
    )
    # The secret of the export URLs (RSS, Atom, JSON Feed); None until asked for, replaced to revoke.
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Moves on whenever anything the feed shows of this user changes: database triggers (see the migration
    # that adds it) bump it on every write to their clips, votes, hidden channels, posts, runs and videos,
    # so a feed page rendered at one version is that page for as long as the version stays.
    feed_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint("refresh_schedule IN ('off', 'daily', 'weekly')", name="refresh_schedule"),
        CheckConstraint("refresh_hour >= 0 AND refresh_hour <= 23", name="refresh_hour"),
        CheckConstraint("feed_size >= 10 AND feed_size <= 50", name="feed_size"),
    )


class AuthSession(Base):
    """A server-side sign-in, so that signing out or deleting data revokes the cookie."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = _user_fk()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A personal API token; only its hash is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tweet(Base):
    """One piece of the user's engagement: a post, retweet, quote, reply, like or pasted note."""

    __tablename__ = "tweets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    tweet_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    url: Mapped[str | None] = mapped_column(Text)
    like_order: Mapped[int | None] = mapped_column(Integer)  # 0 = most recent like in the archive
    lang: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(8), default="archive")  # archive | x_api | paste
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "tweet_id"),
        CheckConstraint(
            "kind IN ('tweet', 'retweet', 'quote', 'reply', 'like', 'note')",
            name="kind",
        ),
        Index("ix_tweets_user_created", "user_id", "created_at"),
    )


class ImportJob(Base):
    """One import (archive, X API or paste) with what it added and what it skipped."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    source: Mapped[str] = mapped_column(String(8))  # archive | x_api | paste
    status: Mapped[str] = mapped_column(String(10), default="running")  # running | succeeded | failed
    filename: Mapped[str | None] = mapped_column(String(255))
    account_username: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    skipped: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CustomInstruction(Base):
    """Custom instructions with history: the newest row is the one in force."""

    __tablename__ = "custom_instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HiddenChannel(Base):
    __tablename__ = "hidden_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    channel: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "channel"),)


class Video(Base):
    """Video metadata, shared by all users."""

    __tablename__ = "videos"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[date | None] = mapped_column(Date)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    view_count: Mapped[int | None] = mapped_column(BigInteger)
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Transcript(Base):
    """Timed transcript segments per video and language, shared by all users.

    A row with `error` set remembers why no transcript could be had, so it is not
    refetched on every run.
    """

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    language_code: Mapped[str] = mapped_column(String(16))
    is_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("video_id", "language_code"),)


def _next_run_number(context: DefaultExecutionContext) -> int:
    """The number a new run of a user gets: one more than their last (one active run at a time keeps it unique).

    Runs inserted together (one statement, several rows) count on from each other.
    """
    user_id = context.get_current_parameters()["user_id"]  # type: ignore[no-untyped-call]
    given: dict[int, int] = context.__dict__.setdefault("openrec_run_numbers", {})
    if user_id not in given:
        last = context.connection.scalar(select(func.max(PipelineRun.number)).where(PipelineRun.user_id == user_id))
        given[user_id] = int(last or 0)
    given[user_id] += 1
    return given[user_id]


class PipelineRun(Base):
    """One pipeline run of one user, with progress, timings and the run log."""

    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    number: Mapped[int] = mapped_column(Integer, default=_next_run_number)  # 1, 2, … for each user
    status: Mapped[str] = mapped_column(String(10), default="queued")
    trigger: Mapped[str] = mapped_column(String(10), default="manual")  # manual | schedule | cli | demo
    stage: Mapped[str | None] = mapped_column(String(20))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # per stage
    timings: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)  # seconds per stage
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # skipped items, notes
    error: Mapped[str | None] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(20), default="local")  # local | openai
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="status",
        ),
        # One active run per user, enforced by the database.
        Index(
            "uq_pipeline_runs_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_pipeline_runs_user_created", "user_id", "created_at"),
        UniqueConstraint("user_id", "number"),
    )

    @property
    def used_a_model(self) -> bool:
        """Whether a language model answered any of its calls: a run of the local engine costs nothing to show."""
        return bool(self.cost_usd or self.tokens_in or self.tokens_out)


class RunStageResult(Base):
    """The saved output of one finished stage, so a redelivered run resumes after it."""

    __tablename__ = "run_stage_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    payload: Mapped[Any] = mapped_column(JSONType)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "stage"),)


class Interest(Base):
    """An interest inferred by one run, with the tweets that show it."""

    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    evidence_tweet_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class InterestChoice(Base):
    """One choice about interests (pin, mute, rename, add…), kept as history: replayed in order, they give the state."""

    __tablename__ = "interest_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    action: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))  # the interest chosen about (for `add`, the new one)
    new_name: Mapped[str] = mapped_column(String(120), default="")  # `rename` only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "action IN ('pin', 'unpin', 'mute', 'unmute', 'rename', 'add', 'remove')",
            name="action",
        ),
    )


class LLMCall(Base):
    """One model call (or cache hit) with its tokens, latency, cost and outcome."""

    __tablename__ = "llm_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    prompt_version: Mapped[str] = mapped_column(String(20), default="")
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    tokens_cached: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | cached | invalid | error | budget | local
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LLMCacheEntry(Base):
    """A model reply keyed by a hash of (prompt version, model, inputs)."""

    __tablename__ = "llm_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    response: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recommendation(Base):
    """One clip in a user's feed."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"))
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id"), index=True)
    interest: Mapped[str] = mapped_column(String(120), default="")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    quote: Mapped[str] = mapped_column(Text)
    quote_s: Mapped[float | None] = mapped_column(Float)  # when the quote is spoken, seconds into the video
    explanation: Mapped[str] = mapped_column(Text)
    tweet_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    score: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The exclusion in the user's instructions that took this clip out of the feed ("no more woodworking" saved
    # after it was shown), or None; cleared when no exclusion in force is about it any more.
    withdrawn_by: Mapped[str | None] = mapped_column(Text)

    video: Mapped[Video] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("run_id", "video_id"),
        UniqueConstraint("run_id", "position"),
        CheckConstraint("start_s >= 0 AND end_s > start_s", name="clip_range"),
    )


# The feed reads newest run first, then by position: keyset on (run_id, position), stored in that
# order so a page is read straight off the index, with no sort, whatever the planner's statistics.
Index("ix_recommendations_feed", Recommendation.user_id, Recommendation.run_id.desc(), Recommendation.position)


class Feedback(Base):
    """A user's vote on a recommendation; one per recommendation, changeable."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _user_fk()
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    vote: Mapped[int] = mapped_column(SmallInteger)  # +1 or -1
    reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "recommendation_id"),
        CheckConstraint("vote IN (-1, 1)", name="vote"),
    )
