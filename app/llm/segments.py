"""A transcript cut into topic segments, the units a model chooses a clip among.

Consecutive sentences stay together while they talk about the same thing: each sentence
is a TF-IDF vector (scikit-learn, terms of `app.text`), and boundaries fall where the few
sentences before and the few after share the least vocabulary (the deepest valleys of
lexical cohesion first, as in TextTiling, below the transcript's median), as long as every
segment lasts `MIN_SEGMENT_S`; a longer stretch is cut where it holds together least, so
that no segment runs past `MAX_SEGMENT_S`, the longest clip. A model is shown the segments
most relevant to the interest, each as its time span and its most telling sentence, never
the whole transcript. Chapters the author marked in the description cut the talk first, and
the segments they call housekeeping (a sponsor, thanks to supporters) are never shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from app.llm.local.chapters import Chapter, in_housekeeping, openings
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


def topic_segments(segments: Sequence[Segment], chapters: Sequence[Chapter] = ()) -> list[TopicSegment]:
    """The transcript's topic segments in time order; those shorter than a clip can be are left out, and so are
    those the author's chapters call housekeeping."""
    sentences = split_sentences(segments)
    if not sentences:
        return []
    cohesion = _cohesion(sentences)
    low = float(np.median(cohesion[1:])) if len(cohesion) > 1 else 0.0
    cuts = [0, len(sentences)]  # segment i holds sentences cuts[i] .. cuts[i+1]-1

    def span(first: int, stop: int) -> float:
        return sentences[stop - 1].end - sentences[first].start

    # The chapters the author marked first, then the deepest valleys of cohesion, each kept when both sides stay
    # long enough.
    marked = openings(sentences, chapters)
    for i in [*sorted(marked), *sorted(range(1, len(sentences)), key=lambda i: (cohesion[i], i))]:
        if i not in marked and cohesion[i] > low:
            break
        left = max(c for c in cuts if c < i)
        right = min(c for c in cuts if c > i)
        if i not in cuts and span(left, i) >= MIN_SEGMENT_S and span(i, right) >= MIN_SEGMENT_S:
            cuts = sorted([*cuts, i])
    # A segment still longer than a clip is cut where it holds together least, or at the longest clip.
    k = 0
    while k < len(cuts) - 1:
        first, stop = cuts[k], cuts[k + 1]
        if span(first, stop) <= MAX_SEGMENT_S or stop - first == 1:  # one sentence too long is left out below
            k += 1
            continue
        fits = [i for i in range(first + 1, stop) if MIN_SEGMENT_S <= span(first, i) <= MAX_SEGMENT_S]
        cut = min(fits, key=lambda i: cohesion[i]) if fits else first + 1
        while not fits and cut + 1 < stop and span(first, cut + 1) <= MAX_SEGMENT_S:
            cut += 1
        cuts.insert(k + 1, cut)
    aside = in_housekeeping(sentences, chapters)
    groups = [sentences[a:b] for a, b in pairwise(cuts) if not all(aside[a:b])]
    kept = [g for g in groups if MIN_CLIP_S <= g[-1].end - g[0].start <= MAX_SEGMENT_S]
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
