"""The eight stages of a run, as functions over typed values (PRODUCT.md, "The pipeline").

Stages know nothing of the database: the runner hands each one its inputs, a
`Progress` to report items done and skipped (where the run's checkpoints are), and
gets the stage's output back to save. A failed item is skipped with its reason; an
exception that escapes a stage fails the run.

Engine answers are checked here, whichever engine gave them: interests cite only the
user's tweets, clips pass `validate_clip`, explanations pass `validate_explanation`.
An answer that fails is repaired where that is safe, else asked of the fallback
engine (the local engine behind a model), else dropped, never stored; the log keeps
why the first engine's answer was not used.

An engine that answers many items per call (`Batches`, a model) is handed every item of
the clip and rank stages first, and answers item by item from what it prepared, so the
checks and fallbacks above stay per item.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Generic, Protocol, TypeVar, runtime_checkable

from app.llm.base import LLM, Batches
from app.llm.local import LocalEngine, parse_instructions
from app.llm.openai_client import LLMAuthError
from app.pipeline.diversity import TOP, diversify, interest_cap
from app.pipeline.engagement import EngagementInput, build_engagement
from app.pipeline.exclusions import ExcludedTopic, talk_names, talks_about, video_excluded
from app.pipeline.moved_on import MOVED_ON_REASON, PastAndPresent, old_subject_reason
from app.pipeline.quotes import with_whole_quote
from app.pipeline.shortfall import ASKED_NOT_TO_SEE
from app.pipeline.steering import DescribesInterests, interest_key, renamed_interest, set_aside, steer_interests
from app.pipeline.talk_style import not_a_lesson
from app.schemas import (
    Candidate,
    Clip,
    Engagement,
    Explanation,
    FeedItem,
    Interest,
    Preferences,
    SearchQuery,
    TranscriptData,
)
from app.sources.base import (
    BLOCKED_NOTE,
    SourceError,
    TranscriptBlocked,
    TranscriptSource,
    TranscriptUnavailable,
    VideoSource,
)
from app.text import everyday, holds_terms, terms
from app.validation import (
    MAX_EVIDENCE,
    MAX_INTERESTS,
    MIN_CLIP_S,
    repair_explanation,
    validate_clip,
    validate_explanation,
)

SEEN_REASON = "already shown to you"
INSTRUCTIONS_APPLIED = "Instructions applied: "  # the run note that lists what the instructions changed
MAX_QUERIES_PER_INTEREST = 4
SEARCH_LIMIT = 8
CLIP_CANDIDATES_PER_FEED_ITEM = 3  # videos screened in per feed slot, for clips that fail or score low
SCREEN_MARGIN = 3  # videos found per video screened in: most found videos are screened out
MAX_DEEP_QUERIES = 8  # queries per interest when interests are few
MAX_RESULTS_PER_QUERY = 25  # about one more page of results than a search gives first
RERANK_SHARE = 1.5  # the engine that reranks sees this many clips per feed slot
LIGHT_SHARE = 0.08  # an interest lighter than this share of the heaviest is one of long ago
SET_ASIDE_AFTER = 3  # down votes on an interest's clips, net of up votes, that set it aside
FATAL = (LLMAuthError,)  # engine errors that no fallback can fix: the run stops

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")


class StageError(Exception):
    """A stage could not do its work at all; the message is shown as the run's error."""


class Progress(Protocol):
    """Where a stage reports; `step` is a checkpoint that raises when the run was cancelled."""

    def skip(self, item: str, reason: str) -> None: ...

    def note(self, message: str) -> None: ...

    def step(self, done: int, total: int) -> None: ...


class TranscriptCache(Protocol):
    def lookup(self, video_id: str) -> TranscriptData | TranscriptUnavailable | None: ...

    def store(self, video_id: str, outcome: TranscriptData | TranscriptUnavailable) -> None: ...


@dataclass(frozen=True)
class Engines:
    """The engine of the run, the engine that stands in when its answer is unusable, and concurrency."""

    primary: LLM
    fallback: LLM | None = None
    workers: int = 1

    def chain(self) -> list[LLM]:
        return [self.primary] if self.fallback is None else [self.primary, self.fallback]


@runtime_checkable
class DeepensQueries(Protocol):
    """An engine that can write more queries for an interest than its first few (the local engine)."""

    def more_queries(self, interest: Interest, written: Sequence[str], count: int) -> list[str]: ...


@dataclass(frozen=True)
class SearchDepth:
    """How hard to search: queries per interest and results per query."""

    queries_per_interest: int
    results_per_query: int

    @property
    def deeper(self) -> bool:
        return self.queries_per_interest > MAX_QUERIES_PER_INTEREST or self.results_per_query > SEARCH_LIMIT


def search_depth(feed_size: int, interests: int) -> SearchDepth:
    """Enough searching to fill a feed of `feed_size`: the fewer the interests, the deeper each one's search."""
    wanted = math.ceil(feed_size * CLIP_CANDIDATES_PER_FEED_ITEM * SCREEN_MARGIN / max(interests, 1))
    queries = min(MAX_DEEP_QUERIES, max(MAX_QUERIES_PER_INTEREST, math.ceil(wanted / SEARCH_LIMIT)))
    return SearchDepth(queries, min(MAX_RESULTS_PER_QUERY, max(SEARCH_LIMIT, math.ceil(wanted / queries))))


# -- 1. engagement -------------------------------------------------------------------


def engagement(rows: Sequence[EngagementInput]) -> list[Engagement]:
    """Stored tweets, likes, retweets and quotes, recency-weighted, most recent first."""
    return build_engagement(rows)


# -- 2. interests --------------------------------------------------------------------


def interests(
    engines: Engines,
    items: Sequence[Engagement],
    prefs: Preferences,
    progress: Progress,
    *,
    user_tweet_ids: Collection[str],
    topics: Sequence[ExcludedTopic] = (),
) -> list[Interest]:
    """3-8 interests, each citing only the user's own tweets, steered by the user's pins, mutes, names, additions."""
    if not items:
        return []
    inferred = _whole(engines, progress, "interests", lambda llm: llm.infer_interests(items, prefs))
    kept: list[Interest] = []
    names: set[str] = set()
    for interest in inferred:
        name = " ".join(interest.name.split())[:120]
        evidence = list(dict.fromkeys(t for t in interest.evidence_tweet_ids if t in user_tweet_ids))[:MAX_EVIDENCE]
        if not name or name.casefold() in names:
            progress.skip(interest.name or "(unnamed interest)", "duplicate or empty interest name")
        elif not evidence:
            progress.skip(name, "the interest cites none of your tweets")
        else:
            names.add(name.casefold())
            kept.append(interest.model_copy(update={"name": name, "evidence_tweet_ids": evidence}))
    describer = next((llm for llm in engines.chain() if isinstance(llm, DescribesInterests)), None) or LocalEngine()
    return steer_interests(
        kept, prefs, items, topics, progress, describer=describer, user_tweet_ids=user_tweet_ids, limit=MAX_INTERESTS
    )


# -- 3. queries ----------------------------------------------------------------------


def queries(
    engines: Engines,
    found: Sequence[Interest],
    prefs: Preferences,
    progress: Progress,
    *,
    depth: SearchDepth | None = None,
) -> list[SearchQuery]:
    """2-4 search queries per interest (more when `depth` asks); those for unknown interests and repeats are dropped."""
    if not found:
        return []
    depth = depth or SearchDepth(MAX_QUERIES_PER_INTEREST, SEARCH_LIMIT)
    written = _whole(engines, progress, "queries", lambda llm: llm.write_queries(found, prefs))
    deepener = next((llm for llm in engines.chain() if isinstance(llm, DeepensQueries)), None)
    if depth.deeper and deepener is not None:
        for interest in found:
            own = [q.query for q in written if q.interest == interest.name]
            wanted = depth.queries_per_interest - len(own)
            if wanted > 0:
                extra = deepener.more_queries(interest, own, wanted)
                written = [*written, *(SearchQuery(interest=interest.name, query=q) for q in extra)]
    names = {i.name for i in found}
    seen: set[tuple[str, str]] = set()
    per_interest: dict[str, int] = {}
    kept: list[SearchQuery] = []
    for query in written:
        text = " ".join(query.query.split())
        key = (query.interest, text.casefold())
        if query.interest not in names or not text or key in seen:
            continue
        if per_interest.get(query.interest, 0) >= depth.queries_per_interest:
            continue
        seen.add(key)
        per_interest[query.interest] = per_interest.get(query.interest, 0) + 1
        kept.append(query.model_copy(update={"query": text}))
    return kept


# -- 4. search -----------------------------------------------------------------------


def search(
    source: VideoSource,
    written: Sequence[SearchQuery],
    progress: Progress,
    *,
    per_query: int = SEARCH_LIMIT,
    seen: Collection[str] = (),
) -> list[Candidate]:
    """Candidates of every query (up to `per_query` each), each video once, tied to the interest that found it first.

    The feed never shows a video twice, so results already shown (`seen`) take no place: a query whose results
    hold some asks again for as many more (later results, MAX_RESULTS_PER_QUERY at most). The next day's run
    would otherwise find the videos of the first one again and little else.
    """
    found: dict[str, Candidate] = {}
    failures: list[str] = []
    for done, query in enumerate(written, start=1):
        try:
            results = _past_seen(source, query.query, per_query, seen)
        except Exception as exc:  # a failed query is skipped; SourceError says why in words
            reason = str(exc) if isinstance(exc, SourceError) else f"search failed ({type(exc).__name__}: {exc})"
            failures.append(reason)
            progress.skip(f"query “{query.query}”", reason)
        else:
            for candidate in results:
                found.setdefault(
                    candidate.video_id,
                    candidate.model_copy(update={"query": query.query, "interest": query.interest}),
                )
        progress.step(done, len(written))
    if written and len(failures) == len(written):
        raise StageError(f"Every search failed: {failures[0]}")
    return list(found.values())


def _past_seen(source: VideoSource, query: str, limit: int, seen: Collection[str]) -> list[Candidate]:
    """The query's first `limit` results, and as many more as were shown before (up to MAX_RESULTS_PER_QUERY)."""
    results = source.search(query, limit)
    shown = sum(1 for c in results if c.video_id in seen)
    wider = min(MAX_RESULTS_PER_QUERY, limit + shown)
    if not shown or len(results) < limit or wider <= limit:
        return results
    return source.search(query, wider)


# -- 5. screen -----------------------------------------------------------------------


def screen(
    engines: Engines,
    candidates: Sequence[Candidate],
    found: Sequence[Interest],
    prefs: Preferences,
    progress: Progress,
    *,
    max_kept: int,
    topics: Sequence[ExcludedTopic] = (),
) -> list[Candidate]:
    """The candidates worth reading, best first, each tied to an interest.

    Hidden channels, videos about a topic the user excluded, videos already shown, videos
    too short for a clip and those longer or shorter than the instructions allow are ruled
    out before the engine judges the rest; at most
    `max_kept` go on, shared out between interests so one interest cannot take every transcript.
    Each carries its screening score relative to the best one's (`fit`), for the clip's score.
    """
    hidden, seen = {c.casefold() for c in prefs.hidden_channels}, set(prefs.seen_video_ids)
    plan = parse_instructions(prefs.instructions)
    eligible: list[Candidate] = []
    for candidate in candidates:
        if (unwanted := _unwanted(candidate, hidden, topics)) is not None:
            progress.skip(candidate.video_id, unwanted)
        elif candidate.video_id in seen:
            progress.skip(candidate.video_id, SEEN_REASON)
        elif candidate.duration_s is not None and candidate.duration_s < MIN_CLIP_S:
            progress.skip(candidate.video_id, f"too short for a clip ({candidate.duration_s} s)")
        elif (length := plan.out_of_bounds(candidate.duration_s)) is not None:
            progress.skip(candidate.video_id, f"{length}, which your instructions leave out")
        else:
            eligible.append(candidate)
    if not eligible:
        return []
    decisions = {
        d.video_id: d for d in _whole(engines, progress, "screen", lambda llm: llm.screen(eligible, found, prefs))
    }
    names = {i.name for i in found}
    kept: list[tuple[float, Candidate]] = []
    for candidate in eligible:
        decision = decisions.get(candidate.video_id)
        if decision is None:
            progress.skip(candidate.video_id, "the engine gave no screening decision")
        elif not decision.keep:
            progress.skip(candidate.video_id, decision.reason or "screened out")
        else:
            interest = decision.interest if decision.interest in names else candidate.interest
            if interest not in names:
                progress.skip(candidate.video_id, "not tied to any of your interests")
            else:
                kept.append((decision.score, candidate.model_copy(update={"interest": interest})))
    kept.sort(key=lambda pair: -pair[0])
    best = kept[0][0] if kept else 0.0
    if best > 0:
        kept = [(score, c.model_copy(update={"fit": max(0.0, score) / best})) for score, c in kept]
    chosen = _share_out([c for _, c in kept], max_kept)
    for _, candidate in kept:
        if candidate.video_id not in chosen:
            progress.skip(candidate.video_id, f"not among the {max_kept} most promising videos")
    return [c for _, c in kept if c.video_id in chosen]


@runtime_checkable
class NamesTopics(Protocol):
    """An engine that can name interests after the videos screening tied to them (the local engine)."""

    def name_topics(
        self, interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]
    ) -> dict[str, str]: ...


def name_interests(
    engines: Engines,
    found: Sequence[Interest],
    kept: Sequence[Candidate],
    candidates: Sequence[Candidate],
    prefs: Preferences,
    progress: Progress,
    *,
    topics: Sequence[ExcludedTopic] = (),
) -> tuple[list[Interest], list[Candidate]]:
    """Interests under the names their screened videos give them, and the kept videos tied to those names.

    Only an engine that names topics this way renames (a model names interests itself), and
    never an interest whose name the user chose (pinned, added or renamed) or saw with clips
    on the last run: from day to day a subject keeps the name the user knows it by, where the
    phrase its leftover videos share would read as a new subject. An interest the last run
    found no clips for is named afresh from its videos. The user's own renames and mutes apply
    to the new names too; an interest that takes the name of another merges into it. The videos
    already shown count as well (`_shown_before`), so a subject the user has not seen named
    takes the name its best videos give it though the feed has shown them. Then a video whose title
    names one of the interests is tied to that one (`_named_in_title`).
    """
    namer = engines.primary
    if not isinstance(namer, NamesTopics):
        return list(found), list(kept)
    controls = prefs.interests
    before = _shown_before(namer, candidates, found, prefs, topics)
    # A name the user saw with clips stays; one the last run found no clips for still takes its videos' name.
    seen = {interest_key(i.name) for i in controls.previous} & {interest_key(c.interest) for c in before}
    chosen = seen | {
        interest_key(name) for name in [*(i.name for i in controls.pinned), *controls.added, *controls.renamed.values()]
    }
    renaming = [i for i in found if interest_key(i.name) not in chosen]
    named = namer.name_topics(renaming, [*kept, *before], candidates)
    muted = {interest_key(name) for name in controls.muted}
    existing = {interest_key(i.name): i.name for i in found}
    target: dict[str, str] = {}
    dropped: set[str] = set()
    for old, new in named.items():
        mine = controls.renamed.get(interest_key(new))
        if mine and mine != new:
            progress.note(f"Called “{new}” “{mine}”, as you renamed it.")
            new = mine
        if interest_key(new) in muted:
            dropped.add(old)
            progress.note(f"Left out “{old}”: its videos are about “{new}”, an interest you muted.")
        else:
            target[old] = existing.get(interest_key(new), new)
    interests: dict[str, Interest] = {}
    for interest in found:
        name = target.get(interest.name, interest.name)
        if interest.name in dropped or name in interests:
            continue  # muted, or merged into the interest that has the name
        interests[name] = renamed_interest(interest, name) if name != interest.name else interest
    if target:
        listed = ", ".join(f"“{old}” is now “{new}”" for old, new in target.items())
        progress.note(f"Named interests after the videos screening found for them: {listed}.")
    # Names of one everyday word name too much to tell ("Light", "Water"); the others, with their terms.
    nameable = [(name, key) for name in interests if (key := tuple(terms(name))) and not everyday(name)]
    shown = []
    for candidate in kept:
        if candidate.interest in dropped:
            progress.skip(candidate.video_id, "about an interest you muted")
        else:
            tied = _named_in_title(candidate.title, nameable) or target.get(candidate.interest, candidate.interest)
            shown.append(candidate.model_copy(update={"interest": tied}))
    return list(interests.values()), shown


def _named_in_title(title: str, names: Sequence[tuple[str, tuple[str, ...]]]) -> str | None:
    """The interest the video's title names, of `names` (each with its terms), or None. Screening ties a video to
    the interest whose words it shares most, so "Sourdough - shaping and scoring" can land with the posts on oven
    temperature that share its "crust" and "steam", while the user has an interest named "Sourdough": the title
    says which it is about. Every term of the name in the title (or its initials: "ROV" for "Remotely operated
    vehicle") names it; of two named, the one of more words ("Tide pool ecology" over "Tide pools"), and none when
    they are alike."""
    said = set(terms(title))
    named = sorted(((len(key), name) for name, key in names if holds_terms(title, key, said)), reverse=True)
    if not named or (len(named) > 1 and named[0][0] == named[1][0]):
        return None
    return named[0][1]


def set_aside_voted_down(
    found: Sequence[Interest], kept: Sequence[Candidate], prefs: Preferences, progress: Progress
) -> tuple[list[Interest], list[Candidate]]:
    """The kept videos without those of the interests whose clips the user keeps voting down, and the interests
    with those marked as set aside.

    One down vote demotes a video and its theme; several on one interest's clips (SET_ASIDE_AFTER,
    net of up votes on it) say the person wants no more of it now, however many videos are left to
    fill the feed: a shorter feed beats one filled with what they turned away. Only votes that say
    nothing else count ("off topic" or no reason: "too basic" is about a video's level, "clickbait"
    about its form). The interest stays in the run's list, so the interests page shows it and the
    user can pin it; an interest the user pinned or added is never set aside.
    """
    chosen = _chosen_by_user(prefs)
    net: Counter[str] = Counter()
    for signal in prefs.feedback:
        if signal.vote > 0:
            net[interest_key(signal.interest)] -= 1
        elif signal.reason in (None, "off_topic"):
            net[interest_key(signal.interest)] += 1
    aside = {
        i.name: net[interest_key(i.name)]
        for i in found
        if net[interest_key(i.name)] >= SET_ASIDE_AFTER and interest_key(i.name) not in chosen
    }
    interests = []
    for interest in found:
        if interest.name in aside:
            progress.note(
                f"Set “{interest.name}” aside: you voted down {aside[interest.name]} of its clips. Pin it "
                "on the Interests page to see it again."
            )
            interest = set_aside(interest, aside[interest.name])
        interests.append(interest)
    shown = []
    for candidate in kept:
        if candidate.interest in aside:
            progress.skip(candidate.video_id, f"about “{candidate.interest}”, whose clips you voted down")
        else:
            shown.append(candidate)
    return interests, shown


def _unwanted(candidate: Candidate, hidden: set[str], topics: Sequence[ExcludedTopic]) -> str | None:
    """Why the user wants none of this video (a channel they hid, casefolded in `hidden`; a topic they excluded),
    or None."""
    if candidate.channel.casefold() in hidden:
        return f"channel “{candidate.channel}” is hidden"
    if (topic := video_excluded(candidate, topics)) is not None:
        return f"about “{topic.phrase}”, which you asked to see no more of"
    return None


def _shown_before(
    namer: LLM,
    candidates: Sequence[Candidate],
    found: Sequence[Interest],
    prefs: Preferences,
    topics: Sequence[ExcludedTopic],
) -> list[Candidate]:
    """The videos found again that the feed showed before, tied to an interest as screening would tie them.

    They are never shown again, but their titles still say what the subject is called: without them, the
    next run would name a subject after whatever is left once its best videos were shown.
    """
    hidden, seen = {c.casefold() for c in prefs.hidden_channels}, set(prefs.seen_video_ids)
    shown = {c.video_id: c for c in candidates if c.video_id in seen and _unwanted(c, hidden, topics) is None}
    if not shown:
        return []
    names = {i.name for i in found}
    unseen = prefs.model_copy(update={"seen_video_ids": []})
    decisions = namer.screen(list(shown.values()), found, unseen)
    tied = {
        d.video_id: shown[d.video_id].model_copy(update={"interest": d.interest})
        for d in decisions
        if d.keep and d.interest in names and d.video_id in shown
    }
    return list(tied.values())


def _share_out(ranked: Sequence[Candidate], limit: int) -> set[str]:
    """Up to `limit` ids taken round-robin across interests, each interest's best first."""
    queues: dict[str, list[Candidate]] = {}
    for candidate in ranked:
        queues.setdefault(candidate.interest, []).append(candidate)
    chosen: list[str] = []
    while len(chosen) < limit and any(queues.values()):
        for queue in queues.values():
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0).video_id)
    return set(chosen)


# -- 6. transcripts ------------------------------------------------------------------


def transcripts(
    kept: Sequence[Candidate],
    source: TranscriptSource,
    cache: TranscriptCache,
    progress: Progress,
    *,
    workers: int,
) -> list[TranscriptData]:
    """Timed transcripts of the kept videos, from the shared cache or the source; a video without one is skipped."""
    got: dict[str, TranscriptData] = {}
    missing: list[str] = []
    for candidate in kept:
        hit = cache.lookup(candidate.video_id)
        if isinstance(hit, TranscriptData):
            got[candidate.video_id] = hit
        elif hit is not None:
            progress.skip(candidate.video_id, f"no transcript: {hit.reason}")
        else:
            missing.append(candidate.video_id)
    done = len(kept) - len(missing)
    blocked = False
    for video_id, outcome in _each(lambda vid: _fetch(source, vid), missing, workers):
        if isinstance(outcome, str):
            progress.skip(video_id, outcome)
        elif isinstance(outcome, TranscriptUnavailable) and outcome.transient:  # not the video's fault
            blocked = blocked or isinstance(outcome, TranscriptBlocked)
            progress.skip(video_id, f"no transcript: {outcome.reason}")
        else:
            cache.store(video_id, outcome)
            if isinstance(outcome, TranscriptUnavailable):
                progress.skip(video_id, f"no transcript: {outcome.reason}")
            else:
                got[video_id] = outcome
        done += 1
        progress.step(done, len(kept))
    if blocked:
        progress.note(BLOCKED_NOTE)
    usable = []
    for candidate in kept:
        transcript = got.get(candidate.video_id)
        if transcript is not None and not any(s.text.strip() for s in transcript.segments):
            progress.skip(candidate.video_id, "the transcript is empty")
        elif transcript is not None:
            usable.append(transcript.model_copy(update={"video_id": candidate.video_id}))
    return usable


def _fetch(source: TranscriptSource, video_id: str) -> TranscriptData | TranscriptUnavailable | str:
    """The transcript, the source's reason there is none, or (for an unexpected error) a reason not to cache."""
    try:
        return source.fetch(video_id)
    except TranscriptUnavailable as exc:
        return exc
    except Exception as exc:
        return f"transcript fetch failed ({type(exc).__name__}: {exc})"


# -- 7. clip -------------------------------------------------------------------------


def clips(
    engines: Engines,
    kept: Sequence[Candidate],
    texts: Sequence[TranscriptData],
    found: Sequence[Interest],
    items: Sequence[Engagement],
    prefs: Preferences,
    progress: Progress,
    *,
    topics: Sequence[ExcludedTopic] = (),
) -> list[Clip]:
    """The best valid clip of each video that has a transcript (videos without one are skipped): none of a talk that
    names an excluded topic again and again (`talk_names`) or is about one in all but name (`talks_about`), of a
    talk that is no lesson however its title reads (`talk_style`), nor, unless its interest is one they chose, of
    a talk about what the user posted long ago rather than now (`moved_on`) or tied to an interest of long ago,
    far lighter than the rest: such an interest fills the list of interests, where the user can pin it, and
    draws the talks on that old subject away from the current ones, but the feed is about what they follow now."""
    by_name = {i.name: i for i in found}
    by_video = {t.video_id: t for t in texts}
    chosen_by_user = _chosen_by_user(prefs)
    old_subjects = _light_interests(found, prefs)
    then_and_now = PastAndPresent.of(items)
    usable = [c for c in kept if c.video_id in by_video and c.interest in by_name]
    excluded = talks_about([(c, by_video[c.video_id]) for c in usable], topics)
    preferred = parse_instructions(prefs.instructions).preferred
    work = []
    for candidate in usable:
        transcript = by_video[candidate.video_id]
        theirs = interest_key(candidate.interest) in chosen_by_user
        if (named := talk_names(transcript, topics)) is not None:
            progress.skip(candidate.video_id, f"names “{named.phrase}” again and again, {ASKED_NOT_TO_SEE}")
        elif candidate.video_id in excluded:
            progress.skip(
                candidate.video_id, f"about “{excluded[candidate.video_id]}” in all but name, {ASKED_NOT_TO_SEE}"
            )
        elif (style := not_a_lesson(transcript, preferred)) is not None:
            progress.skip(candidate.video_id, style)
        elif not theirs and then_and_now.moved_on(transcript, candidate.title):
            progress.skip(candidate.video_id, MOVED_ON_REASON)
        elif candidate.interest in old_subjects:
            progress.skip(candidate.video_id, old_subject_reason(candidate.interest))
        else:
            work.append((candidate, by_name[candidate.interest], transcript))
    chosen: list[Clip] = []
    if isinstance(engines.primary, Batches) and work:
        _batch(engines, progress, "clip", lambda llm: llm.prepare_clips(work, items, prefs))

    def choose(job: tuple[Candidate, Interest, TranscriptData]) -> _Outcome[Clip]:
        return _clip_for(engines, *job, items, prefs)

    for done, (job, outcome) in enumerate(_each(choose, work, engines.workers), start=1):
        video_id = job[0].video_id
        if outcome.value is not None:
            chosen.append(outcome.value)
            _note_fallback(progress, video_id, outcome)
        elif outcome.answered:
            progress.skip(video_id, "; ".join([*outcome.problems, "no passage matches the interest well enough"]))
        else:
            progress.skip(video_id, outcome.reason("no engine chose a clip"))
        progress.step(done, len(work))
    return chosen


def _clip_for(
    engines: Engines,
    candidate: Candidate,
    interest: Interest,
    transcript: TranscriptData,
    items: Sequence[Engagement],
    prefs: Preferences,
) -> _Outcome[Clip]:
    """A clip that passes validation (None: no passage fits), and the problems met on the way."""

    def ask(llm: LLM) -> Clip | None:
        clip = llm.choose_clip(candidate, interest, transcript, items, prefs)
        return clip.model_copy(update={"scored_by": clip.scored_by or llm.name}) if clip else None

    def accept(clip: Clip | None) -> Clip | str | None:
        if clip is None:
            return None
        clip = clip.model_copy(update={"interest": interest.name})
        invalid = validate_clip(clip, transcript, duration_s=candidate.duration_s)
        return f"clip is invalid: {'; '.join(invalid)}" if invalid else with_whole_quote(clip, transcript)

    return _first_valid(engines, ask, accept, "clip")


# -- 8. rank & explain ---------------------------------------------------------------


def rank(
    engines: Engines,
    chosen: Sequence[Clip],
    kept: Sequence[Candidate],
    found: Sequence[Interest],
    items: Sequence[Engagement],
    prefs: Preferences,
    progress: Progress,
    *,
    user_tweet_ids: Collection[str],
    feed_size: int,
) -> list[FeedItem]:
    """The feed: clips best first under the diversity rule, each with a valid explanation.

    Scores are put on one scale first (`normalised`); an engine that batches (a model) then
    orders the top clips and writes their explanations in one call. A clip whose
    explanation cannot be made valid leaves the feed and the next clip the rule allows
    takes its place. The log says who wrote how many explanations, and why any fell back.
    """
    by_video = {c.video_id: c for c in kept}
    by_name = {i.name: i for i in found}
    usable = [c for c in chosen if c.video_id in by_video and c.interest in by_name]
    scores = normalised(usable)
    ranked = sorted(usable, key=lambda c: (-scores[c.video_id], c.video_id))
    # The diversity rule, for the first ten and scaled to the whole feed: the same for the clips the engine reranks
    # and for the feed. An interest without a clip (nothing found, or set aside) takes no share of it.
    with_clips = {c.interest for c in usable}
    active = [i for i in found if i.name in with_clips]
    rule = partial(
        diversify,
        single_interest=len(active) == 1,
        per_interest=interest_cap(TOP, len(active)),
        per_feed=interest_cap(feed_size, len(active)),
    )
    batches = isinstance(engines.primary, Batches)
    if batches and ranked:
        pool = rule(ranked, limit=math.ceil(feed_size * RERANK_SHARE))
        order = _batch(engines, progress, "rank", lambda llm: llm.rerank(pool, kept, found, items, prefs))
        if order:
            place = {video_id: i for i, video_id in enumerate(order) if video_id in {c.video_id for c in pool}}
            ranked = sorted(ranked, key=lambda c: (place.get(c.video_id, len(place)), -scores[c.video_id]))
    explained: dict[str, FeedItem] = {}
    authors: Counter[str] = Counter()
    dropped: set[str] = set()

    def explain(clip: Clip) -> tuple[FeedItem | None, _Outcome[Explanation]]:
        candidate, interest = by_video[clip.video_id], by_name[clip.interest]
        outcome = _explanation_for(engines, clip, candidate, interest, items, prefs, user_tweet_ids)
        if outcome.value is None:
            return None, outcome
        return FeedItem(
            video_id=clip.video_id,
            title=candidate.title,
            channel=candidate.channel,
            start_s=clip.start_s,
            end_s=clip.end_s,
            explanation=outcome.value.text.strip(),
            quote=clip.quote,
            quote_s=clip.quote_s,
            tweet_ids=outcome.value.tweet_ids,
            score=round(scores[clip.video_id], 6),
            interest=clip.interest,
        ), outcome

    while True:
        feed = rule([c for c in ranked if c.video_id not in dropped], limit=feed_size)
        todo = [c for c in feed if c.video_id not in explained]
        if not todo:
            if batches and authors:
                written = ", ".join(f"the {name} engine {count}" for name, count in authors.most_common())
                progress.note(f"Explanations written: {written} (the log says why any fell back).")
            return [explained[c.video_id] for c in feed]
        if batches:
            write = partial(_prepare_explanations, clips=todo, kept=kept, found=found, items=items, prefs=prefs)
            _batch(engines, progress, "explain", write)
        for clip, (item, outcome) in _each(explain, todo, engines.workers):
            if item is None:
                dropped.add(clip.video_id)
                progress.skip(clip.video_id, outcome.reason("no engine explained the clip"))
            else:
                explained[clip.video_id] = item
                authors[outcome.engine] += 1
                _note_fallback(progress, clip.video_id, outcome)
            progress.step(len(explained), len(feed))


def _light_interests(found: Sequence[Interest], prefs: Preferences) -> set[str]:
    """Interests far lighter than the heaviest (subjects of long ago, kept to fill the list), unless the user pinned
    or added them."""
    heaviest = max((i.weight for i in found), default=0.0)
    chosen = _chosen_by_user(prefs)
    return {i.name for i in found if i.weight < LIGHT_SHARE * heaviest and interest_key(i.name) not in chosen}


def _chosen_by_user(prefs: Preferences) -> set[str]:
    """The keys of the interests the user pinned or added: their say outranks the run's own rules."""
    return {interest_key(i.name) for i in prefs.interests.pinned} | {interest_key(t) for t in prefs.interests.added}


def _prepare_explanations(
    llm: Batches,
    *,
    clips: Sequence[Clip],
    kept: Sequence[Candidate],
    found: Sequence[Interest],
    items: Sequence[Engagement],
    prefs: Preferences,
) -> None:
    llm.prepare_explanations(clips, kept, found, items, prefs)


def normalised(clips: Sequence[Clip]) -> dict[str, float]:
    """Each clip's score as its rank among the clips its engine scored, from 0 (lowest) to 1 (highest), ties
    and a lone clip in the middle: engines score on scales of their own (a model's 0-1 judgement, the local
    engine's match strength), so raw scores cannot be compared, but ranks within one engine can."""
    groups: dict[str, list[Clip]] = {}
    for clip in clips:
        groups.setdefault(clip.scored_by, []).append(clip)
    out: dict[str, float] = {}
    for group in groups.values():
        values = sorted(_finite(c.score) for c in group)
        for clip in group:
            below = bisect_left(values, _finite(clip.score))
            same = bisect_right(values, _finite(clip.score)) - below
            out[clip.video_id] = (below + (same - 1) / 2) / (len(values) - 1) if len(values) > 1 else 0.5
    return out


def _explanation_for(
    engines: Engines,
    clip: Clip,
    candidate: Candidate,
    interest: Interest,
    items: Sequence[Engagement],
    prefs: Preferences,
    user_tweet_ids: Collection[str],
) -> _Outcome[Explanation]:
    """A valid explanation (foreign or surplus citations removed), and the problems met on the way."""

    def accept(explanation: Explanation) -> Explanation | str:
        invalid = validate_explanation(explanation, user_tweet_ids=user_tweet_ids)
        repaired = repair_explanation(explanation, user_tweet_ids=user_tweet_ids) if invalid else explanation
        return repaired if repaired is not None else f"explanation is invalid: {'; '.join(invalid)}"

    return _first_valid(
        engines, lambda llm: llm.explain(clip, candidate, interest, items, prefs), accept, "explanation"
    )


# -- helpers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome(Generic[R]):
    """What the engines made of one item: a valid answer (None when the engine found none) or
    nothing, and every problem met on the way, so the run log keeps them even when a fallback answered."""

    value: R | None
    problems: tuple[str, ...]
    answered: bool
    engine: str = ""  # the engine that answered

    def reason(self, default: str) -> str:
        return "; ".join(self.problems) or default


def _first_valid(
    engines: Engines, ask: Callable[[LLM], A], accept: Callable[[A], R | str | None], what: str
) -> _Outcome[R]:
    """Each engine in turn until one answers something `accept` takes (a str is the reason it does not)."""
    problems: list[str] = []
    for llm in engines.chain():
        try:
            answer = ask(llm)
        except FATAL:
            raise
        except Exception as exc:
            problems.append(f"the {llm.name} engine failed at the {what}: {exc}")
            continue
        accepted = accept(answer)
        if not isinstance(accepted, str):
            return _Outcome(accepted, tuple(problems), answered=True, engine=llm.name)
        problems.append(f"the {llm.name} engine's {accepted}")
    return _Outcome(None, tuple(problems), answered=False)


def _batch(engines: Engines, progress: Progress, stage: str, call: Callable[[Batches], T]) -> T | None:
    """A batched call of the primary engine; when it fails the items are done one by one, and the log says why."""
    primary = engines.primary
    assert isinstance(primary, Batches)
    try:
        return call(primary)
    except FATAL:
        raise
    except Exception as exc:
        progress.note(f"The {engines.primary.name} engine failed at {stage} ({exc}); each item was done on its own.")
        return None


def _whole(engines: Engines, progress: Progress, stage: str, call: Callable[[LLM], list[T]]) -> list[T]:
    """A whole-stage engine call; when the engine fails and a fallback exists, the fallback answers."""
    try:
        return call(engines.primary)
    except FATAL:
        raise
    except Exception as exc:
        if engines.fallback is None:
            raise
        progress.note(
            f"The {engines.primary.name} engine failed at {stage} ({exc}); the {engines.fallback.name} engine did it."
        )
        return call(engines.fallback)


def _note_fallback(progress: Progress, item: str, outcome: _Outcome[R]) -> None:
    """Keep in the run log why the engine of the run did not give an item's answer, when another did."""
    if outcome.problems:
        progress.note(f"{item}: {'; '.join(outcome.problems)}; the next engine's answer was used.")


def _each(func: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[tuple[T, R]]:
    """(item, result) in item order; with several workers the calls overlap while the caller records results."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield item, func(item)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="run-item") as pool:
        futures = [pool.submit(func, item) for item in items]
        try:
            for item, future in zip(items, futures, strict=True):
                yield item, future.result()
        finally:
            for future in futures:
                future.cancel()


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0
