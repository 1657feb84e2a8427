"""Screening candidates without a model: substance over entertainment, each tied to an interest.

Clickbait is recognised by the tropes it is built from, not by topic: shouting
(all-caps words, "!!!", "?!"), emoji, stunt formats ("24 hours", "*action*"), and the
names of entertainment genres (pranks, reaction videos, drama, challenges, vlogs,
mukbang). Words of teaching (lecture, talk, course, explained, interview) count against
it. A kept video is tied to the interest whose words it shares most, and its score says
how well it fits; recency is deliberately not part of it. A video that shares too few
words with every interest is still kept when its title stands out, among the videos words
turned away, as near one in meaning (a soft cosine of their words), tied to that one at
the lowest score.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.llm.local.instructions import InstructionPlan, abbreviated
from app.llm.local.soft_match import content_words, soft_cosine
from app.llm.local.vectors import Vector, add, cosine, idf_table, tf_idf
from app.schemas import Candidate, FeedbackSignal, Interest, Preferences, ScreenDecision
from app.text import terms, words

MIN_DURATION_S = 40  # a 30 s clip needs a little room around it
CLICKBAIT_THRESHOLD = 2.0
MIN_RELEVANCE = 0.03
# A video sharing too few words with every interest still passes when its title and description are near one
# in meaning: MEANING_SPREAD standard deviations above the mean nearness of the videos words turned away
# (`_near_in_meaning`), when there are MIN_MEANING_BATCH of those or more (fewer say nothing of what is usual).
MEANING_SPREAD = 0.5
MIN_MEANING_BATCH = 5
# ... and never below this nearness: unrelated titles reach about 0.1 (a bike repair and a beehive), titles on
# a neighbouring subject of the same field 0.15 to 0.17; a level the turned-away videos set when none of them
# is on subject must not let them in.
MEANING_FLOOR = 0.18
MIN_ABBREVIATION = 3  # letters of an abbreviation taken from one video for the others

_STUNT = [
    (re.compile(r"\bpranks?\b|\bprank(?:ed|ing)\b", re.I), 2.0, "prank"),
    (re.compile(r"\breact(?:s|ion|ing)\b|\breaction\s+video", re.I), 1.5, "reaction"),
    (
        re.compile(r"\bdrama\b|\bgossip\b|\bstorytime\b|\btea\s+spill|\bspill(?:ing)?\s+the\s+tea\b|\bexposed\b", re.I),
        2.0,
        "drama or gossip",
    ),
    (re.compile(r"\bmukbang\b", re.I), 2.0, "mukbang"),
    (re.compile(r"\bchallenge\b", re.I), 1.5, "challenge"),
    (re.compile(r"\bvlog\b|\bunboxing\b|\bhaul\b", re.I), 1.5, "vlog"),
    (
        re.compile(r"\b(?:24|48|72)\s+hours?\b|\bfor\s+(?:a|one)\s+(?:whole\s+)?(?:week|day|month)\b", re.I),
        1.0,
        "stunt",
    ),
    (re.compile(r"gone\s+(?:horribly\s+|terribly\s+)?wrong|you\s+won'?t\s+believe", re.I), 1.5, "clickbait phrasing"),
    (re.compile(r"\*[^*]{2,60}\*"), 1.5, "*action*"),
    (re.compile(r"!{2,}|\?!|!\?"), 1.0, "!!!"),
    (re.compile(r"\bsubscribe\b.*\bbell\b|\bsmash\b.*\blike\b", re.I), 0.5, "engagement bait"),
]
_TEACHING = re.compile(
    r"\b(?:lectures?|talks?|conference|course|lessons?|explained|explainer|tutorial|interview|seminar|workshop|"
    r"podcast|episode|ep\.|introduction|guide|how\s+\w+\s+works|in\s+practice|keynote|session|masterclass|"
    r"the\s+evidence|from\s+scratch)\b",
    re.I,
)
_BEGINNER = re.compile(
    r"\b(?:beginners?|introduction|intro|basics|101|fundamentals|getting\s+started|step\s+by\s+step|explained|"
    r"lesson\s+1|first\s+steps|primer|for\s+everyone|made\s+easy)\b",
    re.I,
)
_ADVANCED = re.compile(
    r"\b(?:advanced|deep\s+dive|internals|in[- ]depth|expert|masterclass|research|under\s+the\s+hood)\b", re.I
)
_CAPS = re.compile(r"\b[A-Z]{4,}\b")


@dataclass(frozen=True)
class Substance:
    """How much a video's metadata looks like entertainment, and what it looked like."""

    clickbait: float
    signals: tuple[str, ...]
    teaching: float

    @property
    def is_entertainment(self) -> bool:
        return self.clickbait - self.teaching >= CLICKBAIT_THRESHOLD

    @property
    def factor(self) -> float:
        """Ranking multiplier: teaching formats up, every clickbait trope down."""
        return max(0.2, 1.0 + 0.1 * self.teaching - 0.15 * self.clickbait)


def substance(candidate: Candidate) -> Substance:
    """Clickbait tropes in the title (full weight) and description (half weight), and teaching words."""
    score = 0.0
    signals: list[str] = []
    for text, scale in ((candidate.title, 1.0), (candidate.description, 0.5)):
        for pattern, weight, label in _STUNT:
            if pattern.search(text):
                score += weight * scale
                signals.append(label)
        emoji = sum(1 for ch in text if unicodedata.category(ch) == "So")
        if emoji:
            score += min(2, emoji) * 0.75 * scale
            signals.append("emoji")
        shouted = len(_CAPS.findall(text))
        if shouted:
            score += min(2, shouted) * 0.5 * scale
            signals.append("all caps")
    teaching = min(1.5, 0.75 * len(_TEACHING.findall(f"{candidate.title} {candidate.description}")))
    return Substance(clickbait=score, signals=tuple(dict.fromkeys(signals)), teaching=teaching)


def level_factor(candidate: Candidate, plan: InstructionPlan) -> float:
    """Nudges toward introductions for beginners and toward depth for advanced users."""
    if plan.level is None:
        return 1.0
    text = f"{candidate.title} {candidate.description}"
    wanted, unwanted = (_BEGINNER, _ADVANCED) if plan.level == "beginner" else (_ADVANCED, _BEGINNER)
    return 1.0 + 0.15 * bool(wanted.search(text)) - 0.15 * bool(unwanted.search(text))


def screen_candidates(
    candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences, plan: InstructionPlan
) -> list[ScreenDecision]:
    """One decision per candidate, in the order given."""
    documents = {c.video_id: _candidate_terms(c) for c in candidates}
    profiles = [_interest_terms(i) for i in interests]
    # An abbreviation one video spells out ("Global positioning system (GPS)") names the topic in every title
    # of the batch ("Cheap GPS trackers"); three letters or more, so that no short word is taken for one.
    short = plan.abbreviations([f"{c.title}. {c.description}" for c in candidates])
    idf = idf_table([*documents.values(), *profiles], soft=True)
    screen = _Screen(
        interests=interests,
        interest_vectors=[tf_idf(p, idf) for p in profiles],
        idf=idf,
        plan=plan,
        hidden={h.strip().lower() for h in prefs.hidden_channels},
        seen=set(prefs.seen_video_ids),
        liked=_feedback_vectors(prefs.feedback, idf, vote=1),
        disliked=_feedback_vectors(prefs.feedback, idf, vote=-1),
        abbreviations={a: phrase for a, phrase in short.items() if len(a) >= MIN_ABBREVIATION},
        near={},
    )
    fitted = {c.video_id: screen.fits(documents[c.video_id]) for c in candidates}
    turned_away = [c for c in candidates if max(fitted[c.video_id][1], default=0.0) < MIN_RELEVANCE]
    screen = replace(screen, near=_near_in_meaning(turned_away, interests))
    return [screen.decide(c, documents[c.video_id], *fitted[c.video_id]) for c in candidates]


def _near_in_meaning(candidates: Sequence[Candidate], interests: Sequence[Interest]) -> dict[str, int]:
    """Of the videos words turned away, those whose title and description stand out as near an interest in
    meaning (video id -> index of that interest), by the soft cosine of their words (`soft_match`).

    Titles often name a subject in words a person's posts never use ("How do bees find their way home?" for
    someone who posts about hive inspections and the nectar flow), so words alone turn them away. Every video
    was found by a search for some interest, so nearness is judged against the level of the others turned away:
    a video MEANING_SPREAD standard deviations above their mean passes, and MEANING_FLOOR at least.
    """
    if len(candidates) < MIN_MEANING_BATCH or not interests:
        return {}
    soft = soft_cosine(
        [content_words(f"{c.title} {c.description}") for c in candidates],
        [content_words(" ".join([i.name, *i.keywords])) for i in interests],
    )
    best = soft.max(axis=1)
    cut = max(MEANING_FLOOR, float(best.mean() + MEANING_SPREAD * best.std()))
    return {
        c.video_id: int(soft[row].argmax()) for row, c in enumerate(candidates) if best[row] >= cut and best[row] > 0
    }


@dataclass(frozen=True)
class _Screen:
    """What every decision of one screening batch is taken against."""

    interests: Sequence[Interest]
    interest_vectors: list[Vector]
    idf: Vector
    plan: InstructionPlan
    hidden: set[str]
    seen: set[str]
    liked: list[Vector]
    disliked: list[Vector]
    abbreviations: dict[str, str]  # of excluded topics, as the batch's titles and descriptions spell them out
    near: dict[str, int]  # videos near an interest in meaning: the index of that interest (`_near_in_meaning`)

    def fits(self, tokens: list[str]) -> tuple[Vector, list[float]]:
        """The video's term vector and its fit to each interest (cosine)."""
        vector = tf_idf(tokens, self.idf)
        return vector, [cosine(vector, iv) for iv in self.interest_vectors]

    def decide(self, candidate: Candidate, tokens: list[str], vector: Vector, fits: list[float]) -> ScreenDecision:
        """Keep or drop one video; `vector` and `fits` are its term vector and its fit to each interest (`fits`)."""
        names = [i.name for i in self.interests]
        best = max(range(len(fits)), key=lambda i: (fits[i], names[i] == candidate.interest)) if fits else -1
        interest = names[best] if best >= 0 else candidate.interest

        def drop(reason: str) -> ScreenDecision:
            return ScreenDecision(video_id=candidate.video_id, keep=False, interest=interest, reason=reason)

        if candidate.video_id in self.seen:
            return drop("already shown to you")
        if candidate.channel.strip().lower() in self.hidden:
            return drop(f"channel {candidate.channel!r} is hidden")
        if candidate.duration_s is not None and candidate.duration_s < MIN_DURATION_S:
            return drop(f"too short for a clip ({candidate.duration_s} s)")
        said = words(f"{candidate.title} {candidate.description}")
        excluded = self.plan.excludes(f"{candidate.title}\n{candidate.description}", set(tokens)) or abbreviated(
            said, self.abbreviations
        )
        if excluded:
            return drop(f'about "{excluded}", which your instructions exclude')
        quality = substance(candidate)
        if quality.is_entertainment:
            return drop("looks like entertainment or clickbait (" + ", ".join(quality.signals) + ")")
        fit = fits[best] if best >= 0 else 0.0
        matched = f"matches your interest in {interest}"
        near = self.near.get(candidate.video_id)
        if fit < MIN_RELEVANCE and near is not None:
            best, fit = near, MIN_RELEVANCE  # kept as the least of the matches by words
            interest = names[best]
            matched = f"close in meaning to your interest in {interest}"
        if best < 0 or fit < MIN_RELEVANCE:
            return drop("does not match any of your interests")
        score = fit * (0.5 + 0.5 * self.interests[best].weight) * quality.factor
        score *= level_factor(candidate, self.plan) * self._preference(tokens) * self._feedback(vector)
        reason = matched
        if quality.teaching:
            reason += "; a talk, lecture or explainer"
        return ScreenDecision(
            video_id=candidate.video_id, keep=True, interest=interest, reason=reason, score=round(score, 4)
        )

    def _preference(self, tokens: list[str]) -> float:
        """Formats or subjects the instructions prefer ("talks over podcasts") move the score 15%."""
        factor = 1.0
        for phrases, step in ((self.plan.preferred, 1.15), (self.plan.avoided, 0.85)):
            for phrase in phrases:
                if all(t in tokens for t in terms(phrase)):
                    factor *= step
        return factor

    def _feedback(self, vector: Vector) -> float:
        """Up to +30% for likeness to liked videos, down to -50% for likeness to disliked ones."""
        up = max((cosine(vector, v) for v in self.liked), default=0.0)
        down = max((cosine(vector, v) for v in self.disliked), default=0.0)
        return (1.0 + 0.3 * up) * (1.0 - 0.5 * down)


def _candidate_terms(candidate: Candidate) -> list[str]:
    return terms(candidate.title) * 2 + terms(candidate.description) + terms(candidate.channel)


def _interest_terms(interest: Interest) -> list[str]:
    """Name words three times, then keywords with the top ones repeated."""
    tokens = terms(interest.name) * 3
    for rank, keyword in enumerate(interest.keywords):
        tokens += terms(keyword) * (2 if rank < 4 else 1)
    return tokens


def _feedback_vectors(feedback: Sequence[FeedbackSignal], idf: Vector, *, vote: int) -> list[Vector]:
    vectors = []
    for signal in feedback:
        if signal.vote == vote:
            vectors.append(add(tf_idf(terms(signal.title), idf), tf_idf(terms(signal.channel), idf), 0.5))
    return vectors
