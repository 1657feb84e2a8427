"""Engine, session factory, naming convention and SQLite pragmas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
MAX_INTEGER = 2**31 - 1  # INTEGER columns (ids, positions) are 32-bit on PostgreSQL
SQLITE_POOL_SIZE = 40  # more than the threads that use connections at once (handlers', runs')


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """Begin a transaction: IMMEDIATE (take the write lock) unless the unit of work only reads.

    With WAL, a deferred transaction that reads and then writes fails at once with
    "database is locked" when another connection wrote in between (the busy timeout
    does not apply to that case). IMMEDIATE makes writers queue on the busy timeout
    instead. Units of work that only read (GET requests, read-mostly test fixtures) ask
    for `sqlite_begin="DEFERRED"`: they read a snapshot and never wait for, or hold
    up, a writer. A connection that sends one read and is done asks for "NONE": the
    statement alone is atomic.
    """
    asked = conn.get_execution_options().get("sqlite_begin")
    if asked == "NONE":
        return
    mode = "DEFERRED" if asked == "DEFERRED" else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")


def without_nul(value: Any) -> Any:
    """The value with NUL characters removed from every string in it.

    Text from outside (forms, archives, model replies, video titles) may carry NUL, which no
    text means anything by and which PostgreSQL refuses in text and JSON values alike.
    """
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_nul(v) for v in value)
    return value


def _json_without_nul(value: Any) -> str:
    return json.dumps(without_nul(value))


def _parameters_without_nul(
    _conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool
) -> tuple[str, Any]:
    return statement, without_nul(parameters)


def make_engine(url: str) -> Engine:
    """An engine with the pragmas and pool settings each backend wants; no NUL reaches either backend."""
    if url.startswith("sqlite"):
        # A connection per request thread, kept: opening one costs the pragmas and a read of the schema.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=10,
            json_serializer=_json_without_nul,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN: savepoints then work.
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(  # pre-ping: a connection the server dropped is replaced, and `database_answers` asks
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json_without_nul
        )
    event.listen(engine, "before_cursor_execute", _parameters_without_nul, retval=True)
    return engine


def database_answers(engine: Engine) -> None:
    """Raise unless the database answers, at the cost of one round trip: a pooled driver connection, no
    transaction, none of the ORM's bookkeeping. PostgreSQL's pool pings a connection as it hands it out (and
    replaces a dead one), which is the check; a SQLite file is asked SELECT 1."""
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
    finally:
        connection.close()


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.database_url)


@lru_cache
def get_sessionmaker(*, reads_only: bool = False) -> sessionmaker[Session]:
    """Sessions on the shared engine; `reads_only` ones begin deferred on SQLite (see `_sqlite_begin`).

    A reads-only session may still write when nothing else does, but a write there can fail
    at once with "database is locked" under contention: units of work that write use the default.
    """
    engine = get_engine()
    bind = engine.execution_options(sqlite_begin="DEFERRED") if reads_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@lru_cache
def lookups_engine() -> Engine:
    """The shared engine, for connections that send one read and are done (who is signed in).

    One statement reads one snapshot by itself, so it runs without a transaction around it:
    on PostgreSQL the BEGIN and the ROLLBACK would be two of its four round trips, on SQLite
    a fifth of its cost (see `_sqlite_begin`).
    """
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(sqlite_begin="NONE")


def forget_engines() -> None:
    """Forget the shared engine and what is made from it, so the next use connects anew (a forked process, a
    test that changed the settings)."""
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    lookups_engine.cache_clear()


def write_next(session: Session) -> None:
    """End the session's read and start a transaction that holds SQLite's write lock from its start.

    For a reads-only unit of work that turns out to write (a token's last use): the write
    then queues on the busy timeout like any other instead of failing at once.
    """
    session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work for scripts and tasks: commit on success, roll back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
