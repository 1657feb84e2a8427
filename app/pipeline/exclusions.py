"""“No more X”: which interests and which videos an exclusion in the instructions removes.

An exclusion removes the interests it names, and then every video about it: about the
words of the exclusion, and about the removed interests in their own terms (their
names and keywords), so "no more golf" also drops a video titled "Fixing your short
game" when "short game" was one of the golf interest's keywords, and "no more NLP" one
titled "Natural language processing, the basics". An interest is also named when its
own words all but say the exclusion ("wood movement" and "chisel" for "no more
woodworking": `_covers`); the match of a video is lexical.

Topics are built from the instructions and the interests the user last saw, both
fixed when the run starts, so a resumed run removes exactly what the first attempt did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.llm.local import parse_instructions
from app.llm.local.soft_match import content_words, covered
from app.schemas import Candidate, Interest, Preferences
from app.text import holds_terms, terms

DEFINING_KEYWORDS = 3  # an interest's first keywords say what it is; later ones are its neighbourhood
KEYWORDS_FOR_ABOUT = 2  # keywords of a removed interest a video must name to be about it
MEANING_COVER = 0.75  # how near, on average, each word of the exclusion must be to one of them (cosine)


@dataclass(frozen=True)
class ExcludedTopic:
    """One exclusion with what it removes: the user's interests it names and the terms of each."""

    phrase: str
    phrase_terms: frozenset[str]
    interests: tuple[str, ...]
    names: tuple[frozenset[str], ...]  # the phrase's terms and each removed interest's name terms
    keywords: tuple[frozenset[str], ...]  # the removed interests' keywords, as term sets


def excluded_topics(prefs: Preferences) -> list[ExcludedTopic]:
    """The exclusions in the user's instructions, each with the interests (last seen or pinned) it removes."""
    known = {i.name: i for i in [*prefs.interests.previous, *prefs.interests.pinned]}
    topics = []
    for phrase in parse_instructions(prefs.instructions).exclusions:
        needed = frozenset(terms(phrase))
        if not needed:
            continue
        removed = [i for i in known.values() if _names(i, needed, phrase)]
        topics.append(
            ExcludedTopic(
                phrase=phrase,
                phrase_terms=needed,
                interests=tuple(i.name for i in removed),
                names=(needed, *(frozenset(terms(i.name)) for i in removed)),
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


def _names(interest: Interest, needed: frozenset[str], phrase: str) -> bool:
    """The interest is named by these terms: its name, or one of its defining keywords, holds them all (an
    initialism also spelled out: "NLP" names "Natural language processing"), or its words cover the phrase in
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


def _term_sets(texts: Sequence[str]) -> list[frozenset[str]]:
    return [frozenset(terms(text)) for text in texts]
