"""Values that cross boundaries: pipeline stage inputs and outputs.

Stage functions take and return these, never ORM rows, so stages can be tested and
resumed (each stage's output is saved as JSON between stages).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TweetKind = Literal["tweet", "retweet", "quote", "reply", "like", "note"]
FeedbackReason = Literal["too_basic", "too_advanced", "off_topic", "clickbait", "seen_it"]
# The eight stages of a run, in order: the pipeline runs them, the run log and pages name them.
STAGES = ("engagement", "interests", "queries", "search", "screen", "transcripts", "clip", "rank")


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Engagement(Value):
    """One stored tweet/like/... as the pipeline sees it, with its recency weight."""

    tweet_id: str
    kind: TweetKind
    text: str
    created_at: datetime | None = None  # likes: estimated from the snowflake id
    url: str | None = None
    weight: float = 1.0


class FeedbackSignal(Value):
    """A past vote, reduced to what the next run needs."""

    video_id: str
    title: str
    channel: str
    interest: str
    vote: Literal[-1, 1]
    reason: FeedbackReason | None = None


class Interest(Value):
    name: str
    description: str
    weight: float
    evidence_tweet_ids: list[str]
    keywords: list[str] = Field(default_factory=list)


class InterestControls(Value):
    """The user's own say over interests, as the next run must honour it.

    `pinned` are always included (as last seen, when the posts no longer point to them),
    `muted` never, `renamed` maps a name (casefolded) to the user's name for it, and
    `added` are interests in the user's own words. `previous` are the interests the
    user last saw, so that "no more X" can remove X together with its own terms.
    """

    pinned: list[Interest] = Field(default_factory=list)
    muted: list[str] = Field(default_factory=list)
    renamed: dict[str, str] = Field(default_factory=dict)
    added: list[str] = Field(default_factory=list)
    previous: list[Interest] = Field(default_factory=list)


class Preferences(Value):
    """What the user told us: custom instructions, feedback, exclusions, interest controls and feed size."""

    instructions: str = ""
    feedback: list[FeedbackSignal] = Field(default_factory=list)
    hidden_channels: list[str] = Field(default_factory=list)
    seen_video_ids: list[str] = Field(default_factory=list)
    interests: InterestControls = Field(default_factory=InterestControls)
    feed_size: int = 20


class SearchQuery(Value):
    interest: str  # Interest.name
    query: str


class Candidate(Value):
    """A video found by a search, before screening."""

    video_id: str
    title: str
    channel: str = ""
    description: str = ""
    published_at: date | None = None
    duration_s: int | None = None
    view_count: int | None = None
    like_count: int | None = None
    query: str = ""  # the query that found it
    interest: str = ""  # the interest whose query found it
    fit: float = 1.0  # set by screening: its score there relative to the best video it kept (0-1)


class ScreenDecision(Value):
    video_id: str
    keep: bool
    interest: str  # the interest the video serves (when kept)
    reason: str
    score: float = 0.0


class Segment(Value):
    """A timed transcript snippet, shaped like youtube-transcript-api's."""

    text: str
    start: float
    duration: float


class TranscriptData(Value):
    video_id: str
    language_code: str
    is_generated: bool
    segments: list[Segment]


class Clip(Value):
    video_id: str
    interest: str
    start_s: float
    end_s: float
    quote: str
    score: float
    quote_s: float | None = None  # when the quote is spoken, seconds into the video (inside the clip)
    scored_by: str = ""  # the engine whose scale `score` is on; the ranking puts scales on one


class Explanation(Value):
    text: str
    tweet_ids: list[str]


class FeedItem(Value):
    """One recommendation as stored and as printed by `openrec feed --json`."""

    video_id: str
    title: str
    channel: str
    start_s: float
    end_s: float
    explanation: str
    quote: str
    tweet_ids: list[str]
    score: float
    interest: str = ""
    quote_s: float | None = None  # when the quote is spoken, seconds into the video (inside the clip)


class SkippedItem(Value):
    """A candidate or item that was dropped, and why (shown in the run log)."""

    stage: str
    item: str
    reason: str
