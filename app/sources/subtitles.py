"""Captions through yt-dlp, for videos whose captions youtube-transcript-api cannot fetch.

yt-dlp lists a video's subtitle tracks (written by a person, or YouTube's automatic
ones) and downloads the chosen track as WebVTT through its own HTTP stack, so the
configured proxy and cookies apply. Automatic captions are written as "roll-up" cues:
each cue repeats the line before it, and a 10 ms cue in between shows the line
alone; only the first appearance of each line is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import structlog
import webvtt
import yt_dlp
from webvtt.errors import MalformedFileError
from yt_dlp.utils import YoutubeDLError

from app.schemas import Segment, TranscriptData
from app.sources.base import (
    CaptionsAbsent,
    TranscriptBlocked,
    TranscriptSource,
    TranscriptUnavailable,
    TranscriptUnreachable,
)
from app.sources.youtube import DEFAULT_TIMEOUT_S, http_status, is_bot_check, no_answer, ytdlp_failure, ytdlp_options

log = structlog.get_logger("openrec.sources")

ENGLISH_CODE = re.compile(r"en(-[A-Za-z]+)?")
# Automatic captions: `en-orig` is the recognised speech itself, `en` may be a translation of it.
CODE_PREFERENCE = {"en-orig": 0, "en": 1}
BLOCKED_REASON = (
    "YouTube refused yt-dlp's request from this server's IP (too many requests, or it asks to confirm it is not a bot)"
)


class SubtitleDL(Protocol):
    """The part of `yt_dlp.YoutubeDL` subtitles use."""

    def extract_info(self, url: str, download: bool = ...) -> Any: ...

    def urlopen(self, req: Any) -> Any: ...

    def close(self) -> None: ...


class YtDlpSubtitles:
    """A TranscriptSource reading the English WebVTT subtitles yt-dlp lists for a video."""

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        network: Mapping[str, Any] | None = None,
        ydl_factory: Callable[[dict[str, Any]], SubtitleDL] = yt_dlp.YoutubeDL,
    ) -> None:
        self._options = ytdlp_options(timeout_s, network or {})
        self._ydl_factory = ydl_factory

    def fetch(self, video_id: str) -> TranscriptData:
        ydl = self._ydl_factory(self._options)
        try:
            info = ydl.extract_info(f"https://www.youtube.com/watch?v={video_id}", download=False) or {}
            track = english_vtt_track(info)
            if track is None:
                raise TranscriptUnavailable(video_id, "yt-dlp lists no English subtitles in WebVTT")
            code, generated, url = track
            with ydl.urlopen(url) as response:
                text = response.read().decode("utf-8", errors="replace")
        except (YoutubeDLError, OSError) as exc:
            failure = ytdlp_failure(exc)
            if is_bot_check(failure) or http_status(exc) == 429:
                raise TranscriptBlocked(video_id, BLOCKED_REASON) from exc
            if (reason := no_answer(exc)) is not None:  # the way to YouTube failed, not the video
                raise TranscriptUnreachable(video_id, reason) from exc
            raise TranscriptUnavailable(video_id, f"yt-dlp could not fetch subtitles: {failure}") from exc
        finally:
            ydl.close()
        try:
            segments = parse_vtt(text, rolling=generated)
        except MalformedFileError as exc:
            raise TranscriptUnavailable(video_id, "the subtitles yt-dlp fetched are not valid WebVTT") from exc
        if not segments:
            raise TranscriptUnavailable(video_id, "the captions are empty")
        return TranscriptData(video_id=video_id, language_code=code, is_generated=generated, segments=segments)


def english_vtt_track(info: Mapping[str, Any]) -> tuple[str, bool, str] | None:
    """(language code, generated, URL) of the best English WebVTT track: written by a person first."""
    for key, generated in (("subtitles", False), ("automatic_captions", True)):
        tracks = info.get(key)
        if not isinstance(tracks, dict):
            continue
        codes = sorted(
            (code for code in tracks if isinstance(code, str) and ENGLISH_CODE.fullmatch(code)),
            key=lambda code: (CODE_PREFERENCE.get(code, 2), code),
        )
        for code in codes:
            formats = tracks[code] if isinstance(tracks[code], list) else []
            for fmt in formats:
                if isinstance(fmt, dict) and fmt.get("ext") == "vtt" and isinstance(fmt.get("url"), str):
                    return code.removesuffix("-orig"), generated, fmt["url"]
    return None


def parse_vtt(text: str, *, rolling: bool) -> list[Segment]:
    """Timed segments of a WebVTT file; with `rolling`, each line is kept only where it first appears."""
    segments: list[Segment] = []
    previous: set[str] = set()
    for caption in webvtt.from_string(text.lstrip("\ufeff")).captions:
        lines = [" ".join(line.split()) for line in caption.text.splitlines()]
        lines = [line for line in lines if line]
        fresh = [line for line in lines if line not in previous] if rolling else lines
        if rolling:
            previous = set(lines)
        if not fresh:
            continue
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        segments.append(Segment(text=" ".join(fresh), start=start, duration=round(max(end - start, 0.0), 3)))
    return segments


class FallbackTranscripts:
    """Captions from youtube-transcript-api, else from the subtitles yt-dlp lists for the video.

    When both fail, the first source's reason is kept (it says most about the video),
    unless the second was blocked (a blocked server is what the operator must hear about) or got no
    answer at all: then nothing is known of the video yet, and its outcome must not be remembered.
    Captions the first source found absent (disabled, none in English) are not asked for again.
    """

    def __init__(self, primary: TranscriptSource, secondary: TranscriptSource) -> None:
        self._primary = primary
        self._secondary = secondary

    def fetch(self, video_id: str) -> TranscriptData:
        try:
            return self._primary.fetch(video_id)
        except CaptionsAbsent:
            raise
        except TranscriptUnavailable as first:
            try:
                found = self._secondary.fetch(video_id)
            except TranscriptBlocked:
                raise
            except TranscriptUnavailable as second:
                log.debug("subtitles_unavailable", video_id=video_id, reason=second.reason)
                raise (second if second.transient and not first.transient else first) from None
            log.info("subtitles_from_ytdlp", video_id=video_id, after=first.reason)
            return found
