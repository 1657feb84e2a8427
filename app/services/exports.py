"""What leaves the app: the newest clips for feed readers and the clips the user liked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Feedback, Recommendation, User
from app.services.feed import FeedEntry, feed_entry, feed_page

EXPORT_ITEMS = 50  # a feed reader sees the newest clips, as many as the largest feed


@dataclass(frozen=True)
class ExportEntry:
    entry: FeedEntry
    published: datetime


def export_entries(session: Session, *, user: User, limit: int = EXPORT_ITEMS) -> list[ExportEntry]:
    """The newest clips of the feed, in feed order (hidden channels left out, as in the app), with their dates."""
    items = feed_page(session, user=user, limit=limit).items
    ids = [item.recommendation_id for item in items]
    rows = session.execute(select(Recommendation.id, Recommendation.created_at).where(Recommendation.id.in_(ids)))
    dates = dict(rows.all())
    return [ExportEntry(item, dates[item.recommendation_id]) for item in items]


def liked_entries(session: Session, *, user: User) -> list[FeedEntry]:
    """Every clip the user gave a thumbs up, most recently liked first."""
    ids = session.scalars(
        select(Feedback.recommendation_id)
        .join(Recommendation, Recommendation.id == Feedback.recommendation_id)
        .where(Feedback.user_id == user.id, Feedback.vote > 0)
        .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
    ).all()
    entries = (feed_entry(session, user=user, recommendation_id=rec_id) for rec_id in ids)
    return [entry for entry in entries if entry is not None]
