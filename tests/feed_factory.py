"""Seed a user's feed directly: videos, runs and recommendations citing the user's tweets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.models import PipelineRun, Recommendation, Tweet, Video

CHANNELS = ("Lecture Hall", "Deep Dives", "Field Notes")


@dataclass
class SeededFeed:
    user_id: int
    run_ids: list[int] = field(default_factory=list)  # oldest first
    ids_in_feed_order: list[int] = field(default_factory=list)  # newest run first, then position
    channel_of: dict[int, str] = field(default_factory=dict)  # recommendation id -> channel
    tweet_ids: list[str] = field(default_factory=list)


def add_tweets(session: Session, user_id: int, texts: Sequence[str]) -> list[str]:
    ids = []
    for text in texts:
        tweet_id = str(1_800_000_000_000_000_000 + uuid.uuid4().int % 10**15)
        session.add(Tweet(user_id=user_id, tweet_id=tweet_id, kind="tweet", text=text, created_at=datetime.now(UTC)))
        ids.append(tweet_id)
    session.flush()
    return ids


def add_run(session: Session, user_id: int, *, status: str = "succeeded", error: str | None = None) -> PipelineRun:
    now = datetime.now(UTC)
    run = PipelineRun(
        user_id=user_id,
        status=status,
        error=error,
        created_at=now - timedelta(minutes=5),
        started_at=now - timedelta(minutes=5),
        finished_at=None if status in ("queued", "running") else now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def seed_feed(
    session: Session,
    user_id: int,
    *,
    runs: int = 2,
    per_run: int = 5,
    channels: Sequence[str] = CHANNELS,
    status: str = "succeeded",
    duration_s: int = 6130,
) -> SeededFeed:
    """`runs` runs of `per_run` clips each; clip i of a run is on channel i % len(channels)."""
    seeded = SeededFeed(user_id=user_id)
    seeded.tweet_ids = add_tweets(session, user_id, ["I keep reading about cheese presses", "Rennet is neat"])
    per_run_ids: list[list[int]] = []
    for r in range(runs):
        run = add_run(session, user_id, status=status)
        seeded.run_ids.append(run.id)
        ids = []
        for position in range(per_run):
            video = Video(
                id=uuid.uuid4().hex[:11],
                title=f"Talk {r}.{position}",
                channel=channels[position % len(channels)],
                duration_s=duration_s,
            )
            session.add(video)
            session.flush()
            rec = Recommendation(
                user_id=user_id,
                run_id=run.id,
                video_id=video.id,
                interest="cheesemaking",
                start_s=751.0 + position,
                end_s=842.0 + position,
                quote=f"the cheesemaker presses the curds here ({r}.{position})",
                explanation=f"You wrote about cheese presses; this clip explains pressing curds ({r}.{position}).",
                tweet_ids=list(seeded.tweet_ids),
                score=0.9 - position / 100,
                position=position,
            )
            session.add(rec)
            session.flush()
            ids.append(rec.id)
            seeded.channel_of[rec.id] = video.channel
        per_run_ids.append(ids)
    for ids in reversed(per_run_ids):
        seeded.ids_in_feed_order.extend(ids)
    return seeded
