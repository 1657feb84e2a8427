"""The few transcript passages worth showing a model when it chooses a clip.

A model never reads a whole transcript: each segment is scored against a term profile of
what the person wrote (the local engine's `clip_profile`: their posts, those about the
interest counting most, and the interest's keywords), each term weighted by its inverse
frequency within this video so that the topic's name, repeated in every intro and
tangent, weighs little while the words of the dense passage weigh a lot. The
best-scoring stretches of `WINDOW_S` seconds become windows (at most `MAX_WINDOWS`,
never overlapping; neighbours are merged up to `MAX_MERGED_S`), and each window's
segments are grouped into lines of about `LINE_S` seconds so that timestamps cost few
tokens while clip boundaries still fall on segment starts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.llm.local.text import terms
from app.schemas import Segment

WINDOW_S = 90.0
MAX_WINDOWS = 2
MAX_MERGED_S = 180.0
MERGE_GAP_S = 15.0
MIN_RELATIVE_SCORE = 0.35  # a further window must score at least this share of the best one
LINE_S = 8.0


@dataclass(frozen=True)
class Line:
    start: float
    text: str


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    lines: tuple[Line, ...]
    score: float

    def contains(self, start_s: float, end_s: float) -> bool:
        return self.start - 0.5 <= start_s < end_s <= self.end + 0.5


def best_windows(
    segments: Sequence[Segment], profile: Mapping[str, float], *, window_s: float = WINDOW_S, count: int = MAX_WINDOWS
) -> list[Window]:
    """The best non-overlapping windows in time order; the whole transcript when it is short."""
    if not segments:
        return []
    total = segments[-1].start + segments[-1].duration - segments[0].start
    if total <= window_s * count:
        return [_window(segments, 0, len(segments), score=1.0)]
    scores = _segment_scores(segments, profile)
    chosen: list[tuple[int, int, float]] = []
    taken = [False] * len(segments)
    for _ in range(count):
        best = _best_span(segments, scores, taken, window_s)
        if best is None or (chosen and best[2] < MIN_RELATIVE_SCORE * chosen[0][2]):
            break
        chosen.append(best)
        for i in range(best[0], best[1]):
            taken[i] = True
    if not chosen:
        chosen = [(0, _span_end(segments, 0, window_s), 0.0)]
    return [_window(segments, first, last, score=score) for first, last, score in _merge(segments, chosen)]


def _segment_scores(segments: Sequence[Segment], profile: Mapping[str, float]) -> list[float]:
    tokens = [set(terms(s.text)) for s in segments]
    df: Counter[str] = Counter()
    for words in tokens:
        df.update(words)
    n = len(segments)
    idf = {t: math.log((n + 1) / (count + 0.5)) for t, count in df.items()}
    return [sum(profile.get(t, 0.0) * idf[t] for t in words) for words in tokens]


def _span_end(segments: Sequence[Segment], first: int, window_s: float) -> int:
    """One past the last segment that starts within `window_s` of segment `first`."""
    last = first
    while last < len(segments) and segments[last].start - segments[first].start < window_s:
        last += 1
    return last


def _best_span(
    segments: Sequence[Segment], scores: list[float], taken: list[bool], window_s: float
) -> tuple[int, int, float] | None:
    best: tuple[int, int, float] | None = None
    for first in range(len(segments)):
        last = _span_end(segments, first, window_s)
        if any(taken[first:last]):
            continue
        score = sum(scores[first:last])
        if score > 0 and (best is None or score > best[2]):
            best = (first, last, score)
    return best


def _merge(segments: Sequence[Segment], spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    merged: list[tuple[int, int, float]] = []
    for first, last, score in sorted(spans):
        if merged:
            p_first, p_last, p_score = merged[-1]
            gap = segments[first].start - _end(segments[p_last - 1])
            if gap <= MERGE_GAP_S and _end(segments[last - 1]) - segments[p_first].start <= MAX_MERGED_S:
                merged[-1] = (p_first, last, p_score + score)
                continue
        merged.append((first, last, score))
    return merged


def _window(segments: Sequence[Segment], first: int, last: int, *, score: float) -> Window:
    lines: list[Line] = []
    start, texts = segments[first].start, list[str]()
    for segment in segments[first:last]:
        if texts and segment.start - start >= LINE_S:
            lines.append(Line(start=start, text=" ".join(texts)))
            start, texts = segment.start, []
        texts.append(segment.text)
    lines.append(Line(start=start, text=" ".join(texts)))
    return Window(start=segments[first].start, end=_end(segments[last - 1]), lines=tuple(lines), score=score)


def _end(segment: Segment) -> float:
    return segment.start + segment.duration
