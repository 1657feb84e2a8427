"""Accounts: create users, find them, sign-in sessions and personal API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ApiToken, AuthSession, User
from app.security import API_TOKEN_PREFIX, hash_password, new_token, token_digest, verify_password


class EmailTaken(Exception):
    """Sign-up with an address that already has an account."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def user_create(session: Session, *, email: str, password: str) -> User:
    """Create an account; raises EmailTaken when the address is in use."""
    email = normalize_email(email)
    if user_by_email(session, email=email) is not None:
        raise EmailTaken(email)
    user = User(email=email, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def user_authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The user when email and password match; None otherwise, in uniform time."""
    user = user_by_email(session, email=email)
    if not verify_password(password, user.password_hash if user else None):
        return None
    return user


def session_create(session: Session, *, user: User, days: int) -> str:
    """Start a sign-in and return the raw token for the cookie (only its digest is stored)."""
    token = new_token()
    session.add(AuthSession(id=token_digest(token), user_id=user.id, expires_at=utcnow() + timedelta(days=days)))
    session.flush()
    return token


@dataclass(frozen=True, slots=True)
class Account:
    """Who a request is signed in as, and the version of their feed data: all a kept feed page needs."""

    id: int
    created_at: datetime
    feed_version: int

    @classmethod
    def of(cls, user: User) -> Account:
        return cls(user.id, user.created_at, user.feed_version)


# Built once: every signed-in request runs one, binding only the token's digest and the time.
_LIVE_SESSION = (AuthSession.id == bindparam("digest"), AuthSession.expires_at > bindparam("now"))
_SESSION_USER = select(User).join(AuthSession, AuthSession.user_id == User.id).where(*_LIVE_SESSION)
_SESSION_ACCOUNT = (
    select(User.id, User.created_at, User.feed_version)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(*_LIVE_SESSION)
)


def session_user(session: Session, *, token: str) -> User | None:
    """The user signed in by this session token, if it is live (one query: every request asks)."""
    return session.scalar(_SESSION_USER, {"digest": token_digest(token), "now": utcnow()})


def session_account(connection: Connection, *, token: str) -> Account | None:
    """The account signed in by this session token, if it is live: the same check as `session_user`, on a bare
    connection (no ORM session, no entity: less than half the cost, for the feed's kept pages)."""
    row = connection.execute(_SESSION_ACCOUNT, {"digest": token_digest(token), "now": utcnow()}).one_or_none()
    return None if row is None else Account(row.id, row.created_at, row.feed_version)


def session_delete(session: Session, *, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.id == token_digest(token)))


def api_token_create(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the raw token is returned once and never stored."""
    raw = API_TOKEN_PREFIX + new_token()
    row = ApiToken(user_id=user.id, name=name.strip()[:100] or "token", token_hash=token_digest(raw), prefix=raw[:10])
    session.add(row)
    session.flush()
    return row, raw


def api_token_list(session: Session, *, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
        )
    )


def api_token_revoke(session: Session, *, user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


# Last use is shown to the minute: recording it more often would make every API read a write.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def api_token_user(session: Session, *, raw: str) -> tuple[User | None, int | None]:
    """The token's user, and the token's id when its last use is due to be recorded (`api_token_touch`)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if row is None or row.revoked_at is not None:
        return None, None
    due = row.last_used_at is None or row.last_used_at <= utcnow() - TOKEN_USE_RESOLUTION
    return session.get(User, row.user_id), row.id if due else None


def api_token_touch(session: Session, *, token_id: int) -> None:
    """Record that the token was used now."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
