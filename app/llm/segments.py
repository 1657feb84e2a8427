"""A transcript cut into topic segments, the units a model chooses a clip among.

Consecutive sentences stay together while they talk about the same thing: each sentence
is a TF-IDF vector (scikit-learn, terms of `app.text`), and a boundary falls where the few
sentences before it and the few after it share the least vocabulary (a valley of lexical
cohesion, as in TextTiling), below the transcript's median cohesion,
once the segment has lasted `MIN_SEGMENT_S`; a segment never
runs past `MAX_SEGMENT_S`, which is also the longest clip. A model is shown the segments
most relevant to the interest, each as its time span and its most telling sentence, never
the whole transcript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from app.llm.local.sentences import Sentence, split_sentences
from app.schemas import Segment, TranscriptData
from app.text import terms
from app.validation import MAX_CLIP_S, MIN_CLIP_S

MIN_SEGMENT_S = 45.0
MAX_SEGMENT_S = MAX_CLIP_S
COHESION_SPAN = 3  # sentences compared on each side of a possible boundary


@dataclass(frozen=True)
class TopicSegment:
    """Consecutive sentences on one topic; `number` counts from 1 in time order."""

    number: int
    sentences: tuple[Sentence, ...]

    @property
    def start(self) -> float:
        return self.sentences[0].start

    @property
    def end(self) -> float:
        return self.sentences[-1].end

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def relevance(self, profile: Mapping[str, float]) -> float:
        """How densely this segment says what the person writes about: profile weight per word spoken."""
        words = [t for s in self.sentences for t in terms(s.text)]
        return sum(profile.get(t, 0.0) for t in words) / (len(words) + 1)

    def key_sentence(self, profile: Mapping[str, float]) -> Sentence:
        """The sentence that says most of what the person writes about (the first when none does)."""
        spoken = [s for s in self.sentences if s.speech] or list(self.sentences)
        return max(spoken, key=lambda s: (sum(profile.get(t, 0.0) for t in set(terms(s.text))), -s.start))

    def transcript(self, video_id: str, base: TranscriptData) -> TranscriptData:
        """The captions of this segment only, for choosing a clip inside it."""
        inside = [s for s in base.segments if s.start >= self.start - 0.01 and s.start < self.end]
        return base.model_copy(update={"video_id": video_id, "segments": inside})


def topic_segments(segments: Sequence[Segment]) -> list[TopicSegment]:
    """The transcript's topic segments in time order; those shorter than a clip can be are left out."""
    sentences = split_sentences(segments)
    if not sentences:
        return []
    cohesion = _cohesion(sentences)
    low = float(np.median(cohesion[1:])) if len(cohesion) > 1 else 0.0
    groups: list[list[Sentence]] = [[sentences[0]]]
    for i in range(1, len(sentences)):
        current = groups[-1]
        length = sentences[i].end - current[0].start
        lasted = current[-1].end - current[0].start
        valley = cohesion[i] <= min(cohesion[max(1, i - 1) : i + 2]) and cohesion[i] <= low
        if length > MAX_SEGMENT_S or (lasted >= MIN_SEGMENT_S and valley):
            groups.append([sentences[i]])
        else:
            current.append(sentences[i])
    if len(groups) > 1 and groups[-1][-1].end - groups[-1][0].start < MIN_SEGMENT_S:
        tail = groups.pop()
        if tail[-1].end - groups[-1][0].start <= MAX_SEGMENT_S:
            groups[-1].extend(tail)
        else:
            groups.append(tail)
    kept = [g for g in groups if g[-1].end - g[0].start >= MIN_CLIP_S]
    return [TopicSegment(number, tuple(g)) for number, g in enumerate(kept, start=1)]


def _cohesion(sentences: Sequence[Sentence]) -> list[float]:
    """For each sentence i, how alike the sentences before it and from it on are (index 0 unused: 1.0)."""
    texts = [" ".join(terms(s.text)) for s in sentences]
    if not any(texts):
        return [1.0] * len(sentences)
    vectorizer = TfidfVectorizer(sublinear_tf=True, analyzer=str.split)
    matrix = vectorizer.fit_transform(texts).toarray()
    out = [1.0]
    for i in range(1, len(sentences)):
        before = matrix[max(0, i - COHESION_SPAN) : i].sum(axis=0)
        after = matrix[i : i + COHESION_SPAN].sum(axis=0)
        norm = float(np.linalg.norm(before) * np.linalg.norm(after))
        out.append(float(before @ after) / norm if norm else 0.0)
    return out
