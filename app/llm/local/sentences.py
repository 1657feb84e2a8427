"""Sentences of a timed transcript, for both caption styles YouTube serves.

Manual captions carry punctuation and casing, so sentences end at `.`, `?` and `!`.
Auto-generated captions are lower case, unpunctuated and cut mid-sentence; there a
sentence boundary is chosen between words by weighing cues: a pause between
segments, a capitalised next word when the captions have casing, a segment break,
discourse openers ("okay", "so", "now") and words that cannot end or start a
sentence ("the", "of", "and"). A dynamic programme picks the boundaries that score
best, with sentences between `MIN_WORDS` and `MAX_WORDS` words long and a growing cost
beyond `TYPICAL_WORDS`, so a long run is cut where the cues are least bad.

Every sentence's text is the transcript's own words joined by single spaces, so it is
a literal part of the transcript text between its start and end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.schemas import Segment
from app.text import word_set

MIN_WORDS = 3
MAX_WORDS = 28
SENTENCE_COST = 1.0  # a boundary must be worth more than this to be drawn without other cues
TYPICAL_WORDS = 12  # spoken sentences longer than this pay LENGTH_COST per extra word
LENGTH_COST = 0.15

_TAG = re.compile(r"^\[[^\]]{1,40}\]$")  # [Music], [Applause], [Laughter]
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_ABBREVIATIONS = word_set("dr mr mrs ms prof st vs etc eg ie e.g i.e no fig approx jr sr")
_NO_END = word_set(
    """
    a an the of to for with from at by into onto about as than and or but nor if because so that which who
    whose whom when while where whether although though unless until since my your our their his her its
    i we you they he she it's i'm we're you're they're i've we've you've i'll we'll you'll there's is are was
    were be been being am has have had do does did can could will would should shall may might must not very
    more most less really just also some any every each no this these those such like what how
    """
)
_NO_START = word_set("of to than and or nor is are was were 's has have had be been being nt")
_OPENERS = word_set("okay ok alright so now well anyway but hello hi welcome thanks")
_STARTERS = word_set(
    """
    i we you they he she it this that these there people someone my our your the a if when what how why
    every one today let's here it's that's i'm we're you're there's i've i'll we'll whenever after before
    """
)
_ENDERS = word_set(
    """
    it them me you that too now today though okay here there again yet already anymore first later together
    everyone everybody guys instead afterwards away ago week year time
    """
)
_VERBS_AFTER_SUBJECT = word_set("is are was were has have had will can does did means makes")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its literal text, its time span and whether it is speech (not a [Music] tag)."""

    text: str
    start: float
    end: float
    speech: bool = True


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    start: float
    end: float
    segment: int


def reads_whole(text: str) -> bool:
    """Whether a sentence can stand alone in a quote: it neither opens on a word that continues another sentence
    ("of", "and", "is") nor stops on one that needs more ("the", "because", "my")."""
    spoken = [_bare(w) for w in text.split()]
    spoken = [w for w in spoken if w]
    return bool(spoken) and spoken[0] not in _NO_START | {"and", "but", "by", "that"} and spoken[-1] not in _NO_END


def is_punctuated(segments: Sequence[Segment]) -> bool:
    """Manual captions: a fair share of segments carry sentence punctuation."""
    speech = [s for s in segments if s.text.strip() and not _TAG.match(s.text.strip())]
    if not speech:
        return False
    marked = sum(1 for s in speech if re.search(r"[.?!]", s.text))
    return marked >= 0.15 * len(speech)


def has_casing(segments: Sequence[Segment]) -> bool:
    """Whether capital letters carry information (words other than `I` and tags are capitalised)."""
    capitals = 0
    for segment in segments:
        for word in segment.text.split():
            if not _TAG.match(word) and word[:1].isupper() and word.rstrip(",.?!'") not in {"I", "I'm", "I've", "I'll"}:
                capitals += 1
    words = sum(len(segment.text.split()) for segment in segments)
    return capitals >= 2 and capitals * 25 >= words


def split_sentences(segments: Sequence[Segment]) -> list[Sentence]:
    """Sentences in time order covering every word of the transcript exactly once."""
    segments = sorted(segments, key=lambda s: s.start)  # captions can arrive out of order
    words = _words(segments)
    if not words:
        return []
    punctuated = is_punctuated(segments)
    cased = has_casing(segments)
    sentences: list[Sentence] = []
    for run in _speech_runs(words):
        if _TAG.match(run[0].text):
            sentences.append(Sentence(text=run[0].text, start=run[0].start, end=run[0].end, speech=False))
            continue
        cuts = _punctuation_cuts(run) if punctuated else _cue_cuts(run, segments, cased=cased)
        begin = 0
        for cut in [*cuts, len(run)]:
            if cut > begin:
                part = run[begin:cut]
                sentences.append(Sentence(text=" ".join(w.text for w in part), start=part[0].start, end=part[-1].end))
                begin = cut
    return sentences


def _words(segments: Sequence[Segment]) -> list[_Word]:
    """Words with times spread over their segment in proportion to their characters."""
    out: list[_Word] = []
    for index, segment in enumerate(segments):
        text = " ".join(segment.text.split())
        if not text:
            continue
        tokens = [text] if _TAG.match(text) else text.split(" ")
        total = sum(len(t) + 1 for t in tokens)
        offset = 0
        for token in tokens:
            start = segment.start + segment.duration * offset / total
            offset += len(token) + 1
            out.append(_Word(token, start, segment.start + segment.duration * offset / total, index))
    return out


def _speech_runs(words: list[_Word]) -> list[list[_Word]]:
    """Split the word stream at non-speech tags, each tag becoming a run of its own."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for word in words:
        if _TAG.match(word.text):
            if current:
                runs.append(current)
            runs.append([word])
            current = []
        else:
            current.append(word)
    if current:
        runs.append(current)
    return runs


def _punctuation_cuts(run: list[_Word]) -> list[int]:
    """Indexes after which a punctuated sentence ends (abbreviations and decimals are not ends)."""
    cuts = []
    for i, word in enumerate(run[:-1]):
        if _SENTENCE_END.search(word.text) and word.text.rstrip(".").lower() not in _ABBREVIATIONS:
            cuts.append(i + 1)
    return cuts


def _bare(word: str) -> str:
    return word.strip(",.;:?!\"'()[]").lower()


def _boundary_score(prev: _Word, nxt: _Word, after: _Word | None, segments: Sequence[Segment], *, cased: bool) -> float:
    """How much the gap between two words (`after` follows `nxt`) looks like the end of a sentence."""
    score = 0.0
    if nxt.segment != prev.segment:
        score += 0.4
        before = segments[prev.segment]
        gap = segments[nxt.segment].start - (before.start + before.duration)
        if gap >= 1.0:
            score += 4.0
        elif gap >= 0.3:
            score += 2.0
    if prev.text.endswith((",", ";", ":")):
        score += 0.5
    if cased and nxt.text[:1].isupper() and _bare(nxt.text) not in {"i", "i'm", "i've", "i'll", "i'd"}:
        score += 3.0
    before_word, after_word = _bare(prev.text), _bare(nxt.text)
    if before_word in _NO_END:
        score -= 4.0
    elif before_word in _ENDERS:
        score += 0.5
    if after_word in _NO_START:
        score -= 2.5
    elif after_word in _OPENERS:
        score += 1.5
    elif after_word in _STARTERS:
        score += 0.5
    elif after is not None and _bare(after.text) in _VERBS_AFTER_SUBJECT and before_word not in _NO_END:
        score += 0.8  # "... later | hydration is ...": a new subject and its verb
    return score


def _cue_cuts(run: list[_Word], segments: Sequence[Segment], *, cased: bool) -> list[int]:
    """Best boundaries of an unpunctuated run by dynamic programming over boundary scores."""
    n = len(run)
    if n <= MAX_WORDS:
        return []
    gain = [0.0] * (n + 1)  # gain[i]: value of a boundary before word i
    for i in range(1, n):
        after = run[i + 1] if i + 1 < n else None
        gain[i] = _boundary_score(run[i - 1], run[i], after, segments, cased=cased) - SENTENCE_COST
    best = [float("-inf")] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for end in range(MIN_WORDS, n + 1):
        edge = 0.0 if end == n else gain[end]
        for begin in range(max(0, end - MAX_WORDS), end - MIN_WORDS + 1):
            if best[begin] == float("-inf"):
                continue
            value = best[begin] + edge - LENGTH_COST * max(0, end - begin - TYPICAL_WORDS)
            if value > best[end]:
                best[end], back[end] = value, begin
    if best[n] == float("-inf"):  # a run too short for MIN_WORDS pieces: keep it whole
        return []
    cuts = []
    position = back[n]
    while position > 0:
        cuts.append(position)
        position = back[position]
    return sorted(cuts)
