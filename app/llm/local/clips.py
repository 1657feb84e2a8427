"""Choosing the clip: the stretch of sentences that says most about what the user wrote.

Each sentence is scored against a term profile of the user's own posts, weighting
every term by its inverse frequency *within this video*: the topic's name and the
host's catchphrases are said over and over, so they weigh little, while the words
of the one dense explanation are said once or twice and weigh a lot. Filler
(sponsor reads, calls to subscribe, greetings, audience questions) is damped. The
clip is the window of whole sentences, 30-180 s long, that maximises relevance minus
a per-second cost set a little above the video's average relevance density, so it
grows while the talk stays on point and stops where it drifts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.llm.local.sentences import Sentence
from app.llm.local.vectors import Vector, cosine
from app.text import terms

MIN_CLIP_S = 30.0
MAX_CLIP_S = 180.0
MAX_QUOTE_CHARS = 200
DENSITY_COST = 2.5  # per-second cost, in multiples of the video's mean relevance per second
FILLER_DAMPING = 0.1
LENGTHS: dict[str | None, tuple[float, float]] = {None: (30.0, 150.0), "short": (30.0, 60.0), "long": (60.0, 180.0)}

FILLER = re.compile(
    r"brought\s+to\s+you\s+by|\bsponsor|discount\s+code|promo\s+code|use\s+code\b|\bsubscrib|like\s+button|"
    r"hit\s+the\s+bell|notifications?|the\s+algorithm|drop\s+a\s+comment|leave\s+a\s+comment|comment\s+(?:below|your)|"
    r"description\s+below|in\s+the\s+description|link\s+(?:below|in)|patreon|merch\b|welcome\s+(?:back\s+)?to\b|"
    r"my\s+name\s+is|thanks?\s+(?:you\s+)?(?:so\s+much\s+)?for\s+watching|next\s+video|that'?s\s+a\s+wrap|"
    r"question\s+from\s+the\s+chat|someone\s+asked|one\s+viewer|viewers?\s+(?:asked|wanted)|what\s+got\s+you\s+into|"
    r"(?:good\s+)?(?:morning|afternoon|evening)\s+everyone|what'?s\s+up\s+everybody|let'?s\s+get\s+(?:back\s+)?(?:in)?to\s+it|"
    r"hint\s+hint|stick\s+with\s+me|coming\s+up|in\s+a\s+(?:bit|minute|moment)|save\s+that\s+for\s+another\s+day|"
    r"another\s+(?:video|day)|keep\s+an\s+eye\s+out",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A chosen clip: time span, quote and how well it matches what the user writes about (cosine, 0-1)."""

    start: float
    end: float
    quote: str
    match: float


def best_window(sentences: Sequence[Sentence], profile: Vector, *, length: str | None = None) -> Window | None:
    """The most relevant window of whole sentences within the length bounds, or None when nothing matches."""
    if not profile or not any(s.speech for s in sentences):
        return None
    min_s, max_s = LENGTHS.get(length, LENGTHS[None])
    tokens = [set(terms(s.text)) if s.speech else set() for s in sentences]
    idf = _video_idf(tokens)
    relevance = []
    for sentence, words in zip(sentences, tokens, strict=True):
        value = sum(profile.get(t, 0.0) * idf[t] for t in words)
        relevance.append(value * FILLER_DAMPING if FILLER.search(sentence.text) else value)
    total = sum(relevance)
    span = sentences[-1].end - sentences[0].start
    if total <= 0 or span <= 0:
        return None
    cost = DENSITY_COST * total / span
    found = _max_window(sentences, relevance, cost, min_s, max_s)
    if found is None:
        return None
    first, last = found
    inside = range(first, last + 1)
    window_terms: Counter[str] = Counter()
    for i in inside:
        window_terms.update(dict.fromkeys(tokens[i], 1))
    weighted = {t: c * idf[t] for t, c in window_terms.items()}
    quote = _quote(sentences, relevance, first, last)
    if quote is None:
        return None
    # Overlapping captions make sentence times overlap too: the window spans all of its sentences.
    start, end = min(sentences[i].start for i in inside), max(sentences[i].end for i in inside)
    return Window(start=start, end=end, quote=quote, match=cosine(weighted, profile))


def _video_idf(tokens: list[set[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for words in tokens:
        df.update(words)
    n = len(tokens)
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}


def _max_window(
    sentences: Sequence[Sentence], relevance: list[float], cost: float, min_s: float, max_s: float
) -> tuple[int, int] | None:
    """Window maximising relevance - cost * seconds with min_s <= length <= max_s (ties: the earlier)."""
    best: tuple[float, int, int] | None = None
    count = len(sentences)
    for first in range(count):
        if not sentences[first].speech:
            continue
        acc = 0.0
        low, reach = sentences[first].start, sentences[first].end
        for last in range(first, count):
            low, reach = min(low, sentences[last].start), max(reach, sentences[last].end)
            length = reach - low
            if length > max_s:
                break
            acc += relevance[last]
            if length < min_s or not sentences[last].speech:
                continue
            value = acc - cost * length
            if best is None or value > best[0]:
                best = (value, first, last)
    if best is None:
        return None
    return best[1], best[2]


def _quote(sentences: Sequence[Sentence], relevance: list[float], first: int, last: int) -> str | None:
    """The most relevant whole sentence of the window that fits a quote, else the best one cut at a word."""
    ranked = sorted(
        (i for i in range(first, last + 1) if sentences[i].speech),
        key=lambda i: (-relevance[i], i),
    )
    for i in ranked:
        text = sentences[i].text
        if len(text) <= MAX_QUOTE_CHARS and len(text.split()) >= 4:
            return text
    if not ranked:
        return None
    text = sentences[ranked[0]].text
    cut = text[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut or None
