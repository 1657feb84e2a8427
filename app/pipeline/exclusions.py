"""“No more X”: which interests and which videos an exclusion in the instructions removes.

An exclusion removes the interests it names, and then every video about it: about the
words of the exclusion, and about the removed interests in their own terms (their
names and keywords), so "no more golf" also drops a video titled "Fixing your short
game" when "short game" was one of the golf interest's keywords, and "no more GIS" one
titled "Geographic information systems, the basics". An interest is also named when its
own words all but say the exclusion ("wood movement" and "chisel" for "no more
woodworking": `_covers`). A video matches by its words, and its talk too: one that names
the exclusion again and again is about it whatever its title says (`talk_names`), and one
that stands out among the run's talks as near the exclusion in meaning is about it though
it never names it ("no more woodworking" and a talk on cutting dovetails: `talks_about`).

Topics are built from the instructions and the interests the user last saw, both
fixed when the run starts, so a resumed run removes exactly what the first attempt did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from app.llm.local import parse_instructions
from app.llm.local.embeddings import embed
from app.llm.local.sentences import split_sentences
from app.llm.local.soft_match import content_words, covered
from app.schemas import Candidate, Interest, Preferences, TranscriptData
from app.text import holds_terms, terms

DEFINING_KEYWORDS = 3  # an interest's first keywords say what it is; later ones are its neighbourhood
KEYWORDS_FOR_ABOUT = 2  # keywords of a removed interest a video must name to be about it
MEANING_COVER = 0.75  # how near, on average, each word of the exclusion must be to one of them (cosine)
# A talk is about an excluded subject by meaning when its nearness to the exclusion, talk and title together, is
# this far above the median of the run's talks, in robust standard deviations (`talks_about`). Over fourteen
# exclusions on real captions, 2.0 also took three talks on other subjects; 2.5 took one, and still caught twelve
# talks on the excluded subjects that their words missed.
ABOUT_SPREAD = 2.5
MIN_TALKS = 8  # fewer talks say too little of what is usual among them
NAMED_SENTENCES = 2  # a talk that names an excluded topic this often is about it (once can be in passing)
TALK_CHUNK_WORDS = 60


@dataclass(frozen=True)
class ExcludedTopic:
    """One exclusion with what it removes: the user's interests it names and the terms of each."""

    phrase: str
    # Terms keep the order they are said in: "ROV" holds the initials of "remote operated vehicles" read in order.
    phrase_terms: tuple[str, ...]
    interests: tuple[str, ...]
    names: tuple[tuple[str, ...], ...]  # the phrase's terms and each removed interest's name terms
    keywords: tuple[frozenset[str], ...]  # the removed interests' keywords, as term sets


def excluded_topics(prefs: Preferences) -> list[ExcludedTopic]:
    """The exclusions in the user's instructions, each with the interests (last seen or pinned) it removes."""
    known = {i.name: i for i in [*prefs.interests.previous, *prefs.interests.pinned]}
    topics = []
    for phrase in parse_instructions(prefs.instructions).exclusions:
        needed = _ordered_terms(phrase)
        if not needed:
            continue
        removed = [i for i in known.values() if _names(i, needed, phrase)]
        topics.append(
            ExcludedTopic(
                phrase=phrase,
                phrase_terms=needed,
                interests=tuple(i.name for i in removed),
                names=(needed, *(_ordered_terms(i.name) for i in removed)),
                keywords=tuple(k for i in removed for k in _term_sets(i.keywords) if k),
            )
        )
    return topics


def interest_excluded(interest: Interest, topics: Iterable[ExcludedTopic]) -> ExcludedTopic | None:
    """The topic that removes this interest: it names the interest, or is the interest the user last saw."""
    for topic in topics:
        if interest.name in topic.interests or _names(interest, topic.phrase_terms, topic.phrase):
            return topic
    return None


def video_excluded(candidate: Candidate, topics: Iterable[ExcludedTopic]) -> ExcludedTopic | None:
    """The topic a video is about, by its title and description, or None."""
    return about(f"{candidate.title}\n{candidate.description}", topics)


def about(text: str, topics: Iterable[ExcludedTopic]) -> ExcludedTopic | None:
    """The first topic the text is about: it holds every term of a name (an initialism also spelled out in full),
    or two of a removed interest's keywords."""
    present = set(terms(text))
    for topic in topics:
        if any(name and holds_terms(text, name, present) for name in topic.names):
            return topic
        if sum(1 for keyword in topic.keywords if keyword <= present) >= KEYWORDS_FOR_ABOUT:
            return topic
    return None


def talk_names(transcript: TranscriptData, topics: Sequence[ExcludedTopic]) -> ExcludedTopic | None:
    """The topic the talk names in NAMED_SENTENCES sentences or more (by `about`), or None: a talk that says
    "poker" again and again is about poker, whatever its title says."""
    if not topics:
        return None
    said: dict[str, int] = {}
    for sentence in split_sentences(transcript.segments):
        topic = about(sentence.text, topics)
        if topic is not None:
            said[topic.phrase] = said.get(topic.phrase, 0) + 1
            if said[topic.phrase] >= NAMED_SENTENCES:
                return topic
    return None


def talks_about(talks: Sequence[tuple[Candidate, TranscriptData]], topics: Sequence[ExcludedTopic]) -> dict[str, str]:
    """The videos whose talk is about an excluded topic by its meaning (video id -> the exclusion's phrase).

    Each talk and each title with its description is compared with the exclusion's phrase (sentence
    embeddings; a talk is the mean of its passages). A talk about the subject stands out from the others the
    run found, talk and title counted alike, ABOUT_SPREAD above their median in robust standard deviations
    (the median absolute deviation: the talks on the subject can be half of them). The comparison is among
    the run's talks, never to a fixed level: how near a subject's name sits to talks about it depends on the
    subject.
    """
    if not topics or len(talks) < MIN_TALKS:
        return {}
    talk_vectors = np.array([_talk_vector(transcript) for _, transcript in talks])
    title_vectors = embed([f"{c.title}. {c.description}" for c, _ in talks])
    found: dict[str, str] = {}
    for topic, meaning in zip(topics, embed([t.phrase for t in topics]), strict=True):
        nearness = (_robust_z(talk_vectors @ meaning) + _robust_z(title_vectors @ meaning)) / 2
        for (candidate, _), value in zip(talks, nearness, strict=True):
            if value >= ABOUT_SPREAD:
                found.setdefault(candidate.video_id, topic.phrase)
    return found


def _talk_vector(transcript: TranscriptData) -> np.ndarray:
    """The meaning of a whole talk: the mean of its passages of TALK_CHUNK_WORDS words, unit length (a four-hour
    podcast is a few hundred passages)."""
    words = " ".join(s.text for s in transcript.segments).split()
    chunks = [" ".join(words[i : i + TALK_CHUNK_WORDS]) for i in range(0, len(words), TALK_CHUNK_WORDS)]
    mean: np.ndarray = embed(chunks or [""]).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def _robust_z(values: np.ndarray) -> np.ndarray:
    """How far each value is from the median, in robust standard deviations (1.4826 median absolute deviations)."""
    centre = float(np.median(values))
    spread = 1.4826 * float(np.median(np.abs(values - centre)))
    return (values - centre) / spread if spread > 0 else np.zeros_like(values)


def _names(interest: Interest, needed: Sequence[str], phrase: str) -> bool:
    """The interest is named by these terms: its name, or one of its defining keywords, holds them all (an
    initialism also spelled out: "GIS" names "Geographic information systems"), or its words cover the phrase in
    meaning (`_covers`)."""
    texts = [interest.name, *interest.keywords[:DEFINING_KEYWORDS]]
    return any(holds_terms(text, needed) for text in texts) or _covers(phrase, interest)


def _covers(phrase: str, interest: Interest) -> bool:
    """Every word of the phrase has a near twin among the interest's name and defining keywords (`soft_match`):
    "woodworking" and the "wood movement" of an interest its posts named "End grain". The bar is high, so only a
    word the interest all but says counts, and only its defining words: a later keyword ("breadboard" among
    the woodworking ones) would take "no more bread" for it."""
    words = content_words(phrase)
    own = content_words(" ".join([interest.name, *interest.keywords[:DEFINING_KEYWORDS]]))
    return bool(words and own) and float(covered([words], [own])[0, 0]) >= MEANING_COVER


def _ordered_terms(text: str) -> tuple[str, ...]:
    """The text's terms once each, in the order it says them (initials are read in that order)."""
    return tuple(dict.fromkeys(terms(text)))


def _term_sets(texts: Sequence[str]) -> list[frozenset[str]]:
    return [frozenset(terms(text)) for text in texts]
