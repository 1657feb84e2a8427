"""The account itself: password, sign-ins, refresh schedule and deleting everything.

Every user-owned table references users.id with ON DELETE CASCADE, so deleting the
user row deletes the user's data in one statement; the shared video and transcript
caches hold nothing personal and stay.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.models import REFRESH_SCHEDULES, AuthSession, User
from app.security import hash_password, token_digest, verify_password


class WrongPassword(Exception):
    """The current password given to confirm a change does not match."""


def password_change(session: Session, *, user: User, current: str, new: str, keep_token: str | None = None) -> int:
    """Set a new password after checking the current one; signs out every other sign-in.

    Returns how many other sign-ins were ended. Raises WrongPassword.
    """
    if not verify_password(current, user.password_hash):
        raise WrongPassword
    user.password_hash = hash_password(new)
    session.flush()
    return sessions_revoke_all(session, user=user, keep_token=keep_token)


def sessions_revoke_all(session: Session, *, user: User, keep_token: str | None = None) -> int:
    """End the user's sign-ins on every device (all but `keep_token`'s, when given); returns how many."""
    statement = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep_token is not None:
        statement = statement.where(AuthSession.id != token_digest(keep_token))
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def schedule_set(session: Session, *, user: User, schedule: str, hour: int) -> None:
    """Set the automatic refresh: off, daily or weekly, at an hour of the day (UTC)."""
    if schedule not in REFRESH_SCHEDULES:
        raise ValueError(f"Choose one of: {', '.join(REFRESH_SCHEDULES)}.")
    if not 0 <= hour <= 23:
        raise ValueError("The hour must be between 0 and 23.")
    user.refresh_schedule = schedule
    user.refresh_hour = hour
    session.flush()


def account_delete(session: Session, *, user: User) -> None:
    """Delete the account and, by cascade, every row the user owns."""
    session.execute(delete(User).where(User.id == user.id))
