"""What the user told us, gathered for a run: instructions, feedback, hidden channels, seen videos, interests."""

from __future__ import annotations

from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DEFAULT_FEED_SIZE, CustomInstruction, Feedback, HiddenChannel, Recommendation, User, Video
from app.schemas import FeedbackReason, FeedbackSignal, Preferences
from app.services.interest_controls import interest_controls

MAX_INSTRUCTIONS_CHARS = 2000
MAX_FEEDBACK_SIGNALS = 200
_REASONS = frozenset(get_args(FeedbackReason))


class InstructionsTooLong(ValueError):
    """Custom instructions longer than MAX_INSTRUCTIONS_CHARS."""


def instructions_get(session: Session, *, user: User) -> str:
    """The custom instructions in force (the newest), or an empty string."""
    return _instructions_of(session, user_id=user.id)


def _instructions_of(session: Session, *, user_id: int) -> str:
    text = session.scalar(
        select(CustomInstruction.text)
        .where(CustomInstruction.user_id == user_id)
        .order_by(CustomInstruction.created_at.desc(), CustomInstruction.id.desc())
        .limit(1)
    )
    return text or ""


def instructions_set(session: Session, *, user: User, text: str) -> CustomInstruction:
    """Record new custom instructions (an empty text clears them); the history is kept."""
    text = text.strip()
    if len(text) > MAX_INSTRUCTIONS_CHARS:
        raise InstructionsTooLong(f"instructions are limited to {MAX_INSTRUCTIONS_CHARS} characters, got {len(text)}")
    row = CustomInstruction(user_id=user.id, text=text)
    session.add(row)
    session.flush()
    return row


def preferences_build(session: Session, *, user_id: int, run_id: int | None = None) -> Preferences:
    """Everything a run needs to honour the user's wishes.

    Seen videos are those recommended by the user's other runs (`run_id` is the run
    being built, whose own recommendations do not count).
    """
    feedback_rows = session.execute(
        select(Feedback.vote, Feedback.reason, Recommendation.interest, Video.id, Video.title, Video.channel)
        .join(Recommendation, Recommendation.id == Feedback.recommendation_id)
        .join(Video, Video.id == Recommendation.video_id)
        .where(Feedback.user_id == user_id)
        .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
        .limit(MAX_FEEDBACK_SIGNALS)
    ).all()
    feedback = [
        FeedbackSignal(
            video_id=video_id,
            title=title,
            channel=channel,
            interest=interest,
            vote=1 if vote > 0 else -1,
            reason=reason if reason in _REASONS else None,
        )
        for vote, reason, interest, video_id, title, channel in feedback_rows
    ]
    hidden = session.scalars(
        select(HiddenChannel.channel).where(HiddenChannel.user_id == user_id).order_by(HiddenChannel.id)
    ).all()
    seen_query = select(Recommendation.video_id).where(Recommendation.user_id == user_id).distinct()
    if run_id is not None:
        seen_query = seen_query.where(Recommendation.run_id != run_id)
    user = session.get(User, user_id)
    return Preferences(
        instructions=_instructions_of(session, user_id=user_id),
        feedback=feedback,
        hidden_channels=list(hidden),
        seen_video_ids=sorted(session.scalars(seen_query).all()),
        interests=interest_controls(session, user_id=user_id, run_id=run_id),
        feed_size=user.feed_size if user is not None else DEFAULT_FEED_SIZE,
    )
