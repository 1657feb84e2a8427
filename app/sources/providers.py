"""Chooses the video and transcript providers that OPENREC_VIDEO_SOURCE selects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.demo import SAMPLE_CATALOG
from app.sources.base import SourceError, TranscriptSource, VideoSource
from app.sources.catalog import CatalogSource
from app.sources.offline import OfflineFallback
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


@dataclass(frozen=True)
class RunSources:
    """Where one run finds videos and transcripts, and a note for its log when that is not YouTube."""

    videos: VideoSource
    transcripts: TranscriptSource
    note: str = ""


def run_sources(
    settings: Settings,
    videos: VideoSource | None = None,
    transcripts: TranscriptSource | None = None,
    *,
    sample_only: bool = False,
) -> RunSources:
    """The given sources, else the configured ones; YouTube through yt-dlp falls back to the sample catalog
    when it cannot be reached, and `sample_only` (the demo run) reads the sample catalog from the start unless
    the server searches YouTube through the Data API: the demo archive is about the sample catalog's topics."""
    if videos is not None and transcripts is not None:
        return RunSources(videos, transcripts)
    if sample_only and settings.openrec_video_source != "api":
        sample = CatalogSource.from_path(SAMPLE_CATALOG)
        note = "Demo run: videos come from the bundled sample catalog, not from YouTube."
        return RunSources(videos or sample, transcripts or sample, note)
    primary = RunSources(videos or get_video_source(settings), transcripts or get_transcript_source(settings))
    if videos is None and transcripts is None and settings.openrec_video_source == "ytdlp":
        both = OfflineFallback(primary.videos, primary.transcripts, CatalogSource.from_path(SAMPLE_CATALOG))
        return RunSources(both, both)
    return primary
