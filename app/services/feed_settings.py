"""How big the user's feed is, and the secret that lets a feed reader follow it."""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import FEED_SIZES, User

FEED_TOKEN_BYTES = 24
# The export formats: kind -> (file name in the URL, media type).
FEED_FORMATS = {
    "rss": ("clips.rss", "application/rss+xml; charset=utf-8"),
    "atom": ("clips.atom", "application/atom+xml; charset=utf-8"),
    "json": ("clips.json", "application/feed+json; charset=utf-8"),
}


class FeedSizeError(ValueError):
    """A feed size outside FEED_SIZES; the message says the range."""


def feed_size_set(session: Session, *, user: User, size: int) -> None:
    """Clips per run from the next run on; raises FeedSizeError outside 10-50."""
    low, high = FEED_SIZES
    if not low <= size <= high:
        raise FeedSizeError(f"Choose between {low} and {high} clips per run.")
    user.feed_size = size
    session.flush()


def feed_token(session: Session, *, user: User) -> str:
    """The secret of the user's export URLs, made on first use."""
    if user.feed_token is None:
        return feed_token_rotate(session, user=user)
    return user.feed_token


def feed_token_rotate(session: Session, *, user: User) -> str:
    """A new secret: the old export URLs stop working at once."""
    user.feed_token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    session.flush()
    return user.feed_token


def user_by_feed_token(session: Session, *, token: str) -> User | None:
    """The owner of an export URL's secret (None for an unknown or revoked one)."""
    if not token or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.feed_token == token))
    # The lookup is by index; compare again in constant time so timing says nothing about near misses.
    return user if user is not None and hmac.compare_digest(user.feed_token or "", token) else None


def feed_urls(settings: Settings, token: str) -> dict[str, str]:
    """The absolute export URLs (RSS, Atom, JSON Feed, in that order) on the public base URL."""
    return {kind: f"{settings.public_url}/feeds/{token}/{name}" for kind, (name, _) in FEED_FORMATS.items()}
