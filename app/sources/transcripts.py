"""Timed transcripts from YouTube captions, through youtube-transcript-api.

English is preferred in this order: captions written by a person, captions generated
by YouTube, then YouTube's machine translation of another track. Every way YouTube can
refuse becomes TranscriptUnavailable with a reason for the run log, never a failed run;
a refusal because of the server's IP is TranscriptBlocked (see `youtube_network` for proxies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import ParseError

import requests
from youtube_transcript_api import (
    AgeRestricted,
    FailedToCreateConsentCookie,
    InvalidVideoId,
    NoTranscriptFound,
    PoTokenRequired,
    RequestBlocked,
    Transcript,
    TranscriptList,
    TranscriptsDisabled,
    VideoUnavailable,
    VideoUnplayable,
    YouTubeDataUnparsable,
    YouTubeRequestFailed,
    YouTubeTranscriptApi,
    YouTubeTranscriptApiException,
)
from youtube_transcript_api.proxies import ProxyConfig

from app.schemas import Segment, TranscriptData
from app.sources.base import CaptionsAbsent, TranscriptBlocked, TranscriptUnavailable, TranscriptUnreachable
from app.sources.youtube import PROXY_DOWN, unreachable

DEFAULT_TIMEOUT_S = 20.0
ENGLISH = "en"

BLOCKED_REASON = "YouTube refused the caption request from this server's IP (too many requests, or a cloud address)"
REASONS: tuple[tuple[type[YouTubeTranscriptApiException], str], ...] = (
    (TranscriptsDisabled, "captions are disabled for this video"),
    (VideoUnavailable, "the video is no longer available"),
    (InvalidVideoId, "not a YouTube video id"),
    (AgeRestricted, "the video is age-restricted; its captions need a signed-in account"),
    (PoTokenRequired, "YouTube requires a proof-of-origin token for these captions"),
    (FailedToCreateConsentCookie, "YouTube's cookie consent page could not be passed"),
    (YouTubeDataUnparsable, "YouTube's page could not be read (its format may have changed)"),
)

# What the video is, not how it was asked: another client would be told the same.
ABSENT = (TranscriptsDisabled, VideoUnavailable, InvalidVideoId)


class TimeoutSession(requests.Session):
    """A requests session with a default timeout: the library sends its requests without one."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)


class YouTubeTranscripts:
    """Fetches English captions of a YouTube video; one HTTP session per fetch, so it is thread-safe."""

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        proxy: ProxyConfig | None = None,
        session_factory: Callable[[], requests.Session] | None = None,
    ) -> None:
        self._proxy = proxy
        self._session_factory = session_factory or (lambda: TimeoutSession(timeout_s))

    def fetch(self, video_id: str) -> TranscriptData:
        with self._session_factory() as session:
            api = YouTubeTranscriptApi(proxy_config=self._proxy, http_client=session)
            try:
                fetched = english_track(api.list(video_id)).fetch()
            except RequestBlocked as exc:  # IpBlocked too: YouTube answered 429 or a captcha
                raise TranscriptBlocked(video_id, BLOCKED_REASON) from exc
            except requests.exceptions.ProxyError as exc:
                raise TranscriptUnreachable(video_id, PROXY_DOWN) from exc
            except ABSENT as exc:
                raise CaptionsAbsent(video_id, unavailable_reason(exc)) from exc
            except YouTubeTranscriptApiException as exc:
                raise TranscriptUnavailable(video_id, unavailable_reason(exc)) from exc
            except (ParseError, ValueError, KeyError, TypeError) as exc:  # requests' JSONDecodeError included
                raise TranscriptUnavailable(video_id, "YouTube sent caption data that could not be read") from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TranscriptUnreachable(video_id, unreachable(str(exc))) from exc
            except requests.RequestException as exc:
                raise TranscriptUnreachable(video_id, f"could not reach YouTube ({type(exc).__name__})") from exc
        segments = [
            Segment(text=text, start=snippet.start, duration=snippet.duration)
            for snippet in fetched
            if (text := " ".join(snippet.text.split()))
        ]
        if not segments:
            raise TranscriptUnavailable(video_id, "the captions are empty")
        return TranscriptData(
            video_id=video_id,
            language_code=fetched.language_code,
            is_generated=fetched.is_generated,
            segments=segments,
        )


def english_track(tracks: TranscriptList) -> Transcript:
    """Manual English captions, else generated English, else a translation to English of any other track."""
    codes = sorted(
        {track.language_code for track in tracks if re.fullmatch(r"en(-[A-Za-z]+)?", track.language_code)},
        key=lambda code: (code != ENGLISH, code),
    )
    for find in (tracks.find_manually_created_transcript, tracks.find_generated_transcript):
        try:
            return find(codes)
        except NoTranscriptFound:
            continue
    for track in tracks:  # manual tracks come first: a translation of them reads better
        if any(language.language_code == ENGLISH for language in track.translation_languages):
            return track.translate(ENGLISH)
    raise CaptionsAbsent(tracks.video_id, "no English captions, and none that YouTube can translate to English")


def unavailable_reason(exc: YouTubeTranscriptApiException) -> str:
    """A short reason for the run log; the library's own messages are long help texts."""
    for kind, reason in REASONS:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, VideoUnplayable):
        return "the video cannot be played" + (f": {exc.reason}" if exc.reason else "")
    if isinstance(exc, YouTubeRequestFailed):
        status = re.match(r"\d{3}", exc.reason)
        return f"a request to YouTube failed (HTTP {status.group(0)})" if status else "a request to YouTube failed"
    return f"captions could not be retrieved ({type(exc).__name__})"
