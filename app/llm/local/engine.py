"""The local engine: every LLM stage done with retrieval and scoring, no network, no key."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from app.llm.local.chapters import chapters
from app.llm.local.clips import Profile, best_window
from app.llm.local.embeddings import embed
from app.llm.local.encoder import encode
from app.llm.local.instructions import InstructionPlan, Level, parse_instructions
from app.llm.local.interests import infer_interests
from app.llm.local.naming import topic_names
from app.llm.local.own_words import interest_from_text, more_queries
from app.llm.local.screening import level_factor, screen_candidates, substance
from app.llm.local.sentences import split_sentences
from app.llm.local.vectors import Vector, add, cosine
from app.schemas import (
    Candidate,
    Clip,
    Engagement,
    Explanation,
    Interest,
    Preferences,
    ScreenDecision,
    SearchQuery,
    TranscriptData,
)
from app.text import clean_text, quotable, surprisal, terms
from app.validation import validate_clip

MAX_QUERIES = 4
MIN_MATCH = 0.1  # a best window this far from what the user writes about is not worth a clip
# A passage can answer the posts in a talk on a neighbouring subject (a talk on building kilns that says "glaze"
# throughout, for someone who posts about glazing their pots): a clip's score also counts, to this power, how well
# screening found the video's title and description to fit the interest (`Candidate.fit`), so talks about the
# subject itself come first. Never below MIN_FIT: a video kept for its meaning alone fits little.
FIT_EXPONENT = 0.25
MIN_FIT = 0.05
MAX_CITED = 3
SHARED_SURPRISAL = 3.0  # one word no commoner than "heat" (Zipf 5 or less), or two commoner ones
# A post's nearness in meaning to the clip (the sentence encoder's cosine) counts this much beside the words they
# share; at 1 it starts to outrank a post that says the clip's own rare terms. Only the posts sharing the most
# words are compared, so a large archive costs no more than a small one.
CITE_MEANING = 0.5
CITE_CANDIDATES = 20
ALSO_MIN_MEANING = 0.2  # posts on other subjects that share a word with the clip sit below it, from 0 to 0.19
LEAD_MIN_MEANING = 0.3  # ... and a post about the clip's subject in other words, from 0.3 up
EXCERPT_CHARS = 110
SECOND_EXCERPT_CHARS = 70  # a second cited post is quoted shorter
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
# How much every post shapes the clip profile beside its closeness to the interest (1 for the interest's own posts):
# at 1, the interest's posts count twice as much as a post on another subject. Grouping a person's posts into
# interests is imperfect (a post on the same subject in other words lands in another group), and a talk often
# answers a neighbouring post: on real captions, 1 rather than 0.3 put more of the talks the person follows among
# the first ten and more clips on the passage that matters.
BACKGROUND_SHARE = 1.0


class LocalEngine:
    """Implements the `LLM` Protocol with lexical retrieval, clustering and transcript-window scoring."""

    name = "local"

    def __init__(self) -> None:
        # Explanations come in feed order: each takes the next wording, so no two in a row open alike.
        self._explained = itertools.count()

    def plan(self, prefs: Preferences) -> InstructionPlan:
        """The instructions as this engine applies them (the run log shows `applied` and `unsupported`).

        Instructions first; without a stated level, repeated "too basic"/"too advanced" votes set one.
        """
        plan = parse_instructions(prefs.instructions)
        if plan.level is not None:
            return plan
        reasons = Counter(f.reason for f in prefs.feedback if f.vote < 0 and f.reason)
        if reasons["too_basic"] >= 2 and reasons["too_basic"] > reasons["too_advanced"]:
            return _with_level(plan, "advanced")
        if reasons["too_advanced"] >= 2:
            return _with_level(plan, "beginner")
        return plan

    def infer_interests(self, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
        return infer_interests(engagement, self.plan(prefs), prefs.feedback)

    def write_queries(self, interests: Sequence[Interest], prefs: Preferences) -> list[SearchQuery]:
        plan = self.plan(prefs)
        queries: list[SearchQuery] = []
        for interest in interests:
            keywords = [k for k in interest.keywords if not plan.excludes(k)]
            phrases = [k for k in keywords if len(terms(k)) > 1]
            in_phrases = {t for p in phrases for t in terms(p)}
            singles = [k for k in keywords if len(terms(k)) == 1 and terms(k)[0] not in in_phrases]
            texts = [*phrases[: MAX_QUERIES - 1], " ".join(singles[:4])]
            if len(phrases) < 2 and phrases:
                texts.insert(1, " ".join([phrases[0], *singles[:2]]))
            if plan.level is not None and texts:
                texts[0] += " for beginners" if plan.level == "beginner" else " advanced"
            seen: set[str] = set()
            for text in texts:
                text = " ".join(text.replace("&", " ").split())
                if text and text.lower() not in seen and terms(text) and len(seen) < MAX_QUERIES:
                    seen.add(text.lower())
                    queries.append(SearchQuery(interest=interest.name, query=text))
        return queries

    def interest_from_text(self, text: str, engagement: Sequence[Engagement]) -> Interest:
        """Hook for interests the user added in their own words."""
        return interest_from_text(text, engagement)

    def more_queries(self, interest: Interest, written: Sequence[str], count: int) -> list[str]:
        """Hook for a deeper search when the user's interests are few."""
        return more_queries(interest, written, count)

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        return screen_candidates(candidates, interests, prefs, self.plan(prefs))

    def name_topics(
        self, interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]
    ) -> dict[str, str]:
        """Hook for naming interests after the titles of the videos screening kept for them."""
        return topic_names(interests, kept, found)

    def choose_clip(
        self,
        candidate: Candidate,
        interest: Interest,
        transcript: TranscriptData,
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> Clip | None:
        plan = self.plan(prefs)
        sentences = split_sentences(transcript.segments)
        if not sentences:
            return None
        if candidate.duration_s:  # a transcript running past the video's end: only what the video holds
            sentences = [s for s in sentences if s.end <= candidate.duration_s]
        marked = chapters(candidate.description, candidate.duration_s)
        window = best_window(sentences, clip_profile(interest, engagement), length=plan.clip_length, chapters=marked)
        if window is None or window.match < MIN_MATCH:
            return None
        quality = substance(candidate)
        score = window.match * (0.5 + 0.5 * interest.weight) * quality.factor * level_factor(candidate, plan)
        score *= max(candidate.fit, MIN_FIT) ** FIT_EXPONENT
        clip = Clip(
            video_id=candidate.video_id,
            interest=interest.name,
            start_s=round(window.start, 2),
            end_s=round(window.end, 2),
            quote=window.quote,
            score=round(score, 4),
        )
        # Overlapping or repeated caption segments can defeat the window's own guarantees.
        return None if validate_clip(clip, transcript, duration_s=candidate.duration_s) else clip

    def explain(
        self,
        clip: Clip,
        candidate: Candidate,
        interest: Interest,
        evidence: Sequence[Engagement],
        prefs: Preferences,
    ) -> Explanation:
        cited = cite(evidence, f"{clip.quote} {candidate.title}", interest)
        text = explanation_text(clip, cited, turn=next(self._explained))
        return Explanation(text=text, tweet_ids=[e.tweet_id for e in cited])


VERBS: dict[str, str] = {
    "tweet": "posted",
    "reply": "replied",
    "quote": "quoted a post with",
    "retweet": "reposted",
    "like": "liked",
    "note": "noted",
}


# What a post was, for the second post an explanation cites: as the only one of its kind, and after one.
NOUNS: dict[str, tuple[str, str]] = {
    "tweet": ("your post", "another of your posts"),
    "reply": ("your reply", "another of your replies"),
    "quote": ("your quote post", "another of your quote posts"),
    "retweet": ("a post you reposted", "another post you reposted"),
    "like": ("a post you liked", "another post you liked"),
    "note": ("your note", "another of your notes"),
    "question": ("your question", "your other question"),
}
ALSO = (
    ' It connects to {noun} too: "{excerpt}".',
    ' {Noun} comes up here as well: "{excerpt}".',
    ' The same thread runs through {noun}: "{excerpt}".',
    ' It bears on {noun} too: "{excerpt}".',
)


def explanation_text(clip: Clip, cited: Sequence[Engagement], *, turn: int | None = None) -> str:
    """One to three sentences: what the user wrote (with the verb for how they engaged), what in the clip takes it
    up or extends it, and a phrase spoken in the clip. The wording turns from one item of the feed to the next
    (`turn`, its place in the order explained; without one, with the video), so a feed never reads as one template
    repeated. A question is "taken up", never "answered": the words it shares with the clip show the clip is about
    it, not that the clip settles it."""
    quote = clip.quote.strip().rstrip(",;:")
    if quote[-1:] not in ".?!…":
        quote += "."
    if not cited:
        return f'The speaker puts it this way: "{quote}"'
    post = cited[0]
    excerpt = _excerpt(post.text).rstrip(".,;:")
    asked = _asks(post.text, EXCERPT_CHARS)
    first = _said_as(post, asked)
    verb = "asked" if first == "question" else VERBS.get(post.kind, "posted")
    seed = sum(map(ord, clip.video_id)) if turn is None else turn
    opening = seed % 4
    if opening == 0:
        text = f'You {verb} "{excerpt}". This part of the talk '
        text += f'{"takes up that question" if asked else "takes it further"}: "{quote}"'
    elif opening == 1:
        text = f'"{quote}" That line is the core of this clip, and it {"speaks to" if asked else "builds on"} '
        text += f'{NOUNS[first][0]}: "{excerpt}".'
    elif opening == 2:
        text = f'Since you {verb} "{excerpt}", here is a stretch that {"takes it up" if asked else "goes deeper"}, '
        text += f'in the speaker\'s words: "{quote}"'
    else:
        text = f'Picking up from {NOUNS[first][0]} "{excerpt}", the speaker says: "{quote}"'
    if len(cited) > 1:
        text += _second_post(cited[1], (seed + seed // 4) % len(ALSO), after=first)
    return text


def _second_post(post: Engagement, turn: int, *, after: str) -> str:
    """One more sentence for a second cited post, worded apart from the opening (its own turn) and from other
    items, and naming what the post was (a question, a reply, a like), "another" when the first was one too."""
    excerpt = _excerpt(post.text, SECOND_EXCERPT_CHARS).rstrip(".,;:")
    kind = _said_as(post, _asks(post.text, SECOND_EXCERPT_CHARS))
    noun = NOUNS[kind][kind == after]
    return ALSO[turn].format(noun=noun, Noun=noun[:1].upper() + noun[1:], excerpt=excerpt)


def _said_as(post: Engagement, asked: bool) -> str:
    """A question when the user wrote one (a liked or reposted question is someone else's), else the post's kind."""
    return "question" if asked and post.kind in ("tweet", "reply", "note") else post.kind


def _asks(text: str, limit: int) -> bool:
    """Whether the excerpt of a post (about its first `limit` characters) asks something: a question mark in it, or
    at the end of the sentence it is cut in ("Quick one for the bakers here: when the starter peaks early, do …?")."""
    shown = _excerpt(text, limit)
    if not shown.endswith("…"):
        return "?" in shown
    cleaned = quotable(text)
    stop = _SENTENCE_END.search(cleaned, len(shown) - 1)
    return "?" in (cleaned if stop is None else cleaned[: stop.end()])


def clip_profile(interest: Interest, engagement: Sequence[Engagement]) -> Profile:
    """Term weights of the user's posts, those close to the interest counting several times more, and their
    meaning weighted the same way (the interest's name and keywords as one more post)."""
    weighted = _post_weights(interest, engagement)
    profile = Profile()
    for item, weight in weighted:
        add(profile, dict.fromkeys(terms(item.text), 1.0), weight)
    profile.meaning = _meaning(interest, weighted)
    return profile


def _meaning(interest: Interest, weighted: list[tuple[Engagement, float]]) -> np.ndarray | None:
    texts = [clean_text(item.text) for item, _ in weighted] + [", ".join([interest.name, *interest.keywords[:8]])]
    if not texts:
        return None
    weights = np.array([w for _, w in weighted] + [max((w for _, w in weighted), default=1.0)])
    vector = weights @ embed(texts)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def _post_weights(interest: Interest, engagement: Sequence[Engagement]) -> list[tuple[Engagement, float]]:
    """Each post with content terms and how much it shapes the clip: its recency weight times BACKGROUND_SHARE plus
    its closeness to the interest (1 for the interest's own evidence)."""
    focus: Vector = {}
    for rank, keyword in enumerate([interest.name, *interest.keywords]):
        for term in terms(keyword):
            focus[term] = max(focus.get(term, 0.0), 1.0 / (1 + 0.2 * rank))
    evidence = set(interest.evidence_tweet_ids)
    weighted = []
    for item in engagement:
        item_terms = set(terms(item.text))
        if not item_terms:
            continue
        closeness = 1.0 if item.tweet_id in evidence else cosine(dict.fromkeys(item_terms, 1.0), focus)
        weighted.append((item, item.weight * (BACKGROUND_SHARE + closeness)))
    return weighted


def cite(evidence: Sequence[Engagement], clip_text: str, interest: Interest) -> list[Engagement]:
    """1-3 of the user's posts closest to the clip, the interest's own evidence first among equals.

    Closeness is the telling words a post shares with the clip and, for the CITE_CANDIDATES posts sharing the
    most, how near the sentence encoder puts the post to the clip in meaning: "my parcel finally arrives" shares
    a word with a clip on nerve signals arriving at a muscle, a question about cramp shares its subject."""
    usable = [e for e in evidence if e.text.strip()] or list(evidence)
    if not usable:
        return []
    said = surprisal(clip_text)
    target = dict(said)
    for keyword in interest.keywords[:5]:
        for term, weight in surprisal(keyword).items():
            target[term] = target.get(term, 0.0) + 0.5 * weight
    own = set(interest.evidence_tweet_ids)
    posts = [(e, surprisal(e.text)) for e in usable]
    lexical = sorted(
        ((cosine(words, target) + 0.05 * (e.tweet_id in own), e, words) for e, words in posts),
        key=lambda row: (-row[0], -row[1].weight),
    )[:CITE_CANDIDATES]
    meaning = encode([clean_text(e.text) for _, e, _ in lexical]) @ encode([clean_text(clip_text)])[0]
    scored = sorted(
        (
            (score + CITE_MEANING * float(near), e, words, float(near))
            for (score, e, words), near in zip(lexical, meaning, strict=True)
        ),
        key=lambda row: (-row[0], -row[1].weight),
    )

    def shares_clip(words: dict[str, float]) -> bool:
        # A shared stem weighs as its commoner form: "settings" in the clip and "set" in a post share "set".
        return sum(min(weight, said[t]) for t, weight in words.items() if t in said) >= SHARED_SURPRISAL

    # A cited post shares words of the clip of some weight (`SHARED_SURPRISAL`): sharing only the interest's
    # keywords makes it about the interest, not this clip, and sharing "test" or "finally" is chance. The post
    # that leads is the closest one that does and is about the clip in meaning too (ALSO_MIN_MEANING); else the
    # closest clearly near it in meaning (LEAD_MIN_MEANING), whatever its words; else the closest sharing words.
    # A post cited beside it is also about the clip in meaning: a word in common is not enough for a second reason.
    near_and_shared = (row for row in scored if shares_clip(row[2]) and row[3] >= ALSO_MIN_MEANING)
    near = (row for row in scored if row[3] >= LEAD_MIN_MEANING)
    shared = (row for row in scored if shares_clip(row[2]))
    lead = next(near_and_shared, None) or next(near, None) or next(shared, scored[0])
    rest = [row for row in scored if row is not lead][: MAX_CITED - 1]
    also = [
        e
        for score, e, words, near in rest
        if score >= 0.5 * lead[0] > 0 and shares_clip(words) and near >= ALSO_MIN_MEANING
    ]
    return [lead[1], *also]


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    cleaned = quotable(text)
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _with_level(plan: InstructionPlan, level: Level) -> InstructionPlan:
    note = f"preferring {'advanced' if level == 'advanced' else 'beginner-friendly'} videos (from your feedback)"
    return replace(plan, level=level, applied=[*plan.applied, note])
