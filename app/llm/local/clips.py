"""Choosing the clip: the passage of the talk, one complete idea, that best answers what the user wrote.

The transcript is cut into blocks of whole sentences (about `BLOCK_S` seconds each) and
segmented where the talk changes subject, TextTiling-style (Hearst, 1997): the meaning of
the few blocks before each gap is compared with the few after it, lexically (terms
weighted by their inverse frequency within the video) and by sentence embeddings, and
gaps in deep valleys of that similarity are subject boundaries.

Each block is scored for how well it answers the user's posts, again in both ways: the
post terms it says (a term said all through the video, like the topic's own name, weighs
little; the words of the one dense explanation weigh a lot) and how close its meaning is
to the posts (the terms count three times as much: small embeddings know what the talk is
about better than where it answers a post). YouTube housekeeping (sponsor reads, calls to
subscribe) is damped, and so is the talk's opening, which names everything and explains
nothing yet. The
clip is the run of whole blocks, within the length bounds (60-120 s unless asked
otherwise), that collects the most relevance above the video's usual level, starting
and ending on subject boundaries where it can: it grows while the talk stays on point
and stops where the subject changes. Blocks, gaps and windows are all linear in the
length of the talk, so a four-hour podcast costs a few hundred embeddings.

Where the author marked chapters in the description (`chapters`), they know where
their talk moves on better than any guess: a block starts at each chapter, a chapter's start
is a subject boundary worth more than a found one, and a chapter titled as housekeeping (the
sponsor, thanks to supporters) is damped like the sentences that say so.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from app.llm.local.chapters import Chapter, in_housekeeping, openings
from app.llm.local.embeddings import embed
from app.llm.local.sentences import Sentence, reads_whole
from app.llm.local.vectors import Vector, cosine
from app.text import terms

MAX_QUOTE_CHARS = 200
QUOTE_WORDS = 10  # a quote this long or longer says something on its own
QUOTE_TARGET_WORDS = 18  # a fragment grows with its neighbours toward this many words
PARTIAL_QUOTE = 0.4  # weight of a sentence that starts or stops mid-thought, as a quote
FILLER_DAMPING = 0.1
LENGTHS: dict[str | None, tuple[float, float]] = {None: (60.0, 120.0), "short": (30.0, 60.0), "long": (60.0, 180.0)}
BLOCK_S = 15.0  # blocks of whole sentences about this long are the units of segmentation and scoring
TILE = 3  # blocks on each side of a gap compared for segmentation
BOUNDARY_BONUS = 0.5  # a window starting or ending on a subject boundary gains this (in block-score units)
CHAPTER_BONUS = 2.0  # ... or this on a chapter the author marked: most clips then begin and end where the parts do
KEEP_ABOVE = 0.25  # a block adds to a window what its score exceeds this (in standard deviations)
TRIM_SHARE = 0.1  # edge sentences below this share of the window's mean relevance are trimmed
MEANING_SHARE = 0.5  # share of gap similarity (segmentation) that comes from embeddings
# Share of block relevance that comes from embeddings. Small sentence embeddings place the talk's subject well
# but the passage that answers a post poorly: on real captions the post's own rare terms find it more often.
ANSWER_MEANING_SHARE = 0.25
# A talk's opening recaps and announces what is coming: it says every term of the subject without explaining
# any. Blocks that start in its first OPENING_SHARE (at most OPENING_MAX_S: a long podcast's greeting is no
# longer than a lecture's) lose OPENING_PENALTY, in standard deviations: only a passage far above the rest of
# the talk starts there.
OPENING_SHARE = 0.15
OPENING_MAX_S = 180.0
OPENING_PENALTY = 2.0
TALK_MATCH_SHARE = 0.5  # share of a window's match that comes from the whole talk's terms

# YouTube's own housekeeping, the same on every channel: sponsor reads, calls to like, subscribe and comment,
# links in the description, greetings and sign-offs, and the talk's framing of itself ("in this video we'll
# see", "in the next lecture"). Said around the content, never part of it.
FILLER = re.compile(
    r"brought\s+to\s+you\s+by|\bsponsor|discount\s+code|promo\s+code|use\s+code\b|\bsubscrib|like\s+button|"
    r"hit\s+the\s+bell|notification\s+bell|leave\s+a\s+comment|comments?\s+below|in\s+the\s+description|"
    r"description\s+below|links?\s+below|patreon|\bmerch\b|welcome\s+(?:back\s+)?to\s+(?:the|my|our)\b|"
    r"\b(?:welcome(?:\s+back)?|hello|hi|hey)\s+(?:everyone|everybody|guys|folks|friends)\b|"
    r"thanks?\s+(?:you\s+)?(?:so\s+much\s+)?for\s+watching|see\s+you\s+(?:in\s+the\s+)?next\s+(?:time|video|week)|"
    r"\bin\s+(?:this|the\s+next|the\s+last|the\s+previous|today'?s)\s+(?:video|lecture|episode|lesson|talk)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Window:
    """A chosen clip: time span, quote and how well it and the talk around it match what the user writes about
    (cosine, 0-1)."""

    start: float
    end: float
    quote: str
    match: float


class Profile(dict[str, float]):
    """Term weights of what the user writes about, with its meaning (a unit vector) when known."""

    meaning: np.ndarray | None = None


def best_window(
    sentences: Sequence[Sentence],
    profile: Vector,
    *,
    length: str | None = None,
    chapters: Sequence[Chapter] = (),
) -> Window | None:
    """The passage of whole sentences within the length bounds that best answers the profile (its terms and,
    for a `Profile`, its meaning), or None when nothing matches."""
    meaning = profile.meaning if isinstance(profile, Profile) else None
    if not profile or not any(s.speech for s in sentences):
        return None
    min_s, max_s = LENGTHS.get(length, LENGTHS[None])
    tokens = [set(terms(s.text)) if s.speech else set() for s in sentences]
    said = _sentence_counts(tokens)
    idf = _video_idf(said, len(tokens))
    opens = openings(sentences, chapters)
    relevance = sentence_relevance(sentences, tokens, idf, profile, in_housekeeping(sentences, chapters))
    if sum(relevance) <= 0:
        return None
    blocks = _blocks(sentences, opens)
    if sentences[blocks[-1][1]].end - sentences[blocks[0][0]].start < min_s:
        return None
    texts = [" ".join(sentences[i].text for i in range(a, b + 1) if sentences[i].speech) for a, b in blocks]
    vectors = embed(texts) if meaning is not None else None
    lexical = np.array([sum(relevance[a : b + 1]) for a, b in blocks])
    scores = _standard(lexical)
    if vectors is not None and meaning is not None:
        scores = (1 - ANSWER_MEANING_SHARE) * scores + ANSWER_MEANING_SHARE * _standard(vectors @ meaning)
    scores = scores - OPENING_PENALTY * _in_opening(sentences, blocks)
    found_boundaries = _boundaries(blocks, tokens, idf, vectors)
    bonus = [
        CHAPTER_BONUS if first in opens else BOUNDARY_BONUS if index in found_boundaries else 0.0
        for index, (first, _) in enumerate(blocks)
    ]
    found = _best_run(sentences, blocks, scores, bonus, min_s, max_s)
    if found is None:
        return None
    first, last = trim_edges(sentences, relevance, blocks[found[0]][0], blocks[found[1]][1], min_s)
    inside = range(first, last + 1)
    weighted = {t: c * idf[t] for t, c in _sentence_counts(tokens[i] for i in inside).items()}
    quote = _quote(sentences, relevance, first, last)
    if quote is None:
        return None
    # Overlapping captions make sentence times overlap too: the window spans all of its sentences.
    start, end = min(sentences[i].start for i in inside), max(sentences[i].end for i in inside)
    # One window is a noisy measure of a whole video: the match also counts how much of the talk is on topic.
    match = (1 - TALK_MATCH_SHARE) * cosine(weighted, profile) + TALK_MATCH_SHARE * cosine(dict(said), profile)
    return Window(start=start, end=end, quote=quote, match=match)


def sentence_relevance(
    sentences: Sequence[Sentence],
    tokens: Sequence[set[str]],
    idf: dict[str, float],
    profile: Vector,
    aside: Sequence[bool],
) -> list[float]:
    """Each sentence's weight of profile terms, by their rarity within the video; housekeeping (said so, or in
    a chapter `aside` marks) damped."""
    relevance = []
    for sentence, words, housekeeping in zip(sentences, tokens, aside, strict=True):
        value = sum(profile.get(t, 0.0) * idf[t] for t in words)
        damped = housekeeping or FILLER.search(sentence.text) is not None
        relevance.append(value * FILLER_DAMPING if damped else value)
    return relevance


def trim_edges(
    sentences: Sequence[Sentence], relevance: list[float], first: int, last: int, min_s: float
) -> tuple[int, int]:
    """The window without the sentences at its edges that say nothing of the profile (blocks are cut by time,
    not by sense), never below min_s."""
    floor = TRIM_SHARE * sum(relevance[first : last + 1]) / (last - first + 1)

    def length(a: int, b: int) -> float:
        return sentences[b].end - sentences[a].start

    while first < last and relevance[first] <= floor and length(first + 1, last) >= min_s:
        first += 1
    while last > first and relevance[last] <= floor and length(first, last - 1) >= min_s:
        last -= 1
    return first, last


def _blocks(sentences: Sequence[Sentence], opens: AbstractSet[int] = frozenset()) -> list[tuple[int, int]]:
    """Runs of whole sentences (first, last index) at least BLOCK_S long, the last one taking the remainder; a
    sentence in `opens` (a chapter's first) always starts a block."""
    blocks: list[tuple[int, int]] = []
    first = 0
    for i, sentence in enumerate(sentences):
        if i in opens and i > first:
            blocks.append((first, i - 1))
            first = i
        if sentence.end - sentences[first].start >= BLOCK_S:
            blocks.append((first, i))
            first = i + 1
    if first < len(sentences):
        if blocks and first not in opens:
            blocks[-1] = (blocks[-1][0], len(sentences) - 1)
        else:
            blocks.append((first, len(sentences) - 1))
    return blocks


def _in_opening(sentences: Sequence[Sentence], blocks: list[tuple[int, int]]) -> np.ndarray:
    """1 for each block that starts in the talk's opening (OPENING_SHARE of it, OPENING_MAX_S at most), else 0."""
    first, last = sentences[blocks[0][0]].start, max(s.end for s in sentences)
    cut = first + min(OPENING_SHARE * (last - first), OPENING_MAX_S)
    return np.array([1.0 if sentences[a].start < cut else 0.0 for a, _ in blocks])


def _standard(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values, dtype=float)


def _boundaries(
    blocks: list[tuple[int, int]], tokens: Sequence[set[str]], idf: dict[str, float], vectors: np.ndarray | None
) -> set[int]:
    """Indexes of the blocks that open a new subject (TextTiling depth scores over lexical and embedding
    similarity of TILE blocks on each side of every gap; a gap is a boundary when its depth exceeds the mean
    depth minus half a standard deviation, Hearst's liberal cut-off). Block 0 always opens one."""
    count = len(blocks)
    if count < 3:
        return {0}
    block_terms = [Counter(t for i in range(a, b + 1) for t in tokens[i]) for a, b in blocks]
    gaps = np.zeros(count - 1)
    for gap in range(1, count):
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        for j in range(max(0, gap - TILE), gap):
            before.update(block_terms[j])
        for j in range(gap, min(count, gap + TILE)):
            after.update(block_terms[j])
        lexical = cosine({t: c * idf[t] for t, c in before.items()}, {t: c * idf[t] for t, c in after.items()})
        if vectors is not None:
            left = vectors[max(0, gap - TILE) : gap].mean(axis=0)
            right = vectors[gap : gap + TILE].mean(axis=0)
            norms = float(np.linalg.norm(left) * np.linalg.norm(right)) or 1.0
            lexical = (1 - MEANING_SHARE) * lexical + MEANING_SHARE * float(left @ right) / norms
        gaps[gap - 1] = lexical
    depth = np.zeros_like(gaps)
    for i, value in enumerate(gaps):
        left_peak = value
        for j in range(i - 1, -1, -1):
            if gaps[j] < left_peak:
                break
            left_peak = gaps[j]
        right_peak = value
        for j in range(i + 1, len(gaps)):
            if gaps[j] < right_peak:
                break
            right_peak = gaps[j]
        depth[i] = (left_peak - value) + (right_peak - value)
    cutoff = depth.mean() - depth.std() / 2
    return {0} | {i + 1 for i, d in enumerate(depth) if d > cutoff and d > 0}


def _best_run(
    sentences: Sequence[Sentence],
    blocks: list[tuple[int, int]],
    scores: np.ndarray,
    bonus: Sequence[float],
    min_s: float,
    max_s: float,
) -> tuple[int, int] | None:
    """The run of blocks (first, last) within the length bounds with the most score above KEEP_ABOVE, plus the
    `bonus` of the block it starts on and of the block after it ends, which opens the next subject (ties: the
    earlier). Runs are at most max_s long, so this is linear in the number of blocks."""
    best: tuple[float, int, int] | None = None
    count = len(blocks)
    for first in range(count):
        start = sentences[blocks[first][0]].start
        total = bonus[first]
        for last in range(first, count):
            length = sentences[blocks[last][1]].end - start
            if length > max_s:
                break
            total += float(scores[last]) - KEEP_ABOVE
            if length < min_s:
                continue
            value = total + (bonus[last + 1] if last + 1 < count else BOUNDARY_BONUS)
            if best is None or value > best[0]:
                best = (value, first, last)
    if best is None:  # every run is longer than max_s: the best single block
        index = int(np.argmax(scores))
        return index, index
    return best[1], best[2]


def _sentence_counts(tokens: Iterable[set[str]]) -> Counter[str]:
    """How many of the sentences say each term."""
    counts: Counter[str] = Counter()
    for words in tokens:
        counts.update(words)
    return counts


def _video_idf(said: Counter[str], sentences: int) -> dict[str, float]:
    return {t: math.log((sentences + 1) / (c + 0.5)) for t, c in said.items()}


def _quote(sentences: Sequence[Sentence], relevance: list[float], first: int, last: int) -> str | None:
    """The window's best sentence for a quote: relevant, long enough to say something (QUOTE_WORDS words or more
    count fully) and whole (see `reads_whole`); one that fits MAX_QUOTE_CHARS, else the best one cut at a word."""

    def value(i: int) -> float:
        text = sentences[i].text
        shape = min(1.0, len(text.split()) / QUOTE_WORDS) * (1.0 if reads_whole(text) else PARTIAL_QUOTE)
        return relevance[i] * shape

    ranked = sorted((i for i in range(first, last + 1) if sentences[i].speech), key=lambda i: (-value(i), i))
    for i in ranked:
        text = sentences[i].text
        if len(text) <= MAX_QUOTE_CHARS and len(text.split()) >= 4:
            return _grown(sentences, relevance, i, first, last)
    if not ranked:
        return None
    text = sentences[ranked[0]].text
    cut = text[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut or None


def _grown(sentences: Sequence[Sentence], relevance: list[float], i: int, first: int, last: int) -> str:
    """Sentence `i`, or, where it is a fragment, that sentence with its neighbours in the window, the more relevant
    first, until it says enough (QUOTE_TARGET_WORDS) and reads whole, or would pass MAX_QUOTE_CHARS. Automatic
    captions carry no punctuation and cut a thought into guessed pieces, so their sentences are all fragments; a
    punctuated sentence of QUOTE_WORDS that reads whole stands alone."""
    a = b = i

    def text() -> str:
        return " ".join(sentences[k].text for k in range(a, b + 1) if sentences[k].speech)

    def enough(quote: str) -> bool:
        size = len(quote.split())
        ended = quote.rstrip()[-1:] in ".?!"
        return reads_whole(quote) and size >= (QUOTE_WORDS if ended else QUOTE_TARGET_WORDS)

    while not enough(text()):
        before = a - 1 if a > first and sentences[a - 1].speech else None
        after = b + 1 if b < last and sentences[b + 1].speech else None
        options = [k for k in (after, before) if k is not None]
        if not options:
            break
        k = max(options, key=lambda k: relevance[k])
        grown = " ".join([text(), sentences[k].text] if k > b else [sentences[k].text, text()])
        if len(grown) > MAX_QUOTE_CHARS:
            break
        a, b = min(a, k), max(b, k)
    return text()
