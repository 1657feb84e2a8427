"""The clip feed: keyset pages over the user's recommendations, newest run first, then by position.

A page is one query (recommendation, video and the user's own vote, hidden channels
left out) plus one for the tweets the whole page cites. The cursor is an opaque token
for the last item's (run_id, position), so a page deep in the feed costs what the
first one does.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Integer, Row, String, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from app.db import MAX_INTEGER, utcnow
from app.models import (
    ACTIVE_RUN_STATUSES,
    FEEDBACK_REASONS,
    Feedback,
    HiddenChannel,
    PipelineRun,
    Recommendation,
    Tweet,
    User,
    Video,
)
from app.pipeline.shortfall import logged_shortfall
from app.schemas import FeedbackReason
from app.sources.tweet_records import is_tweet_id, status_url

CURSOR_PREFIX = "v1"
MAX_PAGE_SIZE = 100
CURSOR_ERROR = "This feed cursor is not valid: start again from the first page."
Vote = Literal["up", "down"]


class InvalidCursor(ValueError):
    """A cursor that this server did not hand out (or that was cut short)."""


# What the user did with a post, as a card labels it (the stored engagement kind decides).
ENGAGEMENT_VERBS: dict[str, str] = {
    "tweet": "You posted",
    "reply": "You replied",
    "quote": "You quoted",
    "retweet": "You reposted",
    "like": "You liked",
    "note": "You wrote",
}


@dataclass(frozen=True)
class CitedTweet:
    tweet_id: str
    text: str
    kind: str = "tweet"

    @property
    def url(self) -> str | None:
        """The post on X; None for pasted notes, which exist only here."""
        return status_url(self.tweet_id) if is_tweet_id(self.tweet_id) else None

    @property
    def verb(self) -> str:
        """ "You liked", "You replied"…: what the user did with this post."""
        return ENGAGEMENT_VERBS.get(self.kind, "You posted")


@dataclass(frozen=True)
class ExplanationParts:
    """An explanation split around the quote it contains, so the quote is shown once, with its time."""

    before: str
    quote: str  # empty when the explanation does not contain the clip's quote
    after: str


@dataclass(frozen=True)
class FeedEntry:
    """One clip as the feed shows it, with the user's vote on it."""

    recommendation_id: int
    run_id: int
    position: int
    video_id: str
    title: str
    channel: str
    duration_s: int | None
    start_s: float
    end_s: float
    explanation: str
    quote: str
    quote_s: float | None  # when the quote is spoken, seconds into the video
    interest: str
    score: float
    tweets: tuple[CitedTweet, ...]
    vote: Vote | None
    reason: FeedbackReason | None
    run_number: int
    run_finished_at: datetime | None

    @property
    def start_at(self) -> int:
        """The clip start in whole seconds, as the player takes it (never after the clip starts)."""
        return math.floor(self.start_s)

    @property
    def end_at(self) -> int:
        """The clip end in whole seconds (never before the clip ends)."""
        return math.ceil(self.end_s)

    @property
    def watch_url(self) -> str:
        """The full video on YouTube, from the clip's start."""
        return f"https://www.youtube.com/watch?v={self.video_id}&t={self.start_at}s"

    @property
    def embed_url(self) -> str:
        return (
            f"https://www.youtube-nocookie.com/embed/{self.video_id}"
            f"?start={self.start_at}&end={self.end_at}&mute=1&playsinline=1&rel=0"
        )

    @property
    def quote_at(self) -> int:
        """When the quote is spoken, in whole seconds (the clip start when that is not known)."""
        return math.floor(self.quote_s) if self.quote_s is not None else self.start_at

    @property
    def quote_url(self) -> str:
        """The full video on YouTube, from the moment the quote is spoken."""
        return f"https://www.youtube.com/watch?v={self.video_id}&t={self.quote_at}s"

    @property
    def explanation_parts(self) -> ExplanationParts:
        """The explanation around its quotation of the clip's quote (with the quote marks), if it quotes it."""
        quote, text = self.quote.strip().strip("…").strip(), self.explanation
        at = text.find(quote) if quote else -1
        if at < 0:
            return ExplanationParts(text, "", "")
        begin, end = at, at + len(quote)
        begin -= text[:begin].endswith("…")
        begin -= text[:begin].endswith(('"', "“"))
        end += text[end:].startswith("…")
        end += text[end:].startswith(('"', "”"))
        return ExplanationParts(text[:begin], self.quote, text[end:])

    @property
    def thumbnail_url(self) -> str:
        return f"https://i.ytimg.com/vi/{self.video_id}/hqdefault.jpg"


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedEntry]
    next_cursor: str | None  # None: this page is the end of the feed


@dataclass(frozen=True)
class FeedStatus:
    """What the feed says when it is empty or at its end."""

    has_engagement: bool
    active_run_id: int | None
    last_run: PipelineRun | None  # the newest run that ended
    hidden_clips: int  # clips of succeeded runs left out because their channel is hidden
    next_refresh_at: datetime | None
    shortfall: str = ""  # why the last run's feed is shorter than the user asked for


def cursor_encode(*, run_id: int, position: int) -> str:
    raw = f"{CURSOR_PREFIX}:{run_id}:{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(token: str) -> tuple[int, int]:
    """(run_id, position) of the item the cursor points after."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        prefix, run_text, position_text = raw.split(":")
        run_id, position = int(run_text), int(position_text)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidCursor(CURSOR_ERROR) from exc
    if prefix != CURSOR_PREFIX or cursor_encode(run_id=run_id, position=position) != token:
        raise InvalidCursor(CURSOR_ERROR)
    if not (0 <= run_id <= MAX_INTEGER and 0 <= position <= MAX_INTEGER):  # a forged cursor: no such row
        raise InvalidCursor(CURSOR_ERROR)
    return run_id, position


# The statements are built once: a page request only binds values (user, cursor, limit).
_USER = bindparam("user_id", type_=Integer)
_RUN = bindparam("run_id", type_=Integer)
# Rendered into the SQL text, so PostgreSQL's cached generic plan knows how few rows are wanted.
_LIMIT = bindparam("limit", type_=Integer, literal_execute=True)
_HIDDEN = exists().where(HiddenChannel.user_id == _USER, HiddenChannel.channel == Video.channel)
# A clip voted down stays in view in the newest run (so the vote can change) and is gone from earlier ones.
_VOTED_DOWN = func.coalesce(Feedback.vote, 0) < 0
_NEWEST_RUN = (
    select(func.max(PipelineRun.id))
    .where(PipelineRun.user_id == _USER, PipelineRun.status == "succeeded")
    .scalar_subquery()
)
_ENTRIES = (
    select(
        Recommendation.id,
        Recommendation.run_id,
        Recommendation.position,
        Recommendation.video_id,
        Video.title,
        Video.channel,
        Video.duration_s,
        Recommendation.start_s,
        Recommendation.end_s,
        Recommendation.explanation,
        Recommendation.quote,
        Recommendation.quote_s,
        Recommendation.interest,
        Recommendation.score,
        Recommendation.tweet_ids,
        Feedback.vote,
        Feedback.reason,
        PipelineRun.number.label("run_number"),
        PipelineRun.finished_at.label("run_finished_at"),
    )
    .join(Video, Video.id == Recommendation.video_id)
    .join(PipelineRun, and_(PipelineRun.id == Recommendation.run_id, PipelineRun.status == "succeeded"))
    .outerjoin(Feedback, and_(Feedback.recommendation_id == Recommendation.id, Feedback.user_id == _USER))
    .where(
        Recommendation.user_id == _USER,
        Recommendation.withdrawn_by.is_(None),
        ~_HIDDEN,
        or_(~_VOTED_DOWN, Recommendation.run_id >= _NEWEST_RUN),
    )
)
_FEED_ORDER = (Recommendation.run_id.desc(), Recommendation.position.asc())
FIRST_PAGE = _ENTRIES.order_by(*_FEED_ORDER).limit(_LIMIT)
# `run_id <= :run_id` on its own lets the database seek the feed index to the cursor's run.
PAGE_AFTER = (
    _ENTRIES.where(
        Recommendation.run_id <= _RUN,
        or_(Recommendation.run_id < _RUN, Recommendation.position > bindparam("position", type_=Integer)),
    )
    .order_by(*_FEED_ORDER)
    .limit(_LIMIT)
)
ONE_ENTRY = _ENTRIES.where(Recommendation.id == bindparam("recommendation_id", type_=Integer))
CITED_TWEETS = select(Tweet.tweet_id, Tweet.text, Tweet.kind).where(
    Tweet.user_id == _USER, Tweet.tweet_id.in_(bindparam("tweet_ids", type_=String, expanding=True))
)


def _entries(session: Session, *, user: User, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[FeedEntry]:
    """Feed entries of rows from the statements above, with the text of every tweet they cite (one query)."""
    wanted = sorted({str(tweet_id) for row in rows for tweet_id in (row.tweet_ids or [])})
    cited: dict[str, CitedTweet] = {}
    if wanted:
        found = session.connection().execute(CITED_TWEETS, {"user_id": user.id, "tweet_ids": wanted})
        cited = {str(i): CitedTweet(tweet_id=str(i), text=str(text), kind=str(kind)) for i, text, kind in found}
    return [
        FeedEntry(
            recommendation_id=row.id,
            run_id=row.run_id,
            position=row.position,
            video_id=row.video_id,
            title=row.title,
            channel=row.channel,
            duration_s=row.duration_s,
            start_s=row.start_s,
            end_s=row.end_s,
            explanation=row.explanation,
            quote=row.quote,
            quote_s=row.quote_s,
            interest=row.interest,
            score=row.score,
            tweets=tuple(cited[str(i)] for i in (row.tweet_ids or []) if str(i) in cited),
            vote=None if row.vote is None else ("up" if row.vote > 0 else "down"),
            reason=cast(FeedbackReason, row.reason) if row.reason in FEEDBACK_REASONS else None,
            run_number=row.run_number,
            run_finished_at=row.run_finished_at,
        )
        for row in rows
    ]


def feed_page(session: Session, *, user: User, cursor: str | None = None, limit: int = 10) -> FeedPage:
    """One page of the feed after `cursor` (from the start when None); raises InvalidCursor."""
    params: dict[str, Any] = {"user_id": user.id, "limit": max(1, min(limit, MAX_PAGE_SIZE)) + 1}
    statement = FIRST_PAGE
    if cursor:
        params["run_id"], params["position"] = cursor_decode(cursor)
        statement = PAGE_AFTER
    rows = session.connection().execute(statement, params).all()
    more = len(rows) == params["limit"]
    rows = rows[: params["limit"] - 1]
    next_cursor = cursor_encode(run_id=rows[-1].run_id, position=rows[-1].position) if more else None
    return FeedPage(items=_entries(session, user=user, rows=rows), next_cursor=next_cursor)


def feed_entry(session: Session, *, user: User, recommendation_id: int) -> FeedEntry | None:
    """One clip of the user's feed (None for another user's, one whose channel is hidden, one an exclusion took out)."""
    params = {"user_id": user.id, "recommendation_id": recommendation_id}
    rows = session.connection().execute(ONE_ENTRY, params).all()
    entries = _entries(session, user=user, rows=rows)
    return entries[0] if entries else None


def next_refresh_at(user: User, *, now: datetime) -> datetime | None:
    """When the user's refresh schedule next starts a run (hours are UTC); None when it is off."""
    if user.refresh_schedule not in ("daily", "weekly"):
        return None
    at = now.replace(hour=user.refresh_hour, minute=0, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    if user.refresh_schedule == "weekly" and user.last_scheduled_at is not None:
        due = (user.last_scheduled_at + timedelta(days=7)).date()
        while at.date() < due:
            at += timedelta(days=1)
    return at


def feed_status(session: Session, *, user: User, now: datetime | None = None) -> FeedStatus:
    """Whether there is anything to run on, the run in progress, the last ended run and the next scheduled one."""
    has_engagement = session.scalar(select(Tweet.id).where(Tweet.user_id == user.id).limit(1)) is not None
    active_run_id = session.scalar(
        select(PipelineRun.id).where(PipelineRun.user_id == user.id, PipelineRun.status.in_(ACTIVE_RUN_STATUSES))
    )
    last_run = session.scalar(
        select(PipelineRun)
        .where(PipelineRun.user_id == user.id, PipelineRun.status.not_in(ACTIVE_RUN_STATUSES))
        .order_by(PipelineRun.id.desc())
        .limit(1)
    )
    # Counting means reading every clip the user was ever shown: only worth it when a channel is hidden at all.
    hides = session.scalar(select(HiddenChannel.id).where(HiddenChannel.user_id == user.id).limit(1)) is not None
    hidden_clips = (
        session.scalar(
            select(func.count(Recommendation.id))
            .join(Video, Video.id == Recommendation.video_id)
            .join(HiddenChannel, and_(HiddenChannel.user_id == user.id, HiddenChannel.channel == Video.channel))
            .join(PipelineRun, and_(PipelineRun.id == Recommendation.run_id, PipelineRun.status == "succeeded"))
            .where(Recommendation.user_id == user.id)
        )
        if hides
        else 0
    )
    return FeedStatus(
        has_engagement=has_engagement,
        active_run_id=active_run_id,
        last_run=last_run,
        hidden_clips=hidden_clips or 0,
        next_refresh_at=next_refresh_at(user, now=now or utcnow()),
        shortfall=logged_shortfall(last_run.log or []) if last_run is not None else "",
    )
