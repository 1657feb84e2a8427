"""FastAPI dependencies as Annotated aliases: the database session and the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import MAX_INTEGER, SQLITE_POOL_SIZE, get_sessionmaker, lookups_engine, write_next
from app.models import User
from app.security import SESSION_COOKIE, unsign_session
from app.services.users import Account, api_token_touch, api_token_user, session_account, session_user

# A row id beyond what an INTEGER column holds names no row and must not reach a query.
RowId = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
OptionalRowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_INTEGER)]


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


# Threads that give connections back to the pool, apart from the threads handlers run on (one set per event loop).
_CLOSING: RunVar[anyio.CapacityLimiter] = RunVar("openrec_closing")


def _closing() -> anyio.CapacityLimiter:
    try:
        return _CLOSING.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(SQLITE_POOL_SIZE)
        _CLOSING.set(limiter)
        return limiter


# Requests that by HTTP's rules change nothing; their sessions never take SQLite's write lock.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the handler commits what it changed.

    Safe requests read in deferred transactions, so any number of them proceed while a
    run or a vote holds the write lock; the others begin IMMEDIATE and queue for it.
    Opening a session does no I/O, so it happens on the event loop rather than costing a
    trip to a worker thread; closing one that still holds a connection rolls it back, in a
    thread of its own (`_closing`): were it to wait for a handler's thread, handlers waiting
    for a connection could hold every thread while the connections wait to be given back.
    """
    session = get_sessionmaker(reads_only=request.method in SAFE_METHODS)()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=_closing())
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def _resolve_user(request: Request, session: Session) -> User | None:
    if _bearer(request):
        user, used = api_token_user(session, raw=request.headers["authorization"][7:].strip())
        if used is not None:
            write_next(session)
            api_token_touch(session, token_id=used)
            session.commit()
        return user
    token = _session_token(request)
    return session_user(session, token=token) if token else None


def _session_token(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return unsign_session(request.app.state.settings, cookie) if cookie else None


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def optional_user(request: Request, session: SessionDep) -> User | None:
    user = _resolve_user(request, session)
    # End the read, so the connection goes back to the pool before the handler waits for a thread:
    # requests queued for threads while holding connections would starve the threads waiting for one.
    session.commit()
    request.state.user = user
    request.state.user_id = user.id if user else None
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def optional_account(request: Request) -> Account | None:
    """Who is signed in, for a route that may answer without loading the user: a kept feed page.

    A session cookie is checked with one query on a connection of its own, without an ORM
    session (less than half the cost of `optional_user`); an API token as `optional_user`
    checks it, its use recorded.
    """
    if _bearer(request):
        with get_sessionmaker(reads_only=True)() as session:
            user = _resolve_user(request, session)
            account = Account.of(user) if user else None
    else:
        token = _session_token(request)
        account = None
        if token:
            with lookups_engine().connect() as connection:
                account = session_account(connection, token=token)
    request.state.user_id = account.id if account else None
    return account


OptionalAccount = Annotated[Account | None, Depends(optional_account)]


@contextmanager
def reading_as(request: Request, account: Account) -> Iterator[tuple[Session, User]]:
    """A session that only reads, and the signed-in user in it, for a route that began with the account alone and
    must render after all (on a handler's thread)."""
    with get_sessionmaker(reads_only=True)() as session:
        user = session.get(User, account.id)
        if user is None:  # deleted since the account was read
            raise LoginRequired
        request.state.user = user
        yield session, user


async def page_user(user: OptionalUser) -> User:
    """The signed-in user of an HTML page; anonymous visitors are sent to sign in."""
    if user is None:
        raise LoginRequired
    return user


API_SIGN_IN = "Sign in or send an API token."


def _api_sign_in() -> HTTPException:
    return HTTPException(status_code=401, detail=API_SIGN_IN, headers={"WWW-Authenticate": "Bearer"})


async def api_user(user: OptionalUser) -> User:
    """The user of a JSON request, by session cookie or `Authorization: Bearer` token."""
    if user is None:
        raise _api_sign_in()
    return user


async def api_account(account: OptionalAccount) -> Account:
    """The account of a JSON request that may answer without loading the user, as `api_user` finds it."""
    if account is None:
        raise _api_sign_in()
    return account


CurrentUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
ApiAccount = Annotated[Account, Depends(api_account)]
