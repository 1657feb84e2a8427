"""The local engine: every LLM stage done with retrieval and scoring, no network, no key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from app.llm.local.clips import best_window
from app.llm.local.instructions import InstructionPlan, Level, parse_instructions
from app.llm.local.interests import infer_interests
from app.llm.local.screening import level_factor, screen_candidates, substance
from app.llm.local.sentences import Sentence, split_sentences
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
from app.text import clean_text, terms
from app.validation import validate_clip

MAX_QUERIES = 4
MIN_MATCH = 0.1  # a best window this far from what the user writes about is not worth a clip
MAX_CITED = 3
EXCERPT_CHARS = 110
# How much posts unrelated to the interest still shape the clip profile: the clip should
# match what the user writes about, and a video often covers a neighbouring sub-topic.
BACKGROUND_SHARE = 0.3


class LocalEngine:
    """Implements the `LLM` Protocol with lexical retrieval, clustering and transcript-window scoring."""

    name = "local"

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
            keywords = [k for k in interest.keywords if not plan.excludes(set(terms(k)))]
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

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        return screen_candidates(candidates, interests, prefs, self.plan(prefs))

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
        if not sentences or _mentions_exclusion(plan, candidate, sentences):
            return None
        if candidate.duration_s:  # a transcript running past the video's end: only what the video holds
            sentences = [s for s in sentences if s.end <= candidate.duration_s]
        window = best_window(sentences, clip_profile(interest, engagement), length=plan.clip_length)
        if window is None or window.match < MIN_MATCH:
            return None
        quality = substance(candidate)
        score = window.match * (0.5 + 0.5 * interest.weight) * quality.factor * level_factor(candidate, plan)
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
        lines = [f"Picked for your interest in {interest.name}."]
        excerpt = _excerpt(cited[0].text) if cited else ""
        if excerpt:
            more = len(cited) - 1
            also = f" (and {more} more post{'s' if more > 1 else ''} like it)" if more else ""
            lines.append(f'You posted "{excerpt}"{also}.')
        lines.append(f'In this clip: "{clip.quote}"')
        return Explanation(text=" ".join(lines), tweet_ids=[e.tweet_id for e in cited])


def clip_profile(interest: Interest, engagement: Sequence[Engagement]) -> Vector:
    """Term weights of the user's posts, those close to the interest counting several times more."""
    focus: Vector = {}
    for rank, keyword in enumerate([interest.name, *interest.keywords]):
        for term in terms(keyword):
            focus[term] = max(focus.get(term, 0.0), 1.0 / (1 + 0.2 * rank))
    evidence = set(interest.evidence_tweet_ids)
    profile: Vector = {}
    for item in engagement:
        item_terms = set(terms(item.text))
        if not item_terms:
            continue
        closeness = 1.0 if item.tweet_id in evidence else cosine(dict.fromkeys(item_terms, 1.0), focus)
        add(profile, dict.fromkeys(item_terms, 1.0), item.weight * (BACKGROUND_SHARE + closeness))
    return profile


def cite(evidence: Sequence[Engagement], clip_text: str, interest: Interest) -> list[Engagement]:
    """1-3 of the user's posts closest to the clip, the interest's own evidence first among equals."""
    usable = [e for e in evidence if e.text.strip()] or list(evidence)
    if not usable:
        return []
    target = dict.fromkeys(terms(clip_text), 1.0)
    for keyword in interest.keywords[:5]:
        for term in terms(keyword):
            target[term] = target.get(term, 0.0) + 0.5
    own = set(interest.evidence_tweet_ids)
    scored = sorted(
        ((cosine(dict.fromkeys(terms(e.text), 1.0), target) + 0.05 * (e.tweet_id in own), e) for e in usable),
        key=lambda pair: (-pair[0], -pair[1].weight),
    )
    best = scored[0][0]
    return [scored[0][1]] + [e for score, e in scored[1:MAX_CITED] if score >= 0.5 * best > 0]


def _mentions_exclusion(plan: InstructionPlan, candidate: Candidate, sentences: Sequence[Sentence]) -> bool:
    """Excluded topics named in the metadata, or again and again in the talk, rule the video out."""
    if not plan.exclusions:
        return False
    metadata = set(terms(f"{candidate.title} {candidate.description} {candidate.channel}"))
    if plan.excludes(metadata):
        return True
    hits = sum(1 for s in sentences if plan.excludes(set(terms(s.text))))
    return hits >= 2


def _excerpt(text: str) -> str:
    cleaned = clean_text(text)
    if len(cleaned) <= EXCERPT_CHARS:
        return cleaned
    return cleaned[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _with_level(plan: InstructionPlan, level: Level) -> InstructionPlan:
    note = f"preferring {'advanced' if level == 'advanced' else 'beginner-friendly'} videos (from your feedback)"
    return replace(plan, level=level, applied=[*plan.applied, note])
