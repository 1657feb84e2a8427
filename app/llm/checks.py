"""What the model engine accepts of a reply, stage by stage.

A reply that breaks a rule of the whole answer (an interest citing a post that was not
sent, a query for an interest that does not exist) raises `InvalidReply`, whose message is
sent back to the model once. In the batched stages (clips, ranking, explanations) one bad
item does not spoil the others: each item is judged alone and a bad one comes back as the
reason it was refused, so that item alone goes to the local engine and the run log says why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from app.llm.output_schemas import ChoiceOut, InterestsOutput, QueriesOutput, ScreenOutput, WrittenOut
from app.schemas import Explanation, Interest, ScreenDecision, SearchQuery
from app.validation import (
    MAX_CITED,
    MAX_EVIDENCE,
    MAX_INTERESTS,
    quote_problems,
    validate_explanation,
    words_of,
)

MAX_QUERIES_PER_INTEREST = 4
MAX_QUERY_CHARS = 100
MAX_EXPLANATION_CHARS = 600
MAX_SENTENCES = 3
OPENING_WORDS = 3  # explanations that open with the same words read like a template

_MARKUP = re.compile(r"<[a-zA-Z/!?]|javascript:|https?://|www\.", re.IGNORECASE)  # tags, scripts, links
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_QUOTED_SPAN = re.compile(r'"[^"]*"|“[^”]*”')


class InvalidReply(ValueError):
    """A schema-valid reply that breaks a rule of its stage; the message is sent back to the model."""


def check_interests(out: InterestsOutput, sent_ids: Collection[str]) -> list[Interest]:
    interests: list[Interest] = []
    seen: set[str] = set()
    for item in out.interests[:MAX_INTERESTS]:
        name = " ".join(item.name.split())
        foreign = [t for t in item.evidence_tweet_ids if t not in sent_ids]
        if foreign:
            raise InvalidReply(f"interest {name!r} cites ids that are not in the engagement block: {foreign[:3]}")
        evidence = list(dict.fromkeys(item.evidence_tweet_ids))[:MAX_EVIDENCE]
        if not name or name.lower() in seen or not evidence:
            raise InvalidReply(f"interest {name!r} is empty, repeated or cites no post")
        if _MARKUP.search(name) or _MARKUP.search(item.description):
            raise InvalidReply(f"interest {name!r} must be plain text, without markup or links")
        seen.add(name.lower())
        interests.append(
            Interest(
                name=name,
                description=" ".join(item.description.split()),
                weight=min(1.0, max(0.0, item.weight)),
                evidence_tweet_ids=evidence,
                keywords=[k.strip() for k in item.keywords if k.strip()][:8],
            )
        )
    if not interests:
        raise InvalidReply("no interests were given")
    return interests


def check_queries(out: QueriesOutput, interests: Sequence[Interest]) -> list[SearchQuery]:
    names = {i.name.lower(): i.name for i in interests}
    per_interest: dict[str, list[str]] = {i.name: [] for i in interests}
    for item in out.queries:
        name = names.get(" ".join(item.interest.split()).lower())
        if name is None:
            raise InvalidReply(f"query {item.query!r} names an interest that does not exist: {item.interest!r}")
        query = " ".join(item.query.split())[:MAX_QUERY_CHARS]
        chosen = per_interest[name]
        if query and query.lower() not in {q.lower() for q in chosen} and len(chosen) < MAX_QUERIES_PER_INTEREST:
            chosen.append(query)
    missing = [name for name, queries in per_interest.items() if not queries]
    if missing:
        raise InvalidReply(f"no queries for the interests {missing}")
    return [SearchQuery(interest=name, query=q) for name, queries in per_interest.items() for q in queries]


def check_screen(out: ScreenOutput, ids: Sequence[str], interests: Sequence[Interest]) -> dict[str, ScreenDecision]:
    names = {i.name.lower(): i.name for i in interests}
    decisions: dict[str, ScreenDecision] = {}
    for item in out.decisions:
        if item.video_id not in ids:
            raise InvalidReply(f"decision for a video that is not a candidate: {item.video_id!r}")
        if item.video_id in decisions:
            raise InvalidReply(f"two decisions for {item.video_id!r}")
        interest = names.get(" ".join(item.interest.split()).lower(), "")
        if item.keep and not interest:
            raise InvalidReply(f"{item.video_id!r} is kept for an interest that does not exist: {item.interest!r}")
        decisions[item.video_id] = ScreenDecision(
            video_id=item.video_id,
            keep=item.keep,
            interest=interest,
            reason=" ".join(item.reason.split())[:300],
            score=min(1.0, max(0.0, item.score)),
        )
    return decisions


@dataclass(frozen=True)
class Choice:
    """The model's choice for one video: a topic segment (None: no segment is worth a clip) and its score."""

    segment: int | None
    score: float


def check_choices(out: Sequence[ChoiceOut], shown: Mapping[str, Collection[int]]) -> dict[str, Choice | str]:
    """Each shown video's choice, or why it was refused (a segment that was not shown, a second choice)."""
    if not any(c.video_id in shown for c in out):
        raise InvalidReply("no choice names a video that was shown")
    choices: dict[str, Choice | str] = {}
    for item in out:
        if item.video_id not in shown or item.video_id in choices:
            continue  # an unknown video is never clipped; a repeated one keeps its first choice
        if item.segment == 0:
            choices[item.video_id] = Choice(None, 0.0)
        elif item.segment in shown[item.video_id]:
            choices[item.video_id] = Choice(item.segment, min(1.0, max(0.0, item.score)))
        else:
            choices[item.video_id] = f"the model chose segment {item.segment}, which was not shown"
    return choices


@dataclass(frozen=True)
class Shown:
    """What the model was shown of one clip: what it says and the posts it may cite (id to text)."""

    spoken: str
    posts: Mapping[str, str]


def check_written(items: Sequence[WrittenOut], shown: Mapping[str, Shown]) -> dict[str, Explanation | str]:
    """Each shown clip's explanation, or why it was refused; openings repeated from an earlier one are refused."""
    if not any(i.video_id in shown for i in items):
        raise InvalidReply("no explanation names a clip that was shown")
    written: dict[str, Explanation | str] = {}
    openings: set[str] = set()
    for item in items:
        if item.video_id not in shown or item.video_id in written:
            continue
        outcome = _check_one(item, shown[item.video_id])
        if isinstance(outcome, Explanation):
            opening = " ".join(words_of(outcome.text).split()[:OPENING_WORDS])
            if opening in openings:
                outcome = f"the explanation opens like another one (“{opening}…”)"
            openings.add(opening)
        written[item.video_id] = outcome
    return written


def _check_one(item: WrittenOut, shown: Shown) -> Explanation | str:
    text = " ".join(item.text.split())
    if _MARKUP.search(text):
        return "the explanation has markup or a link"
    if len(text) > MAX_EXPLANATION_CHARS:
        return f"the explanation is longer than {MAX_EXPLANATION_CHARS} characters"
    sentences = len(_SENTENCE_END.findall(_QUOTED_SPAN.sub("q", text) + " "))
    if not 1 <= sentences <= MAX_SENTENCES:
        return f"the explanation has {sentences} sentences, not 1 to {MAX_SENTENCES}"
    foreign = [t for t in item.tweet_ids if t not in shown.posts]
    if foreign:
        return f"the explanation cites posts that were not shown for this clip: {', '.join(foreign[:3])}"
    cited = list(dict.fromkeys(item.tweet_ids))[:MAX_CITED]  # repeats and surplus citations are dropped
    explanation = Explanation(text=text, tweet_ids=cited)
    problems = validate_explanation(explanation, user_tweet_ids=shown.posts)
    problems += quote_problems(text, shown.spoken, posts=[shown.posts[t] for t in cited])
    return "; ".join(problems) if problems else explanation
