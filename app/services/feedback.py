"""Votes on clips and hidden channels: what the next run learns from.

Every function is scoped to the user: a recommendation of another user is reported
as not found, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import FEEDBACK_REASONS, Feedback, HiddenChannel, Recommendation, User, Video

VOTE_VALUES = {"up": 1, "down": -1}
MAX_CHANNEL_CHARS = 200


class RecommendationNotFound(LookupError):
    """No such recommendation among the user's."""


class InvalidFeedback(ValueError):
    """A reason that is not one of FEEDBACK_REASONS, or a reason given with a thumbs up."""


def _own_recommendation_id(session: Session, *, user: User, recommendation_id: int) -> int:
    found = session.scalar(
        select(Recommendation.id).where(Recommendation.id == recommendation_id, Recommendation.user_id == user.id)
    )
    if found is None:
        raise RecommendationNotFound(recommendation_id)
    return found


def feedback_set(
    session: Session,
    *,
    user: User,
    recommendation_id: int,
    vote: Literal["up", "down"],
    reason: str | None = None,
) -> Feedback:
    """Vote on one of the user's clips, or change the vote; a reason may only come with a thumbs down."""
    if reason is not None and reason not in FEEDBACK_REASONS:
        raise InvalidFeedback(f"Unknown reason {reason!r}: choose one of {', '.join(FEEDBACK_REASONS)}.")
    if reason is not None and vote != "down":
        raise InvalidFeedback("A reason goes with a thumbs down only.")
    _own_recommendation_id(session, user=user, recommendation_id=recommendation_id)
    value = VOTE_VALUES[vote]
    row = session.scalar(
        select(Feedback).where(Feedback.user_id == user.id, Feedback.recommendation_id == recommendation_id)
    )
    if row is None:
        row = Feedback(user_id=user.id, recommendation_id=recommendation_id, vote=value, reason=reason)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # the same vote arrived twice at once: update the one that won
            row = session.scalars(
                select(Feedback).where(Feedback.user_id == user.id, Feedback.recommendation_id == recommendation_id)
            ).one()
    row.vote, row.reason = value, reason
    session.flush()
    return row


def feedback_clear(session: Session, *, user: User, recommendation_id: int) -> None:
    """Take back the vote on one of the user's clips (nothing to do when there is none)."""
    _own_recommendation_id(session, user=user, recommendation_id=recommendation_id)
    session.execute(
        delete(Feedback).where(Feedback.user_id == user.id, Feedback.recommendation_id == recommendation_id)
    )
    session.flush()


def recommendation_channel(session: Session, *, user: User, recommendation_id: int) -> str:
    """The channel of one of the user's clips."""
    channel = session.scalar(
        select(Video.channel)
        .join(Recommendation, Recommendation.video_id == Video.id)
        .where(Recommendation.id == recommendation_id, Recommendation.user_id == user.id)
    )
    if channel is None:
        raise RecommendationNotFound(recommendation_id)
    return channel


def channel_hide(session: Session, *, user: User, channel: str) -> None:
    """Hide a channel (named exactly as its videos name it) from the feed and the next runs; idempotent."""
    if not channel.strip() or len(channel) > MAX_CHANNEL_CHARS:
        raise ValueError(f"A channel name is 1 to {MAX_CHANNEL_CHARS} characters.")
    exists = session.scalar(
        select(HiddenChannel.id).where(HiddenChannel.user_id == user.id, HiddenChannel.channel == channel)
    )
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(HiddenChannel(user_id=user.id, channel=channel))
    except IntegrityError:  # hidden by a concurrent request
        pass
    session.flush()


def channel_unhide(session: Session, *, user: User, channel: str) -> bool:
    """Show a hidden channel again; False when it was not hidden."""
    result = session.execute(
        delete(HiddenChannel).where(HiddenChannel.user_id == user.id, HiddenChannel.channel == channel)
    )
    session.flush()
    return bool(getattr(result, "rowcount", 0))


def hidden_channels_list(session: Session, *, user: User) -> list[str]:
    """The user's hidden channels, in the order they were hidden."""
    return list(
        session.scalars(
            select(HiddenChannel.channel).where(HiddenChannel.user_id == user.id).order_by(HiddenChannel.id)
        )
    )
