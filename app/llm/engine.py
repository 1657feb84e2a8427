"""The LLM engine: every stage of the `LLM` Protocol done by an OpenAI-compatible model.

Cheap by design, the local engine goes first and the model sees only what matters
(`app.llm.messages`): the heaviest recent posts, the 20 candidates the local screen ranks
best, and for each clip the local engine's best passage, never a whole transcript. When
that passage clearly outscores the rest of the video (`app.llm.windows`) there is nothing
for a model to judge: the local engine's clip and explanation stand, recorded as a call
with the outcome `local` and said in `notes`; otherwise the model sees it beside its
strongest rival and chooses. The clip call also writes the clip's explanation, while the
model has the passage and the posts in front of it; `explain` then returns it without a
call of its own (and calls the model only for clips nobody explained yet, or when that
explanation was invalid). Every reply is validated with the pipeline's own rules
(`app.validation`) and this stage's (ids that exist in what was sent, interests that
exist, plain-text explanations); an invalid reply is sent back once with the reason, and if
the second answer is also invalid that one item is done by the local engine. The same happens when the run budget
is reached (`budget_exhausted`), when the account has no quota, or when the server keeps
failing; `notes` says so for the run page. Only a rejected API key (`LLMAuthError`) stops
the run. Every call, cache hit or skipped call is passed to the `CallRecorder`.

The engine is thread-safe: the pipeline calls `choose_clip` and `explain` for many items
from several threads, and screen batches run in parallel here; whatever the callers do, at
most `openrec_llm_concurrency` requests are in flight, and the recorder is called one call
at a time.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pydantic import ValidationError

from app.config import Settings
from app.llm.base import LLM, CallRecord, CallRecorder
from app.llm.budget import PriceTable, RunBudget, estimate_tokens
from app.llm.cache import LLMCache, cache_key
from app.llm.local import parse_instructions
from app.llm.local.engine import cite, clip_profile
from app.llm.messages import (
    clip_message,
    clip_posts,
    engagement_message,
    explain_message,
    queries_message,
    screen_message,
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
    ClipOutput,
    ExplainOutput,
    InterestsOutput,
    Output,
    QueriesOutput,
    ScreenOutput,
)
from app.llm.prompts import load_prompt, reask_messages
from app.llm.windows import Window, clip_passages
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
from app.validation import (
    MAX_EVIDENCE,
    MAX_INTERESTS,
    repair_explanation,
    spoken_between,
    transcript_end,
    validate_clip,
)

__all__ = ["LLMAuthError", "OpenAIEngine"]

MAX_ENGAGEMENT_SENT = 40
MAX_QUERIES_PER_INTEREST = 4
MAX_QUERY_CHARS = 100
MAX_SCREENED = 20
SCREEN_BATCH = 12  # most candidates in one screen call; more are split into even batches
MAX_EXPLAIN_POSTS = 3
MAX_EXPLANATION_CHARS = 600
FAILURE_LIMIT = 3  # consecutive failed calls (after their retries) before the model is given up for the run
MAX_TOKENS = {"interests": 1200, "queries": 800, "screen": 1000, "clip": 400, "explain": 300}

_MARKUP = re.compile(r"<[a-zA-Z/!?]|javascript:", re.IGNORECASE)  # what a browser could parse as a tag or URL
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")

OutT = TypeVar("OutT", bound=Output)
ResultT = TypeVar("ResultT")
ItemT = TypeVar("ItemT")


class InvalidReply(ValueError):
    """A schema-valid reply that breaks a rule of its stage; the message is sent back to the model."""


class _UseLocal(Exception):
    """No usable model answer for this item: the local engine does it."""


class OpenAIEngine:
    """Implements the `LLM` Protocol with a model, falling back to `local` item by item."""

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
        self._client = client
        self._settings = settings
        self._recorder = recorder
        self._cache = cache
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.openrec_llm_concurrency)
        self._written: dict[tuple[str, float, float], Explanation] = {}
        self._local_clips: set[tuple[str, float, float]] = set()
        self._local_note: int | None = None  # where in `notes` the count of local clip decisions is
        self._stopped = False
        self._failures = 0

    @property
    def budget_exhausted(self) -> bool:
        return self.budget.exhausted

    # -- the LLM Protocol -------------------------------------------------------------

    def infer_interests(self, engagement: Sequence[Engagement], prefs: Preferences) -> list[Interest]:
        sent = sorted(engagement, key=lambda e: -e.weight)[:MAX_ENGAGEMENT_SENT]
        user = engagement_message(sent, prefs)
        ids = {e.tweet_id for e in sent}
        try:
            return self._ask("interests", user, InterestsOutput, lambda out: _check_interests(out, ids))
        except _UseLocal:
            return self.local.infer_interests(engagement, prefs)

    def write_queries(self, interests: Sequence[Interest], prefs: Preferences) -> list[SearchQuery]:
        user = queries_message(interests, prefs)
        try:
            return self._ask("queries", user, QueriesOutput, lambda out: _check_queries(out, interests))
        except _UseLocal:
            return self.local.write_queries(interests, prefs)

    def screen(
        self, candidates: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> list[ScreenDecision]:
        """The local screen ranks everything; the model re-judges only the best `MAX_SCREENED`."""
        local = {d.video_id: d for d in self.local.screen(candidates, interests, prefs)}
        ranked = sorted((d for d in local.values() if d.keep), key=lambda d: -d.score)
        shortlist = {d.video_id for d in ranked[:MAX_SCREENED]}
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

    def choose_clip(
        self,
        candidate: Candidate,
        interest: Interest,
        transcript: TranscriptData,
        engagement: Sequence[Engagement],
        prefs: Preferences,
    ) -> Clip | None:
        length = parse_instructions(prefs.instructions).clip_length
        passages = clip_passages(transcript.segments, clip_profile(interest, engagement), length=length)
        if not passages.contested:
            clip = self.local.choose_clip(candidate, interest, transcript, engagement, prefs)
            if clip is not None or not passages.windows:
                self._decided_locally(clip)
                return clip
        windows = passages.windows
        posts = clip_posts(engagement, interest, candidate, windows)
        user = clip_message(candidate, interest, posts, windows, prefs)
        duration = float(candidate.duration_s) if candidate.duration_s else transcript_end(transcript)

        def check(out: ClipOutput) -> Clip | None:
            clip = _check_clip(out, candidate, interest, transcript, windows, duration)
            if clip is not None:
                self._keep_explanation(clip, out, {p.tweet_id for p in posts})
            return clip

        try:
            return self._ask("clip", user, ClipOutput, check)
        except _UseLocal:
            return self.local.choose_clip(candidate, interest, transcript, engagement, prefs)

    def explain(
        self,
        clip: Clip,
        candidate: Candidate,
        interest: Interest,
        evidence: Sequence[Engagement],
        prefs: Preferences,
    ) -> Explanation:
        with self._lock:
            written = self._written.pop(_clip_key(clip), None)
            local = _clip_key(clip) in self._local_clips
        if written is not None and set(written.tweet_ids) <= {e.tweet_id for e in evidence}:
            return written
        if local:
            return self.local.explain(clip, candidate, interest, evidence, prefs)
        posts = _posts(evidence, interest.evidence_tweet_ids, MAX_EXPLAIN_POSTS) or cite(
            evidence, f"{clip.quote} {candidate.title}", interest
        )
        user = explain_message(clip, candidate, interest, posts, prefs)
        ids = {e.tweet_id for e in posts}
        try:
            return self._ask("explain", user, ExplainOutput, lambda out: _check_explanation(out, ids))
        except _UseLocal:
            return self.local.explain(clip, candidate, interest, evidence, prefs)

    # -- calling the model ------------------------------------------------------------

    def _decided_locally(self, clip: Clip | None) -> None:
        """Record a clip the local engine chose without a model call, and say how many there were."""
        self._record("clip", self._settings.model_for("clip"), load_prompt("clip").version, outcome="local")
        with self._lock:
            if clip is not None:
                self._local_clips.add(_clip_key(clip))
            count = len(self._local_clips)
            if count == 0:
                return
            text = (
                f"The local engine chose {count} clip{'s' if count != 1 else ''} without a model call: "
                "in each video one passage clearly outscored every other."
            )
            if self._local_note is None:
                self._local_note = len(self.notes)
                self.notes.append(text)
            else:
                self.notes[self._local_note] = text

    def _keep_explanation(self, clip: Clip, out: ClipOutput, ids: set[str]) -> None:
        """Keep the explanation written with the clip for `explain`, if it passes the explain rules."""
        try:
            explanation = _check_explanation(ExplainOutput(text=out.explanation, tweet_ids=out.tweet_ids), ids)
        except InvalidReply:
            return
        with self._lock:
            self._written[_clip_key(clip)] = explanation

    def _screen_batch(
        self, batch: Sequence[Candidate], interests: Sequence[Interest], prefs: Preferences
    ) -> dict[str, ScreenDecision]:
        user = screen_message(batch, interests, prefs)
        ids = [c.video_id for c in batch]
        try:
            return self._ask("screen", user, ScreenOutput, lambda out: _check_screen(out, ids, interests))
        except _UseLocal:
            return {}

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


def _clip_key(clip: Clip) -> tuple[str, float, float]:
    return (clip.video_id, clip.start_s, clip.end_s)


def _posts(engagement: Sequence[Engagement], ids: Sequence[str], limit: int) -> list[Engagement]:
    by_id = {e.tweet_id: e for e in engagement}
    return [by_id[i] for i in ids if i in by_id][:limit]


def _prompt_tokens(messages: Sequence[Message]) -> int:
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)


# -- what is accepted -----------------------------------------------------------------


def _check_interests(out: InterestsOutput, sent_ids: set[str]) -> list[Interest]:
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
        seen.add(name.lower())
        interests.append(
            Interest(
                name=name,
                description=item.description.strip(),
                weight=min(1.0, max(0.0, item.weight)),
                evidence_tweet_ids=evidence,
                keywords=[k.strip() for k in item.keywords if k.strip()][:8],
            )
        )
    if not interests:
        raise InvalidReply("no interests were given")
    return interests


def _check_queries(out: QueriesOutput, interests: Sequence[Interest]) -> list[SearchQuery]:
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


def _check_screen(out: ScreenOutput, ids: Sequence[str], interests: Sequence[Interest]) -> dict[str, ScreenDecision]:
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


def _check_clip(
    out: ClipOutput,
    candidate: Candidate,
    interest: Interest,
    transcript: TranscriptData,
    windows: Sequence[Window],
    duration: float,
) -> Clip | None:
    if not out.has_clip:
        return None
    window = next((w for w in windows if w.contains(out.start_s, out.end_s)), None)
    if window is None:
        shown = ", ".join(f"{math.floor(w.start)}-{math.ceil(w.end)}" for w in windows)
        raise InvalidReply(f"the clip {out.start_s:g}-{out.end_s:g} s is not inside one window ({shown})")
    start, end = window.snap(out.start_s, out.end_s)
    quote = _literal_quote(out.quote, spoken_between(transcript, start, end))
    clip = Clip(
        video_id=candidate.video_id,
        interest=interest.name,
        start_s=round(start, 2),
        end_s=round(end, 2),
        quote=quote,
        score=min(1.0, max(0.0, out.score)),
    )
    problems = validate_clip(clip, transcript, duration_s=duration)
    if problems:
        raise InvalidReply("; ".join(problems))
    return clip


def _literal_quote(quote: str, spoken: str) -> str:
    """The quote as the transcript says it, when the model changed only case or punctuation."""
    wanted = [w.lower() for w in _WORD.findall(quote)]
    tokens = spoken.split()
    bare = ["".join(_WORD.findall(t)).lower() for t in tokens]
    if not wanted or " ".join(quote.split()) in spoken:
        return " ".join(quote.split())
    for i in range(len(tokens) - len(wanted) + 1):
        if bare[i : i + len(wanted)] == wanted:
            return " ".join(tokens[i : i + len(wanted)])
    return " ".join(quote.split())


def _check_explanation(out: ExplainOutput, ids: set[str]) -> Explanation:
    text = " ".join(out.text.split())
    if _MARKUP.search(text):
        raise InvalidReply("the explanation must be plain text, without markup or links")
    if len(text) > MAX_EXPLANATION_CHARS:
        raise InvalidReply(f"the explanation is longer than {MAX_EXPLANATION_CHARS} characters")
    foreign = [t for t in out.tweet_ids if t not in ids]
    if foreign:
        raise InvalidReply(f"tweet_ids that are not in the posts block: {foreign[:3]}")
    explanation = repair_explanation(Explanation(text=text, tweet_ids=list(out.tweet_ids)), user_tweet_ids=ids)
    if explanation is None:
        raise InvalidReply("the explanation needs text and 1 to 3 tweet_ids from the posts block")
    return explanation
