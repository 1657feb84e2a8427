"""A run's recommendations (the feed) and reading the newest feed back.

`(run_id, video_id)` and `(run_id, position)` are unique in the database, so a run
delivered twice cannot store its feed twice, whatever the code does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import PipelineRun, Recommendation, User
from app.schemas import FeedItem


def recommendations_save(session: Session, *, run: PipelineRun, items: Sequence[FeedItem]) -> int:
    """Store a run's feed in order (the videos must exist); returns how many were stored, 0 if already stored."""
    stored = session.scalar(select(Recommendation.id).where(Recommendation.run_id == run.id).limit(1))
    if stored is not None:
        return 0
    for position, item in enumerate(items):
        session.add(
            Recommendation(
                user_id=run.user_id,
                run_id=run.id,
                video_id=item.video_id,
                interest=item.interest[:120],
                start_s=item.start_s,
                end_s=item.end_s,
                quote=item.quote,
                quote_s=item.quote_s,
                explanation=item.explanation,
                tweet_ids=list(item.tweet_ids),
                score=item.score,
                position=position,
            )
        )
    session.flush()
    return len(items)


def feed_run(session: Session, *, user: User) -> PipelineRun | None:
    """The run whose feed the user sees: the newest that succeeded (a failed run leaves the feed as it was)."""
    return session.scalar(
        select(PipelineRun)
        .where(PipelineRun.user_id == user.id, PipelineRun.status == "succeeded")
        .order_by(PipelineRun.finished_at.desc(), PipelineRun.id.desc())
        .limit(1)
    )


def feed_items(session: Session, *, user: User) -> list[FeedItem]:
    """The user's current feed, in order."""
    return run_feed_items(session, user=user, run=feed_run(session, user=user))


def run_feed_items(session: Session, *, user: User, run: PipelineRun | None) -> list[FeedItem]:
    """The clips of one run (the feed run, `feed_run`, when the caller has it already), in order."""
    if run is None:
        return []
    rows = session.scalars(
        select(Recommendation)
        .where(
            Recommendation.run_id == run.id, Recommendation.user_id == user.id, Recommendation.withdrawn_by.is_(None)
        )
        .order_by(Recommendation.position)
    )
    return [
        FeedItem(
            video_id=row.video_id,
            title=row.video.title,
            channel=row.video.channel,
            start_s=row.start_s,
            end_s=row.end_s,
            explanation=row.explanation,
            quote=row.quote,
            quote_s=row.quote_s,
            tweet_ids=list(row.tweet_ids),
            score=row.score,
            interest=row.interest,
        )
        for row in rows
    ]
