"""The offline video source: a catalog file that answers searches and supplies transcripts.

Format (PRODUCT.md): `{"videos": [{"id", "title", "channel", "description",
"published_at": "YYYY-MM-DD", "duration_s", "view_count", "like_count",
"transcript": [{"text", "start", "duration"}]}]}`.

Search is BM25 ranking over two fields: the metadata (title counted three times,
description twice, channel once) and the transcript, the transcript counting half as
much because most of a long video's words are not what it is about. A file is read
and indexed once per path and modification time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from app.schemas import Candidate, Segment, TranscriptData
from app.sources.base import SourceError, TranscriptUnavailable
from app.text import terms

TRANSCRIPT_FIELD_WEIGHT = 0.5
_cache: dict[tuple[str, int], CatalogSource] = {}
_cache_lock = threading.Lock()


class CatalogError(SourceError):
    """The catalog file is missing or not in the catalog format."""


@dataclass(frozen=True, slots=True)
class CatalogVideo:
    candidate: Candidate
    segments: tuple[Segment, ...]


class CatalogSource:
    """VideoSource and TranscriptSource over the videos of one catalog file."""

    name = "catalog"

    def __init__(self, videos: list[CatalogVideo]) -> None:
        self._videos = videos
        self._by_id = {v.candidate.video_id: v for v in videos}
        self._metadata = _index(
            [
                terms(v.candidate.title) * 3 + terms(v.candidate.description) * 2 + terms(v.candidate.channel)
                for v in videos
            ]
        )
        self._transcripts = _index([terms(" ".join(s.text for s in v.segments)) for v in videos])

    @classmethod
    def from_path(cls, path: str | Path) -> CatalogSource:
        """The source for a catalog file, read and indexed once per path and modification time."""
        resolved = Path(path).expanduser().resolve()
        try:
            key = (str(resolved), resolved.stat().st_mtime_ns)
        except OSError as exc:
            raise CatalogError(f"catalog file {resolved} cannot be read: {exc.strerror or exc}") from exc
        with _cache_lock:
            source = _cache.get(key)
            if source is None:
                source = cls(load_catalog(resolved))
                _cache[key] = source
        return source

    def __len__(self) -> int:
        return len(self._videos)

    def __contains__(self, video_id: object) -> bool:
        return video_id in self._by_id

    def search(self, query: str, limit: int) -> list[Candidate]:
        """Videos ranked by BM25 over metadata and transcript; videos matching no query term are left out."""
        tokens = terms(query)
        if not tokens or self._metadata is None or self._transcripts is None or limit <= 0:
            return []
        scores = self._metadata.get_scores(tokens) + TRANSCRIPT_FIELD_WEIGHT * self._transcripts.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")[:limit]
        return [self._videos[i].candidate.model_copy(update={"query": query}) for i in order if scores[i] > 0]

    def fetch(self, video_id: str) -> TranscriptData:
        """The video's transcript as the catalog stores it (treated as manual English captions)."""
        video = self._by_id.get(video_id)
        if video is None:
            raise TranscriptUnavailable(video_id, "not in the catalog")
        if not any(s.text.strip() for s in video.segments):
            raise TranscriptUnavailable(video_id, "the catalog has no transcript for this video")
        return TranscriptData(video_id=video_id, language_code="en", is_generated=False, segments=list(video.segments))


def load_catalog(path: Path) -> list[CatalogVideo]:
    """Parse a catalog file; a malformed video is an error naming it, so a bad file is fixed, not half-used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"catalog file {path} is not readable JSON: {exc}") from exc
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, list):
        raise CatalogError(f'catalog file {path} must hold an object with a "videos" list')
    return [_video(entry, position) for position, entry in enumerate(videos)]


def _video(entry: Any, position: int) -> CatalogVideo:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
        raise CatalogError(f"catalog video #{position + 1} has no id")
    try:
        candidate = Candidate(
            video_id=entry["id"],
            title=str(entry.get("title") or ""),
            channel=str(entry.get("channel") or ""),
            description=str(entry.get("description") or ""),
            published_at=date.fromisoformat(entry["published_at"]) if entry.get("published_at") else None,
            duration_s=_optional_int(entry.get("duration_s")),
            view_count=_optional_int(entry.get("view_count")),
            like_count=_optional_int(entry.get("like_count")),
        )
        segments = tuple(
            Segment(text=str(s["text"]), start=float(s["start"]), duration=float(s["duration"]))
            for s in entry.get("transcript") or []
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"catalog video {entry['id']!r} is malformed: {exc}") from exc
    return CatalogVideo(candidate=candidate, segments=segments)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _index(corpus: list[list[str]]) -> bm25s.BM25 | None:
    if not corpus:
        return None
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return index
