"""Imports of engagement (X archive, X API, pasted text) into a user's tweet store.

Every source is read and validated completely before anything is written, then the
records go in with bulk `INSERT … ON CONFLICT (user_id, tweet_id) DO NOTHING`, so a
re-import adds nothing and a refused import leaves the user's data as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ImportJob, Tweet, User
from app.sources.paste import parse_paste
from app.sources.tweet_records import RecordBatch, TweetRecord
from app.sources.x_api import XApiResult
from app.sources.x_archive import ArchiveLimits, parse_archive

INSERT_CHUNK_ROWS = 2_000
SKIP_ALREADY_STORED = "already imported before"
_FILENAME_CHARS = 255


def import_archive(
    session: Session,
    *,
    user: User,
    data: bytes | BinaryIO,
    filename: str | None = None,
    limits: ArchiveLimits | None = None,
) -> ImportJob:
    """Import an X archive ZIP; raises ArchiveError (nothing written) when it is refused."""
    parsed = parse_archive(data, limits=limits)
    if parsed.account is not None:
        user.x_username = parsed.account.username or user.x_username
        user.x_display_name = parsed.account.display_name or user.x_display_name
    return _store(
        session,
        user=user,
        source="archive",
        batch=parsed,
        filename=filename,
        account_username=parsed.account.username if parsed.account else None,
    )


def import_x_api(session: Session, *, user: User, fetched: XApiResult) -> ImportJob:
    """Store what `XApiClient.fetch_account` fetched (the network is used before, not inside, this call)."""
    user.x_username = fetched.user.username
    user.x_display_name = fetched.user.name or user.x_display_name
    return _store(session, user=user, source="x_api", batch=fetched.batch, account_username=fetched.user.username)


def import_paste(session: Session, *, user: User, text: str) -> ImportJob:
    """Store pasted tweets or notes, one per line or per blank-line-separated block; raises PasteError."""
    return _store(session, user=user, source="paste", batch=parse_paste(text, now=utcnow()))


def import_failure_record(
    session: Session, *, user: User, source: str, error: str, filename: str | None = None
) -> ImportJob:
    """Remember a refused import (after the caller rolled back its work) so the import history shows it."""
    now = utcnow()
    job = ImportJob(
        user_id=user.id,
        source=source,
        status="failed",
        filename=_short_filename(filename),
        counts={},
        skipped={},
        error=error,
        created_at=now,
        finished_at=now,
    )
    session.add(job)
    session.flush()
    return job


def import_job_get(session: Session, *, user: User, job_id: int) -> ImportJob | None:
    """One of the user's imports (None for someone else's)."""
    job = session.get(ImportJob, job_id)
    return job if job is not None and job.user_id == user.id else None


def engagement_counts(session: Session, *, user: User) -> dict[str, int]:
    """How many items of each kind the user has stored."""
    query = select(Tweet.kind, func.count()).where(Tweet.user_id == user.id).group_by(Tweet.kind)
    return dict(session.execute(query).all())


def imports_list(session: Session, *, user: User, limit: int = 20) -> Sequence[ImportJob]:
    """The user's most recent imports, newest first."""
    query = select(ImportJob).where(ImportJob.user_id == user.id).order_by(ImportJob.id.desc()).limit(limit)
    return session.scalars(query).all()


def _store(
    session: Session,
    *,
    user: User,
    source: str,
    batch: RecordBatch,
    filename: str | None = None,
    account_username: str | None = None,
) -> ImportJob:
    now = utcnow()
    added = _insert_new(session, user_id=user.id, records=batch.items, source=source, now=now)
    skipped = dict(batch.skipped)
    already = len(batch.items) - sum(added.values())
    if already:
        skipped[SKIP_ALREADY_STORED] = already
    job = ImportJob(
        user_id=user.id,
        source=source,
        status="succeeded",
        filename=_short_filename(filename),
        account_username=account_username,
        counts={kind: added[kind] for kind in sorted(batch.counts())},
        skipped=skipped,
        created_at=now,
        finished_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def _insert_new(
    session: Session, *, user_id: int, records: Sequence[TweetRecord], source: str, now: datetime
) -> Counter[str]:
    """Insert the records a user does not have yet, in chunks; returns how many were added per kind."""
    table = cast(Table, Tweet.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise NotImplementedError(f"bulk import supports SQLite and PostgreSQL, not {dialect}")
    statement = statement.on_conflict_do_nothing(index_elements=["user_id", "tweet_id"]).returning(table.c.kind)
    added: Counter[str] = Counter()
    for chunk in _chunks(records, INSERT_CHUNK_ROWS):
        rows = [
            {
                "user_id": user_id,
                "tweet_id": record.tweet_id,
                "kind": record.kind,
                "text": record.text,
                "created_at": record.created_at,
                "url": record.url,
                "like_order": record.like_order,
                "lang": record.lang,
                "source": source,
                "imported_at": now,
            }
            for record in chunk
        ]
        added.update(session.execute(statement, rows).scalars())
    return added


def _chunks(records: Sequence[TweetRecord], size: int) -> Iterator[Sequence[TweetRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _short_filename(filename: str | None) -> str | None:
    return filename[-_FILENAME_CHARS:] if filename else None
