"""The transcript passages a model is shown to choose a clip, and whether it needs to be asked.

A model never reads a whole transcript. The local engine finds the best clip of whole
sentences (`best_window`); the model is shown that passage with `MARGIN` sentences on
either side, so that it can move a boundary to a better sentence, and answers with
sentence start times. Whether a model is needed at all is a comparison of passages: each
sentence is scored against what the person wrote (their term profile, each term weighted
by its inverse frequency within this video, so that a topic named in every intro weighs
little), and when no other stretch of the same length scores at least `DOMINANCE` of the
chosen one, the choice is clear and the local engine's clip stands. Otherwise the
strongest rival stretch is shown as a second window (one window with the first when they
are close) and the model judges between them. No sentence is ever shown twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.llm.local.clips import FILLER, FILLER_DAMPING, best_window
from app.llm.local.sentences import Sentence, split_sentences
from app.llm.local.vectors import Vector
from app.schemas import Segment
from app.text import terms

MARGIN = 1  # sentences shown on each side of a passage
DOMINANCE = 1 / 3  # a rival scoring less than this share of the local choice leaves nothing to judge
MERGE_GAP_S = 30.0  # windows closer than this are shown as one, so that a clip may run across both
SLACK_S = 1.0  # times are shown in whole seconds


@dataclass(frozen=True)
class Window:
    """Consecutive sentences of a transcript, shown to the model one line per sentence."""

    sentences: tuple[Sentence, ...]

    @property
    def start(self) -> float:
        return self.sentences[0].start

    @property
    def end(self) -> float:
        return self.sentences[-1].end

    def contains(self, start_s: float, end_s: float) -> bool:
        return self.start - SLACK_S <= start_s < end_s <= self.end + SLACK_S

    def snap(self, start_s: float, end_s: float) -> tuple[float, float]:
        """A span moved to the nearest sentence start and sentence end of this window."""
        start = min((s.start for s in self.sentences), key=lambda t: abs(t - start_s))
        end = min((s.end for s in self.sentences), key=lambda t: abs(t - end_s))
        return start, end


@dataclass(frozen=True)
class Passages:
    windows: tuple[Window, ...]  # in time order, never overlapping
    contested: bool  # another stretch scores at least DOMINANCE of the local engine's choice


def clip_passages(segments: Sequence[Segment], profile: Vector, *, length: str | None) -> Passages:
    """The local engine's best passage with its margins, and the strongest rival when it is close."""
    sentences = split_sentences(segments)
    best = best_window(sentences, profile, length=length)
    if best is None:
        return Passages(windows=(), contested=False)
    first = next(i for i, s in enumerate(sentences) if s.start == best.start)
    last = next(i for i in range(len(sentences) - 1, -1, -1) if sentences[i].end == best.end)
    low, high = max(0, first - MARGIN), min(len(sentences) - 1, last + MARGIN)
    relevance = _relevance(sentences, profile)
    rival = _rival(sentences, relevance, (low, high), best.end - best.start)
    if rival is None or rival[2] < DOMINANCE * sum(relevance[first : last + 1]):
        return Passages(windows=(Window(tuple(sentences[low : high + 1])),), contested=False)
    r_low, r_high = max(0, rival[0] - MARGIN), min(len(sentences) - 1, rival[1] + MARGIN)
    if rival[1] < low:
        r_high = min(r_high, low - 1)
    else:
        r_low = max(r_low, high + 1)
    spans = sorted([(low, high), (r_low, r_high)])
    if sentences[spans[1][0]].start - sentences[spans[0][1]].end <= MERGE_GAP_S:
        spans = [(spans[0][0], max(spans[0][1], spans[1][1]))]
    return Passages(windows=tuple(Window(tuple(sentences[a : b + 1])) for a, b in spans), contested=True)


def _relevance(sentences: Sequence[Sentence], profile: Vector) -> list[float]:
    """Each sentence's weight of profile terms, as the local engine scores it (filler damped)."""
    tokens = [set(terms(s.text)) if s.speech else set() for s in sentences]
    df: Counter[str] = Counter()
    for words in tokens:
        df.update(words)
    n = len(sentences)
    idf = {t: math.log((n + 1) / (count + 0.5)) for t, count in df.items()}
    scores = [sum(profile.get(t, 0.0) * idf[t] for t in words) for words in tokens]
    return [
        score * FILLER_DAMPING if FILLER.search(s.text) else score for s, score in zip(sentences, scores, strict=True)
    ]


def _rival(
    sentences: Sequence[Sentence], relevance: list[float], taken: tuple[int, int], length: float
) -> tuple[int, int, float] | None:
    """The best-scoring stretch no longer than `length` outside the `taken` sentences (first, last, score)."""
    best: tuple[int, int, float] | None = None
    for first in range(len(sentences)):
        if taken[0] <= first <= taken[1]:
            continue
        score, last = 0.0, first
        while last < len(sentences) and sentences[last].end - sentences[first].start <= length:
            if taken[0] <= last <= taken[1]:
                break
            score += relevance[last]
            last += 1
        if last > first and score > 0 and (best is None or score > best[2]):
            best = (first, last - 1, score)
    return best
