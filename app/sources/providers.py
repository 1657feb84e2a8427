"""Chooses the video and transcript providers that OPENREC_VIDEO_SOURCE selects."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.sources.base import SourceError, TranscriptSource, VideoSource
from app.sources.catalog import CatalogSource
from app.sources.transcripts import YouTubeTranscripts
from app.sources.youtube import YouTubeApiSource, YtDlpSource


class SourceNotConfigured(SourceError):
    """The selected provider lacks the key or file it needs: the run cannot search at all."""


def get_video_source(settings: Settings) -> VideoSource:
    """yt-dlp by default (no key); the YouTube Data API with YOUTUBE_API_KEY; or a catalog file."""
    if settings.openrec_video_source == "api":
        if not settings.youtube_api_key:
            raise SourceNotConfigured(
                "OPENREC_VIDEO_SOURCE=api needs YOUTUBE_API_KEY (a YouTube Data API v3 key); "
                "unset OPENREC_VIDEO_SOURCE to search with yt-dlp, which needs no key"
            )
        return YouTubeApiSource(settings.youtube_api_key)
    if settings.openrec_video_source == "catalog":
        return _catalog(settings)
    return YtDlpSource()


def get_transcript_source(settings: Settings) -> TranscriptSource:
    """A catalog carries its own transcripts; YouTube videos get theirs from YouTube's captions."""
    if settings.openrec_video_source == "catalog":
        return _catalog(settings)
    return YouTubeTranscripts()


def _catalog(settings: Settings) -> CatalogSource:
    if not settings.openrec_catalog:
        raise SourceNotConfigured("OPENREC_VIDEO_SOURCE=catalog needs OPENREC_CATALOG, the path of a catalog JSON file")
    return CatalogSource.from_path(Path(settings.openrec_catalog))
