"""Stage 1: the user's stored engagement, recency-weighted, most recent first.

Recency is measured against the newest item of the user's own data (not the wall
clock), so an archive downloaded months ago still has a "current". The weight halves
every `HALF_LIFE_DAYS`: an item from the last 60 days weighs at least 0.5, one older
than a year less than 0.02, so a few recent posts outweigh a stale year of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol, get_args

from app.schemas import Engagement, TweetKind
from app.sources.tweet_records import snowflake_time

HALF_LIFE_DAYS = 60.0
# What each kind of engagement says about an interest: own words count most, a like least.
KIND_WEIGHTS: dict[str, float] = {
    "tweet": 1.0,
    "note": 1.0,
    "quote": 1.0,
    "reply": 0.9,
    "retweet": 0.8,
    "like": 0.7,
}


class EngagementInput(Protocol):
    """What a stored tweet row (or an imported record) offers the engagement stage."""

    @property
    def tweet_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def created_at(self) -> datetime | None: ...

    @property
    def url(self) -> str | None: ...


def recency_weight(created_at: datetime | None, reference: datetime | None) -> float:
    """exp-decay weight in (0, 1]; undated items (pasted notes) count as current."""
    if created_at is None or reference is None:
        return 1.0
    age_days = max(0.0, (reference - _aware(created_at)).total_seconds() / 86_400)
    return float(0.5 ** (age_days / HALF_LIFE_DAYS))


def build_engagement(rows: Sequence[EngagementInput], *, now: datetime | None = None) -> list[Engagement]:
    """Weighted engagement values, most recent first; items without text are left out.

    `now` is the reference time of "recent"; by default the newest dated item. Likes
    without a stored time get the time of their snowflake id.
    """
    dated: list[tuple[EngagementInput, datetime | None]] = []
    for row in rows:
        if not (row.text or "").strip():
            continue
        created = _aware(row.created_at) if row.created_at is not None else snowflake_time(row.tweet_id)
        dated.append((row, created))
    times = [created for _, created in dated if created is not None]
    reference = _aware(now) if now is not None else (max(times) if times else None)
    values = [
        Engagement(
            tweet_id=row.tweet_id,
            kind=_kind(row.kind),
            text=row.text,
            created_at=created,
            url=row.url,
            weight=KIND_WEIGHTS.get(row.kind, 1.0) * recency_weight(created, reference),
        )
        for row, created in dated
    ]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(values, key=lambda e: e.created_at or reference or oldest, reverse=True)


def _kind(kind: str) -> TweetKind:
    """Unknown kinds (a newer archive, a bad row) count as plain posts."""
    for known in get_args(TweetKind):
        if kind == known:
            return known  # type: ignore[no-any-return]
    return "tweet"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
