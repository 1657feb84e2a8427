"""Video metadata and the transcript cache, both shared by all users.

A transcript is fetched once per video and kept; a failure is kept too (with its
reason) so a video without captions is not asked for again on every run, but only
for `TRANSCRIPT_ERROR_TTL`, since some failures (rate limits, blocks) pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Transcript, Video
from app.schemas import Candidate, Segment, TranscriptData
from app.sources.base import TranscriptUnavailable

TRANSCRIPT_ERROR_TTL = timedelta(hours=6)
ERROR_LANGUAGE = ""  # language_code of the row that remembers a failure


def videos_upsert(session: Session, *, candidates: Sequence[Candidate]) -> None:
    """Create or refresh the Video row of each candidate; fields the source did not give are kept."""
    for candidate in candidates:
        video = session.get(Video, candidate.video_id)
        if video is None:
            try:
                with session.begin_nested():
                    session.add(_fill(Video(id=candidate.video_id), candidate))
                continue
            except IntegrityError:  # another run inserted it meanwhile
                video = session.get(Video, candidate.video_id)
                if video is None:
                    raise
        _fill(video, candidate)
    session.flush()


def _fill(video: Video, candidate: Candidate) -> Video:
    video.title = candidate.title or video.title or ""
    video.channel = (candidate.channel or video.channel or "")[:200]
    video.description = candidate.description or video.description or ""
    if candidate.published_at is not None:
        video.published_at = candidate.published_at
    if candidate.duration_s is not None:
        video.duration_s = candidate.duration_s
    if candidate.view_count is not None:
        video.view_count = candidate.view_count
    if candidate.like_count is not None:
        video.like_count = candidate.like_count
    return video


def transcript_cached(session: Session, *, video_id: str) -> TranscriptData | TranscriptUnavailable | None:
    """The cached transcript, the cached (recent) reason there is none, or None when it must be fetched."""
    rows = session.scalars(select(Transcript).where(Transcript.video_id == video_id).order_by(Transcript.id)).all()
    for row in rows:
        if row.error is None:
            return TranscriptData(
                video_id=video_id,
                language_code=row.language_code,
                is_generated=row.is_generated,
                segments=[Segment.model_validate(s) for s in row.segments],
            )
    for row in rows:
        if row.error is not None and row.fetched_at > utcnow() - TRANSCRIPT_ERROR_TTL:
            return TranscriptUnavailable(video_id, row.error)
    return None


def transcript_save(session: Session, *, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None:
    """Remember a fetched transcript (replacing a remembered failure) or the reason none could be had.

    The video row must exist (see `videos_upsert`). Saving what another run saved a
    moment earlier is not an error.
    """
    if isinstance(outcome, TranscriptData):
        session.execute(delete(Transcript).where(Transcript.video_id == video_id, Transcript.error.is_not(None)))
        language, values = (
            outcome.language_code or "und",
            {
                "is_generated": outcome.is_generated,
                "segments": [s.model_dump() for s in outcome.segments],
                "error": None,
            },
        )
    else:
        language, values = ERROR_LANGUAGE, {"is_generated": False, "segments": [], "error": outcome.reason}
    row = session.scalar(
        select(Transcript).where(Transcript.video_id == video_id, Transcript.language_code == language)
    )
    if row is None:
        try:
            with session.begin_nested():
                session.add(Transcript(video_id=video_id, language_code=language, fetched_at=utcnow(), **values))
        except IntegrityError:
            return  # saved concurrently by another run
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.fetched_at = utcnow()
    session.flush()


def video_titles(session: Session, *, video_ids: Sequence[str]) -> dict[str, str]:
    """The titles of the stored videos among `video_ids` (others are left out)."""
    wanted = sorted({v for v in video_ids if v})
    if not wanted:
        return {}
    rows = session.execute(select(Video.id, Video.title).where(Video.id.in_(wanted), Video.title != ""))
    return {str(video_id): str(title) for video_id, title in rows}
