"""The model engine: every stage of the `LLM` Protocol done by an OpenAI-compatible model,
with the local engine as its groundwork and its fallback.

The model writes every word the user reads, in few calls, and sees only what it needs
(`app.llm.messages`):

- interests: the heaviest recent posts and the local engine's groupings of them; the model
  names, describes, merges or drops them (it has the last word);
- queries: one call for every interest;
- screen: the local screen ranks everything; the model judges its best `MAX_SCREENED`
  and the `MAX_BORDERLINE` dropped candidates that came closest, in one call;
- clips (`prepare_clips`, batched): each of the `MAX_CLIP_VIDEOS` most promising videos
  as its topic segments (`app.llm.segments`), each a time span and its most telling
  sentence, never a whole transcript; the model chooses a segment per video, which becomes
  the clip (segments are cut to clip lengths on sentence bounds). Videos past that
  number are clipped by the local engine, and the pipeline puts both scales on one before
  ranking;
- rank (`rerank`): the top clips with what they say and the posts they may cite; the
  model orders them (it cannot add a video) and writes each one's explanation;
  `prepare_explanations` writes those still missing in one more call.

Every reply is validated with the pipeline's rules (`app.validation`) and this engine's
(`app.llm.checks`). A reply that breaks a rule of the whole answer is sent back once with
the reason; in the batched stages one bad item goes alone to the local engine and `notes`
says how many did and why. The same happens when the run budget is reached
(`budget_exhausted`), when the account has no quota, or when the server keeps failing.
Only a rejected API key (`LLMAuthError`) stops the run. Every call, cache hit or skipped
call is passed to the `CallRecorder`.

The engine is thread-safe: the pipeline calls `choose_clip` and `explain` for many items
from several threads and clip batches run in parallel here; at most
`openrec_llm_concurrency` requests are in flight, and the recorder is called one call at a time.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pydantic import ValidationError

from app.config import Settings
from app.llm.base import LLM, CallRecord, CallRecorder, ClipJob
from app.llm.budget import PriceTable, RunBudget, estimate_tokens
from app.llm.cache import LLMCache, cache_key
from app.llm.checks import (
    Choice,
    InvalidReply,
    Shown,
    check_choices,
    check_interests,
    check_queries,
    check_screen,
    check_written,
)
from app.llm.local.chapters import chapters
from app.llm.local.engine import cite, clip_profile
from app.llm.local.vectors import Vector
from app.llm.messages import (
    clips_message,
    interests_message,
    post_text,
    queries_message,
    screen_message,
    written_message,
)
from app.llm.openai_client import (
    ChatClient,
    LLMAuthError,
    LLMReplyError,
    LLMRequestError,
    LLMUnavailable,
    Message,
    Usage,
)
from app.llm.output_schemas import (
    ClipsOutput,
    ExplainOutput,
    InterestsOutput,
    Output,
    QueriesOutput,
    RankOutput,
    ScreenOutput,
)
from app.llm.prompts import load_prompt, reask_messages
from app.llm.segments import TopicSegment, topic_segments
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
from app.text import terms
from app.validation import spoken_between, validate_clip

__all__ = ["ExplanationUnavailable", "InvalidReply", "LLMAuthError", "OpenAIEngine"]

MAX_ENGAGEMENT_SENT = 40
MAX_SCREENED = 20
MAX_BORDERLINE = 8  # candidates the local screen dropped that the model judges again
SCREEN_BATCH = 30  # most candidates in one screen call; more are split into even batches
MAX_CLIP_VIDEOS = 16  # videos whose clip the model judges, most promising first
CLIP_BATCH = 8  # videos in one clip call; the calls run in parallel
SEGMENTS_SHOWN = 4  # topic segments shown per video, the most relevant to the interest
MAX_EXPLAIN_POSTS = 3
MAX_QUOTE_WORDS = 20
FAILURE_LIMIT = 3  # consecutive failed calls (after their retries) before the model is given up for the run
MAX_TOKENS = {"interests": 1200, "queries": 800, "screen": 2400, "clip": 600, "rank": 2400, "explain": 1600}

OutT = TypeVar("OutT", bound=Output)
ResultT = TypeVar("ResultT")
ItemT = TypeVar("ItemT")


class _UseLocal(Exception):
    """No usable model answer: the local engine does it."""


class ExplanationUnavailable(Exception):
    """The model wrote no usable explanation for a clip; the message says why (the pipeline logs it)."""


class OpenAIEngine:
    """Implements the `LLM` and `Batches` Protocols with a model, falling back to `local` item by item."""

    name = "openai"

    def __init__(
        self,
        *,
        client: ChatClient,
        local: LLM,
        settings: Settings,
        recorder: CallRecorder,
        cache: LLMCache | None = None,
    ) -> None:
        self.local = local
        self.budget = RunBudget(settings.openrec_run_budget_usd, PriceTable(settings.openrec_llm_prices))
        self.notes: list[str] = []
        self.named_by_model = False  # whether the interests of the run are the model's
        self.explained: set[str] = set()  # videos whose explanation the model wrote and `explain` handed out
        self._client = client
        self._settings = settings
        self._recorder = recorder
        self._cache = cache
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.openrec_llm_concurrency)
        self._choices: dict[str, tuple[Choice | str, list[TopicSegment]]] = {}
        self._spoken: dict[tuple[str, float, float], str] = {}
        self._written: dict[str, Explanation | str] = {}
        self._stopped = False
        self._failures = 0

    @property
    def budget_exhausted(self) -> bool:
        return self.budget.exhausted

    # -- interests, queries, screen ---------------------------------------------------

    def infer_interests(self, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
        """The model names the interests, from the posts and the local engine's groupings of them."""
        found = self.local.infer_interests(engagement, prefs)
        sent = sorted(engagement, key=lambda e: -e.weight)[:MAX_ENGAGEMENT_SENT]
        by_id = {e.tweet_id: e for e in engagement}
        sent += [by_id[t] for i in found for t in i.evidence_tweet_ids if t in by_id and by_id[t] not in sent]
        ids = {e.tweet_id for e in sent}
        user = interests_message(sent, found, prefs)
        try:
            named = self._ask("interests", user, InterestsOutput, lambda out: check_interests(out, ids))
        except _UseLocal:
            self._note("The local engine named your interests: the model gave no usable answer.")
            return found
        self.named_by_model = True
        return named

    def write_queries(self, interests: Sequence[Interest], prefs: Preferences) -> list[SearchQuery]:
        user = queries_message(interests, prefs)
        try:
            return self._ask("queries", user, QueriesOutput, lambda out: check_queries(out, interests))
        except _UseLocal:
            return self.local.write_queries(interests, prefs)

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        """The local screen ranks everything; the model judges its best and the borderline ones it dropped."""
        local = {d.video_id: d for d in self.local.screen(candidates, interests, prefs)}
        shortlist = set(_shortlist(candidates, interests, local))
        listed = [c for c in candidates if c.video_id in shortlist]
        judged: dict[str, ScreenDecision] = {}
        for decisions in self._map(lambda batch: self._screen_batch(batch, interests, prefs), screen_batches(listed)):
            judged.update(decisions)
        out = []
        for candidate in candidates:
            decision = judged.get(candidate.video_id) or local.get(candidate.video_id)
            if decision is None:
                decision = ScreenDecision(
                    video_id=candidate.video_id, keep=False, interest="", reason="not screened by the local engine"
                )
            elif decision.keep and candidate.video_id not in shortlist:
                decision = decision.model_copy(
                    update={"keep": False, "reason": f"not among the {MAX_SCREENED} most promising candidates"}
                )
            out.append(decision)
        return out

    def _screen_batch(
        self, batch: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> dict[str, ScreenDecision]:
        user = screen_message(batch, interests, prefs)
        ids = [c.video_id for c in batch]
        try:
            return self._ask("screen", user, ScreenOutput, lambda out: check_screen(out, ids, interests))
        except _UseLocal:
            return {}

    # -- clips ------------------------------------------------------------------------

    def prepare_clips(self, jobs: Sequence[ClipJob], engagement: Sequence[Engagement], prefs: Preferences) -> None:
        """The model chooses a topic segment for each of the most promising videos, in parallel batches."""
        shown: list[tuple[Candidate, Interest, list[tuple[TopicSegment, str]]]] = []
        segments: dict[str, list[TopicSegment]] = {}
        for candidate, interest, transcript in jobs[:MAX_CLIP_VIDEOS]:
            profile = clip_profile(interest, engagement)
            found = topic_segments(transcript.segments, chapters(candidate.description, candidate.duration_s))
            best = sorted(found, key=lambda s: -s.relevance(profile))[:SEGMENTS_SHOWN]
            if best:
                segments[candidate.video_id] = found
                ordered = sorted(best, key=lambda s: s.start)
                shown.append((candidate, interest, [(s, s.key_sentence(profile).text) for s in ordered]))
        interests = list({i.name: i for _, i, _ in shown}.values())
        batches = [shown[i : i + CLIP_BATCH] for i in range(0, len(shown), CLIP_BATCH)]

        def ask(batch: list[tuple[Candidate, Interest, list[tuple[TopicSegment, str]]]]) -> dict[str, Choice | str]:
            numbers = {c.video_id: {s.number for s, _ in listed} for c, _, listed in batch}
            user = clips_message(batch, interests, prefs)
            try:
                return self._ask("clip", user, ClipsOutput, lambda out: check_choices(out.choices, numbers))
            except _UseLocal:
                return {}

        for choices in self._map(ask, batches):
            with self._lock:
                for video_id, choice in choices.items():
                    self._choices[video_id] = (choice, segments[video_id])
        skipped = len(jobs) - len(self._choices)
        if skipped:
            self._note(
                f"The local engine chose the clips of {skipped} video{'s' if skipped != 1 else ''} "
                f"the model did not judge (it judges the {MAX_CLIP_VIDEOS} most promising, when it answers)."
            )

    def choose_clip(
        self,
        candidate: Candidate,
        interest: Interest,
        transcript: TranscriptData,
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> Clip | None:
        """The topic segment the model chose; the local engine's clip for a video the model did not judge."""
        with self._lock:
            choice, segments = self._choices.get(candidate.video_id, ("", []))
        clip: Clip | None
        if isinstance(choice, str):
            if choice:
                self._note(f"{candidate.video_id}: {choice}; the local engine chose the clip.")
            clip = self.local.choose_clip(candidate, interest, transcript, engagement, prefs)
            clip = clip.model_copy(update={"scored_by": self.local.name}) if clip else None
        elif choice.segment is None:
            return None
        else:
            segment = next(s for s in segments if s.number == choice.segment)
            clip = _segment_clip(segment, candidate, interest, clip_profile(interest, engagement), choice.score)
            problems = validate_clip(clip, transcript, duration_s=candidate.duration_s)
            if problems:
                self._note(f"{candidate.video_id}: the chosen segment is no valid clip ({'; '.join(problems)}).")
                return self.local.choose_clip(candidate, interest, transcript, engagement, prefs)
        if clip is not None:
            with self._lock:
                self._spoken[_clip_key(clip)] = spoken_between(transcript, clip.start_s, clip.end_s)
        return clip

    # -- rank and explain -------------------------------------------------------------

    def rerank(
        self,
        clips: Sequence[Clip],
        candidates: Sequence[Candidate],
        interests: Sequence[Interest],
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> list[str]:
        """The model's order of `clips` (only those), each explanation written on the way."""
        shown, user = self._written_request(clips, candidates, interests, engagement, prefs, with_score=True)
        try:
            items = self._ask("rank", user, RankOutput, lambda out: (out.ranked, check_written(out.ranked, shown)))
        except _UseLocal:
            return [c.video_id for c in clips]
        ranked, written = items
        self._keep_written(written)
        return list(dict.fromkeys(i.video_id for i in ranked if i.video_id in shown))

    def prepare_explanations(
        self,
        clips: Sequence[Clip],
        candidates: Sequence[Candidate],
        interests: Sequence[Interest],
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> None:
        with self._lock:
            missing = [c for c in clips if c.video_id not in self._written]
        if not missing:
            return
        shown, user = self._written_request(missing, candidates, interests, engagement, prefs, with_score=False)
        try:
            written = self._ask("explain", user, ExplainOutput, lambda out: check_written(out.explanations, shown))
        except _UseLocal:
            return
        self._keep_written(written)

    def explain(
        self,
        clip: Clip,
        candidate: Candidate,
        interest: Interest,
        evidence: Sequence[Engagement],
        prefs: Preferences,
    ) -> Explanation:
        """The explanation the model wrote for this clip; `ExplanationUnavailable` says why there is none."""
        with self._lock:
            written = self._written.get(clip.video_id)
        if isinstance(written, Explanation):
            with self._lock:
                self.explained.add(clip.video_id)
            return written
        raise ExplanationUnavailable(written or "the model wrote no explanation for this clip")

    def _written_request(
        self,
        clips: Sequence[Clip],
        candidates: Sequence[Candidate],
        interests: Sequence[Interest],
        engagement: Sequence[Engagement],
        prefs: Preferences,
        *,
        with_score: bool,
    ) -> tuple[dict[str, Shown], str]:
        by_video = {c.video_id: c for c in candidates}
        by_name = {i.name: i for i in interests}
        by_id = {e.tweet_id: e for e in engagement}
        rows = []
        posts: dict[str, Engagement] = {}
        shown: dict[str, Shown] = {}
        for clip in clips:
            candidate = by_video[clip.video_id]
            with self._lock:
                spoken = self._spoken.get(_clip_key(clip), clip.quote)
            interest = by_name.get(clip.interest)
            pool = [by_id[t] for t in interest.evidence_tweet_ids if t in by_id] if interest else []
            cited = cite(pool or list(engagement), f"{spoken} {candidate.title}", interest) if interest else []
            cited = cited[:MAX_EXPLAIN_POSTS]
            posts.update((e.tweet_id, e) for e in cited)
            rows.append((clip, candidate, spoken, [e.tweet_id for e in cited]))
            shown[clip.video_id] = Shown(spoken=spoken, posts={e.tweet_id: post_text(e, None) for e in cited})
        return shown, written_message(rows, list(posts.values()), prefs, with_score=with_score)

    def _keep_written(self, written: dict[str, Explanation | str]) -> None:
        refused = Counter(reason for reason in written.values() if isinstance(reason, str))
        with self._lock:
            self._written.update(written)
        if refused:
            reasons = "; ".join(f"{reason} ({count})" for reason, count in refused.most_common())
            self._note(f"Explanations of the model refused: {reasons}. The local writer wrote those.")

    # -- calling the model ------------------------------------------------------------

    def _map(self, work: Callable[[ItemT], ResultT], items: Sequence[ItemT]) -> list[ResultT]:
        if len(items) <= 1:
            return [work(item) for item in items]
        workers = min(self._settings.openrec_llm_concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
            return list(pool.map(work, items))

    def _ask(self, stage: str, user: str, output: type[OutT], check: Callable[[OutT], ResultT]) -> ResultT:
        """A valid answer of the model (or of the cache), asking twice at most; else `_UseLocal`."""
        prompt = load_prompt(stage)
        model = self._settings.model_for(stage)
        messages = prompt.messages(user)
        key = cache_key(stage=stage, model=model, prompt_version=prompt.version, payload=messages)
        if self._cache is not None:
            hit = self._cache.get(key)
            if hit is not None:
                try:
                    result = check(output.model_validate(hit))
                except (ValidationError, InvalidReply):
                    pass  # a reply valid for other ids: ask again
                else:
                    self._record(stage, model, prompt.version, outcome="cached")
                    return result
        for _attempt in range(2):
            if self._stopped:
                raise _UseLocal
            reservation = self.budget.reserve(
                model, prompt_tokens=_prompt_tokens(messages), max_tokens=MAX_TOKENS[stage]
            )
            if reservation is None:
                self._note(self.budget.note())
                self._record(stage, model, prompt.version, outcome="budget", error="run budget reached")
                raise _UseLocal
            started = time.monotonic()
            usage, reply, problem = Usage(), None, ""
            try:
                with self._slots:
                    completion = self._client.complete(
                        model=model, messages=messages, output=output, max_tokens=MAX_TOKENS[stage]
                    )
                usage, reply = completion.usage, completion.content
                result = check(completion.value)
            except (InvalidReply, LLMReplyError) as exc:
                if isinstance(exc, LLMReplyError):
                    usage, reply = exc.usage, exc.content
                problem = str(exc)
            except LLMAuthError as exc:
                self._finish(stage, model, prompt.version, reservation, started, Usage(), "error", str(exc))
                raise
            except (LLMRequestError, LLMUnavailable) as exc:
                self._finish(stage, model, prompt.version, reservation, started, Usage(), "error", str(exc))
                self._on_failure(exc)
                raise _UseLocal from exc
            else:
                self._finish(stage, model, prompt.version, reservation, started, usage, "ok", None)
                self._failures = 0
                if self._cache is not None:
                    self._cache.put(key, stage=stage, model=model, response=completion.value.model_dump(mode="json"))
                return result
            self._finish(stage, model, prompt.version, reservation, started, usage, "invalid", problem)
            messages = reask_messages(messages, reply, problem)
        raise _UseLocal

    def _finish(
        self,
        stage: str,
        model: str,
        version: str,
        reservation: float,
        started: float,
        usage: Usage,
        outcome: str,
        error: str | None,
    ) -> None:
        cost = self.budget.prices.cost(
            model, tokens_in=usage.tokens_in, tokens_out=usage.tokens_out, tokens_cached=usage.tokens_cached
        )
        self.budget.settle(reservation, cost)
        self._record(
            stage,
            model,
            version,
            outcome=outcome,
            usage=usage,
            latency_ms=round((time.monotonic() - started) * 1000),
            cost_usd=cost,
            error=error,
        )

    def _on_failure(self, exc: LLMRequestError | LLMUnavailable) -> None:
        """Stop calling a model that cannot answer this run: no quota, or failing call after call
        (down, or refusing every request, as a server without JSON-schema support does)."""
        with self._lock:
            self._failures += 1
            give_up = (isinstance(exc, LLMRequestError) and exc.quota) or self._failures >= FAILURE_LIMIT
            if give_up:
                self._stopped = True
        self._note(f"The LLM failed: {exc}. " + ("The rest of the run used the local engine." if give_up else ""))

    def _note(self, text: str) -> None:
        text = text.strip()
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)

    def _record(
        self,
        stage: str,
        model: str,
        version: str,
        *,
        outcome: str,
        usage: Usage = Usage(),
        latency_ms: int = 0,
        cost_usd: float = 0.0,
        error: str | None = None,
    ) -> None:
        record = CallRecord(
            stage=stage,
            model=model,
            prompt_version=version,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            tokens_cached=usage.tokens_cached,
            latency_ms=latency_ms,
            cost_usd=cost_usd,
            outcome=outcome,
            error=error,
        )
        with self._lock:
            self._recorder(record)


# -- what is sent ---------------------------------------------------------------------


def screen_batches(listed: Sequence[Candidate]) -> list[list[Candidate]]:
    """The candidates in as few calls of at most `SCREEN_BATCH` as possible, of even sizes."""
    if not listed:
        return []
    count = math.ceil(len(listed) / SCREEN_BATCH)
    size = math.ceil(len(listed) / count)
    return [list(listed[i : i + size]) for i in range(0, len(listed), size)]


def _shortlist(
    candidates: Sequence[Candidate], interests: Sequence[Interest], local: dict[str, ScreenDecision]
) -> list[str]:
    """The local screen's best keeps, and the dropped candidates whose title and description share
    most words with an interest (the ones a keyword screen may have dropped wrongly)."""
    kept = sorted((d for d in local.values() if d.keep), key=lambda d: -d.score)[:MAX_SCREENED]
    words = {t for i in interests for t in terms(" ".join([i.name, *i.keywords]))}
    dropped = []
    for candidate in candidates:
        decision = local.get(candidate.video_id)
        if decision is not None and not decision.keep:
            overlap = len(words & set(terms(f"{candidate.title} {candidate.description}")))
            if overlap:
                dropped.append((-overlap, candidate.video_id))
    return [d.video_id for d in kept] + [video_id for _, video_id in sorted(dropped)[:MAX_BORDERLINE]]


def _segment_clip(
    segment: TopicSegment, candidate: Candidate, interest: Interest, profile: Vector, score: float
) -> Clip:
    """The chosen segment as the clip (segments are cut to clip lengths), quoting its telling sentence."""
    said = segment.key_sentence(profile).text.split()
    return Clip(
        video_id=candidate.video_id,
        interest=interest.name,
        start_s=round(segment.start, 2),
        end_s=round(segment.end, 2),
        quote=" ".join(said[:MAX_QUOTE_WORDS]),
        score=score,
        scored_by="openai",
    )


def _clip_key(clip: Clip) -> tuple[str, float, float]:
    return (clip.video_id, clip.start_s, clip.end_s)


def _prompt_tokens(messages: Sequence[Message]) -> int:
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)
