"""Chooses the video and transcript providers that OPENREC_VIDEO_SOURCE selects."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.sources.base import SourceError, TranscriptSource, VideoSource
from app.sources.catalog import CatalogSource
from app.sources.subtitles import FallbackTranscripts, YtDlpSubtitles
from app.sources.transcripts import YouTubeTranscripts
from app.sources.youtube import YouTubeApiSource, YtDlpSource
from app.sources.youtube_network import transcript_proxy, ytdlp_network_options


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
        return YouTubeApiSource(
            settings.youtube_api_key,
            base_url=settings.youtube_api_base_url,
            max_retries=settings.youtube_api_max_retries,
        )
    if settings.openrec_video_source == "catalog":
        return _catalog(settings)
    return YtDlpSource(network=ytdlp_network_options(settings))


def get_transcript_source(settings: Settings) -> TranscriptSource:
    """A catalog carries its own transcripts; YouTube videos get theirs from YouTube's captions, else yt-dlp's."""
    if settings.openrec_video_source == "catalog":
        return _catalog(settings)
    return FallbackTranscripts(
        YouTubeTranscripts(proxy=transcript_proxy(settings)),
        YtDlpSubtitles(network=ytdlp_network_options(settings)),
    )


def _catalog(settings: Settings) -> CatalogSource:
    if not settings.openrec_catalog:
        raise SourceNotConfigured("OPENREC_VIDEO_SOURCE=catalog needs OPENREC_CATALOG, the path of a catalog JSON file")
    return CatalogSource.from_path(Path(settings.openrec_catalog))
