"""YouTube first, the bundled sample catalog when YouTube cannot be reached at all.

A server without a route to YouTube (a laptop offline, a locked-down host) would give
every run an empty feed. After `patience` searches in a row fail before any succeeded,
the rest of the run searches the sample catalog instead, and the run log says so. A search
that got no answer at all (`SourceUnreachable`) is asked again at once, so the query that
finds YouTube out of reach is answered from the catalog too rather than lost.
"""

from __future__ import annotations

from app.schemas import Candidate, TranscriptData
from app.sources.base import SourceError, SourceUnreachable, TranscriptSource, VideoSource
from app.sources.catalog import CatalogSource

OFFLINE_NOTE = (
    "YouTube could not be reached, so this run searched the bundled sample catalog instead. "
    "It covers a few subjects only (those of the sample archive on the Import page), so other interests find "
    "nothing there."
)


class OfflineFallback:
    """A VideoSource and TranscriptSource that falls back to a catalog once the primary is unreachable."""

    def __init__(
        self,
        videos: VideoSource,
        transcripts: TranscriptSource,
        fallback: CatalogSource,
        *,
        patience: int = 2,
    ) -> None:
        self.name = videos.name
        self._videos = videos
        self._transcripts = transcripts
        self._fallback = fallback
        self._patience = patience
        self._failures = 0
        self._reached = False
        self.offline = False

    def search(self, query: str, limit: int) -> list[Candidate]:
        while not self.offline:
            try:
                results = self._videos.search(query, limit)
            except SourceError as exc:
                self._failures += 1
                if self._reached:
                    raise
                if self._failures >= self._patience:
                    self.offline = True
                elif not isinstance(exc, SourceUnreachable):
                    raise  # YouTube answered, with a refusal: the next query asks again
            else:
                self._reached = True
                return results
        return self._fallback.search(query, limit)

    def fetch(self, video_id: str) -> TranscriptData:
        if self.offline and video_id in self._fallback:
            return self._fallback.fetch(video_id)
        return self._transcripts.fetch(video_id)
