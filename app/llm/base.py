"""The LLM Protocol: the five stage operations every engine implements.

Engines: the local engine (no network, `app/llm/local/`), the OpenAI-compatible
adapter (`app/llm/openai_client.py`) and a scripted fake for tests. The pipeline only
sees this Protocol, so an engine can be swapped per run or per item (fallback).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.schemas import (
    Candidate,
    Clip,
    Engagement,
    Explanation,
    Interest,
    Preferences,
    ScreenDecision,
    SearchQuery,
    TranscriptData,
)

STAGES = ("interests", "queries", "screen", "clip", "rank", "explain")


@dataclass(frozen=True)
class CallRecord:
    """What one model call cost; recorded for every call, cached or not."""

    stage: str
    model: str
    prompt_version: str
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    latency_ms: int
    cost_usd: float
    outcome: str  # ok | cached | invalid | error | budget
    error: str | None = None


CallRecorder = Callable[[CallRecord], None]
ClipJob = tuple[Candidate, Interest, TranscriptData]  # a video to clip, for the interest that kept it


class LLM(Protocol):
    """One interface for the stage operations of the pipeline."""

    name: str

    def infer_interests(self, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
        """3-8 current interests with 2-5 evidence tweet ids each."""
        ...

    def write_queries(self, interests: Sequence[Interest], prefs: Preferences) -> list[SearchQuery]:
        """2-4 search queries per interest."""
        ...

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        """One keep/drop decision per candidate, tied to an interest, with a reason."""
        ...

    def choose_clip(
        self,
        candidate: Candidate,
        interest: Interest,
        transcript: TranscriptData,
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> Clip | None:
        """The best 30-180 s sentence-aligned clip for the interest, or None."""
        ...

    def explain(
        self,
        clip: Clip,
        candidate: Candidate,
        interest: Interest,
        evidence: Sequence[Engagement],
        prefs: Preferences,
    ) -> Explanation:
        """One to three plain sentences citing 1-3 of the user's tweets and quoting the clip."""
        ...


@runtime_checkable
class Batches(Protocol):
    """An engine that answers many items in one call (a model: calls cost latency and tokens).

    The pipeline hands it all the items of a stage first; the per-item operations of `LLM`
    then return what the batch prepared, so validation and fallback stay per item.
    """

    def prepare_clips(self, jobs: Sequence[ClipJob], engagement: Sequence[Engagement], prefs: Preferences) -> None:
        """Judge the clip of every job at once."""
        ...

    def rerank(
        self,
        clips: Sequence[Clip],
        candidates: Sequence[Candidate],
        interests: Sequence[Interest],
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> list[str]:
        """The video ids of `clips` best first (only those), explanations prepared on the way."""
        ...

    def prepare_explanations(
        self,
        clips: Sequence[Clip],
        candidates: Sequence[Candidate],
        interests: Sequence[Interest],
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> None:
        """Write the explanations of the clips that have none yet, at once."""
        ...
