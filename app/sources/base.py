"""Protocols of the video and transcript providers, and the errors they raise."""

from __future__ import annotations

from typing import Protocol

from app.schemas import Candidate, TranscriptData


class SourceError(Exception):
    """A search provider failed as a whole (quota, bad key, network): the query is skipped."""


class SourceUnreachable(SourceError):
    """The search got no answer at all: no network, an address that does not resolve, a proxy that is down.

    Unlike an answer that refuses (a quota, a block), it says nothing about YouTube, only about the way there.
    """


class TranscriptUnavailable(Exception):
    """No usable transcript for a video; `reason` is shown in the run log.

    `transient` failures belong to the server or its network, not to the video: they
    pass, so they are never remembered as the video's outcome.
    """

    transient = False

    def __init__(self, video_id: str, reason: str) -> None:
        super().__init__(f"{video_id}: {reason}")
        self.video_id = video_id
        self.reason = reason


BLOCKED_NOTE = "YouTube is blocking caption requests from this server's IP: set OPENREC_PROXY_URL, see README"


class TranscriptBlocked(TranscriptUnavailable):
    """YouTube refused the request because of where it came from (the server's IP), not because of the video.

    It passes with a proxy or another network.
    """

    transient = True


class TranscriptUnreachable(TranscriptUnavailable):
    """YouTube, or the proxy in front of it, could not be reached."""

    transient = True


class CaptionsAbsent(TranscriptUnavailable):
    """YouTube listed the video's captions and none can serve (disabled, none in English, the video gone).

    Any other client would see the same list, so no other way of fetching is tried.
    """


class VideoSource(Protocol):
    """Answers a search query with candidate videos, best first."""

    name: str

    def search(self, query: str, limit: int) -> list[Candidate]: ...


class TranscriptSource(Protocol):
    """Fetches the timed transcript of one video or raises TranscriptUnavailable."""

    def fetch(self, video_id: str) -> TranscriptData: ...
