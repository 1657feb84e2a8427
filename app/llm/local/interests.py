"""Interests from engagement: the few subjects a person keeps coming back to, named the way they write about them.

A post is described by its content terms and by the accounts it names (people who
talk about one subject tend to reply to, retweet and quote the same accounts); two
posts are linked when they share one of those features. Posts are grouped bottom-up
by average linkage: two groups become one subject while their posts are linked more
often than two posts picked at random, and only when at least two different features
bridge them (one shared word such as "key" or "track" is a coincidence, two are a
subject; among fewer than 15 posts a rare word counts as two, or most would stand alone).
The threshold comes from the data, so the same rule finds a handful of subjects for a
focused person and for a prolific one. People rarely repeat their words from one post
to the next, so the posts the words leave alone are then placed by meaning ("the probe's
photos of Saturn", "a cheap telescope for Jupiter's bands"; see `_near_in_meaning`): with the group
most of their near posts are in, or together with the other loose posts they are near.
Posts older than a year are grouped apart, so an old subject never bleeds into a
current one.

A subject's weight is the recency weight of its posts (the engagement stage decays
it), adjusted by feedback. Subjects far lighter than the heaviest are stale and fill
in only to reach the minimum of three. A person with one or two subjects gets one or
two interests: a narrower feed is the honest outcome.

A subject is named after its most distinctive phrase (words the user wrote side by
side, more than once; for posts placed together by meaning alone, the word closest in
meaning to the others), described by its other sub-themes and how recent it is, and
carries the phrases and characteristic terms of all its sub-themes as keywords for
search, screening and clips. Excluded topics never reach a name, a description, a
keyword or the evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
from wordfreq import zipf_frequency

from app.llm.local.embeddings import embed, embed_collection
from app.llm.local.instructions import InstructionPlan
from app.llm.local.soft_match import content_words, soft_cosine
from app.llm.local.vectors import Vector, add, cosine, idf_table, tf_idf, top_terms
from app.schemas import Engagement, FeedbackSignal, Interest
from app.text import (
    accounts,
    common,
    everyday,
    holds_terms,
    names_a_thing,
    proper_nouns,
    stem,
    term_forms,
    terms,
    word_runs,
    word_set,
)
from app.validation import MAX_EVIDENCE, MAX_INTERESTS

MIN_INTERESTS = 3
MAX_DOCS = 800  # the heaviest posts considered; keeps grouping fast on huge archives
STALE_AFTER = timedelta(days=365)  # posts this much older than the newest are grouped apart
RECENT = timedelta(days=60)
# Groups merge while their posts are linked this much more often than any two posts are (but never needing more
# than halfway to every pair linked, so a person who only ever posts about one thing still gets it as a subject).
LINK_RATIO = 1.25
MIN_HABIT_POSTS = 40  # fewer posts say too little about a person's habits to judge them
MIN_JUDGED = 3  # a feature used this often has its coherence judged
COHERENCE_SHARE = 0.5  # in standard deviations of post similarity: features less coherent are habits
MIN_BRIDGES = 2  # distinct shared features needed to merge two groups
SMALL_CORPUS = 15  # ... in fewer posts than this, one rare word counts as two: most posts would stand alone
MIN_POSTS = 2
_ALSO_TOUCH = re.compile(r", also touch(?:es)? on (?P<listed>[^.]+)\.$")  # the sub-themes `_description` lists
_LOWER_WORD = re.compile(r"[a-z][a-z0-9]*(?:['’-][a-z0-9]+)*")  # a word in lower case, hyphens and apostrophes in it
# Near in meaning (see `_near_in_meaning`): two posts are near when the match of their words is this many
# standard deviations above the mean of the person's pairs, and at least NEAR_FLOOR.
NEAR_SPREAD = 2.0
NEAR_FLOOR = 0.15
MIN_RELATIVE_WEIGHT = 0.08  # a subject lighter than this share of the heaviest is not current
FEEDBACK_STEP = 0.5
MAX_PHRASES = 5
MIN_PHRASES = 2  # single terms complete the phrases of a subject that has fewer
MAX_DESCRIBED = 3
MAX_KEYWORDS = 20
# The English words for numbers: quantities like "10x", whatever the posts count.
NUMBER_WORDS = word_set(
    """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    billion trillion dozen half quarter
    """
)
NEAR_DUPLICATE = 0.8  # an evidence post this similar to one already chosen says nothing new

Key = tuple[str, ...]  # the terms of a phrase, in the order written


@dataclass
class _Doc:
    item: Engagement
    terms: list[str]
    features: set[str]  # terms and the accounts the post names


@dataclass
class _Corpus:
    """Posts grouped together: their links, and what naming and comparing their subjects needs."""

    docs: list[_Doc]
    link: np.ndarray  # 1.0 where two posts share a feature, else 0.0 (also on the diagonal)
    near: np.ndarray  # True where two posts are near in meaning (see `_near_in_meaning`)
    presence: np.ndarray  # post x feature, bool
    bridging: np.ndarray  # post x feature, bool: the features that can make two groups one (no habits of phrasing)
    habits: set[str]  # features a person uses whatever they write about (see `_habits`)
    threshold: float  # the mean link two groups need to be one subject
    strength: np.ndarray  # per feature, how many bridges sharing it makes (see `_strength`)
    idf: Vector
    df: Counter[str]  # in how many posts each term appears
    written: list[dict[Key, str]]  # per post: its terms and runs of two or three terms, as written

    def mean_link(self, rows: Sequence[int], others: Iterable[int]) -> float:
        """Mean link between two sets of posts, a post never counting its link to itself."""
        own = set(rows)
        rest = [r for r in others if r not in own]
        if not rows or not rest:
            return 0.0
        return float(self.link[np.ix_(list(rows), rest)].mean())

    def bridges(self, a: np.ndarray, b: np.ndarray) -> float:
        """How many bridges two feature sets (boolean rows) share: distinct features, by their `strength`."""
        return float(self.strength[a & b].sum())

    def vector(self, row: int) -> Vector:
        return tf_idf(self.docs[row].terms, self.idf)

    def centroid(self, rows: Iterable[int]) -> Vector:
        total: Vector = {}
        for row in rows:
            add(total, self.vector(row))
        return total

    def characteristic(self, rows: Sequence[int], count: int, *, min_posts: int = 1) -> list[str]:
        """Terms in many of the subject's posts and not in all of the user's (log(1 + N/df) never vanishes, so
        a user who posts about one thing only still gets that thing's terms)."""
        inside = Counter(t for row in rows for t in set(self.docs[row].terms))
        scores = {t: n * math.log(1 + len(self.docs) / self.df[t]) for t, n in inside.items() if n >= min_posts}
        return top_terms(scores, count)


@dataclass
class _Subject:
    corpus: _Corpus
    rows: list[int]
    current: bool
    weight: float = 0.0


def infer_interests(
    engagement: Sequence[Engagement], plan: InstructionPlan, feedback: Sequence[FeedbackSignal]
) -> list[Interest]:
    """Three to eight interests when the posts allow, heaviest first, each with 2-5 evidence posts."""
    docs = _documents(engagement)
    newest = max((d.item.created_at for d in docs if d.item.created_at is not None), default=None)
    subjects: list[_Subject] = []
    for current in (True, False):
        corpus = _corpus([d for d in docs if _is_recent(d.item, newest) == current], few=len(docs) < SMALL_CORPUS)
        if corpus is None:
            continue
        found = _without_excluded(corpus, _group(corpus, current), plan)
        for subject in found:
            subject.weight = sum(corpus.docs[r].item.weight for r in subject.rows)
        _apply_feedback(found, feedback)
        subjects.extend(found)
    chosen = _choose(subjects)
    if not chosen:
        return []
    heaviest = max(s.weight for s in chosen)
    interests: list[Interest] = []
    used: set[str] = set()
    for subject in chosen:
        phrases = _phrases(subject, plan)
        free = [p for p in phrases if not set(p.key) & used]
        named = [p for p in free if names_a_thing(p.written)] or [_noun_head(p) for p in free[:1]]
        name = next((p for p in named if not everyday(p.written)), named[0] if named else None)
        if name is None:
            continue
        used.update(name.key)
        interests.append(
            Interest(
                name=name.written,
                description=_description(subject, phrases, name, plan, newest),
                weight=round(subject.weight / heaviest, 4),
                evidence_tweet_ids=[subject.corpus.docs[r].item.tweet_id for r in _evidence(subject)],
                keywords=_keywords(subject, phrases, plan),
            )
        )
    return interests


# -- grouping -------------------------------------------------------------------------------


def _documents(engagement: Sequence[Engagement]) -> list[_Doc]:
    """Posts with at least two content terms (drops "lol", emoji-only and bare links), heaviest first."""
    docs = []
    for item in engagement:
        found = terms(item.text)
        if len(set(found)) >= 2:
            docs.append(_Doc(item, found, set(found) | accounts(item.text)))
    docs.sort(key=lambda d: -d.item.weight)
    return docs[:MAX_DOCS]


def _is_recent(item: Engagement, newest: datetime | None) -> bool:
    return item.created_at is None or newest is None or newest - item.created_at <= STALE_AFTER


def _corpus(docs: list[_Doc], *, few: bool) -> _Corpus | None:
    """Links between posts over the features at least two of them share; None when fewer than two posts link.
    `few`: the person has only a handful of posts in all (see `_near_in_meaning`)."""
    if len(docs) < MIN_POSTS:
        return None
    meaning = embed_collection([" ".join(w for _, w in term_forms(d.item.text)) for d in docs], remove_common=False)
    similarity = meaning @ meaning.T
    np.fill_diagonal(similarity, np.nan)
    habits = _habits(docs, similarity)
    df = Counter(f for d in docs for f in d.features)
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in df.items() if n >= 2))}
    near_all = _near_in_meaning(docs, few=few)
    keep = [row for row, d in enumerate(docs) if any(f in vocab for f in d.features) or near_all[row].any()]
    docs = [docs[r] for r in keep]
    near = near_all[np.ix_(keep, keep)]
    if len(docs) < MIN_POSTS:
        return None
    presence = np.zeros((len(docs), len(vocab)), dtype=bool)
    for row, doc in enumerate(docs):
        presence[row, [vocab[f] for f in doc.features if f in vocab]] = True
    counts = presence.astype(np.float32)
    link = ((counts @ counts.T) > 0).astype(np.float64)
    np.fill_diagonal(link, 0.0)
    n = len(docs)
    base = float(link.sum()) / (n * (n - 1))  # how often two posts picked at random are linked
    return _Corpus(
        docs=docs,
        link=link,
        near=near,
        presence=presence,
        bridging=presence & np.array([f not in habits for f in vocab], dtype=bool)[None, :],
        habits=habits,
        threshold=min(LINK_RATIO * base, (1.0 + base) / 2),
        strength=_strength(docs, vocab),
        idf=idf_table(d.terms for d in docs),
        df=Counter(t for d in docs for t in set(d.terms)),
        written=[_written(d.item.text) for d in docs],
    )


def _near_in_meaning(docs: list[_Doc], *, few: bool) -> np.ndarray:
    """Pairs of posts about the same subject in other words ("Saturn's rings glitter in the probe's new photos",
    "which cheap telescope shows the cloud bands of Jupiter?"): True where they are near in meaning.

    Nearness is the soft cosine of their words (`soft_match`). A pair is near when that stands out among all
    the person's pairs: NEAR_SPREAD standard deviations above the mean, and NEAR_FLOOR at least. For a person
    with fewer than SMALL_CORPUS posts in all (someone trying the product with a handful), that cut lets a
    pair or two through at most, however many subjects the posts hold; there two posts are also near when
    each is the other's nearest, at NEAR_FLOOR or more ("an open crumb after dropping the hydration" and "my
    starter peaks in 3 hours in summer").
    """
    words = [content_words(d.item.text) for d in docs]
    n = len(docs)
    if n < 3 or not any(words):
        return np.zeros((n, n), dtype=bool)
    soft = soft_cosine(words, words)
    has = np.array([bool(ws) for ws in words])
    mask = np.outer(has, has)
    np.fill_diagonal(mask, False)
    if mask.sum() < 2:
        return np.zeros((n, n), dtype=bool)
    values = soft[mask]
    cut = max(NEAR_FLOOR, float(values.mean() + NEAR_SPREAD * values.std()))
    near = (soft >= cut) & mask
    if few:
        nearest = np.where(mask, soft, -1.0).argmax(axis=1)
        for i, j in enumerate(nearest):
            if nearest[j] == i and mask[i, j] and soft[i, j] >= NEAR_FLOOR:
                near[i, j] = True
    return near


def _habits(docs: list[_Doc], similarity: np.ndarray) -> set[str]:
    """Features a person uses whatever they write about: they link posts but never make two groups one.

    A word is about something when the posts using it are about the same thing: for each feature in three
    posts or more, the mean meaning similarity of those posts, above the mean of all pairs, is its coherence.
    Features whose posts are hardly closer than any two posts (within half a standard deviation of the
    similarities: "finally", "question", "matter") are habits of phrasing. Static embeddings of short posts
    are noisy, so habits are only judged on a person with MIN_HABIT_POSTS posts or more.
    """
    if len(docs) < MIN_HABIT_POSTS:
        return set()
    rows: dict[str, list[int]] = {}
    for row, doc in enumerate(docs):
        for feature in doc.features:
            rows.setdefault(feature, []).append(row)
    base, spread = float(np.nanmean(similarity)), float(np.nanstd(similarity))
    return {
        f
        for f, r in rows.items()
        if len(r) >= MIN_JUDGED and float(np.nanmean(similarity[np.ix_(r, r)])) - base < COHERENCE_SHARE * spread
    }


def _group(corpus: _Corpus, current: bool) -> list[_Subject]:
    """Subjects: the average-linkage groups of two posts or more, with the posts left out that clearly belong."""
    groups = _attach(corpus, [g for g in _agglomerate(corpus) if len(g) >= MIN_POSTS])
    return [_Subject(corpus, rows, current) for rows in _placed_by_meaning(corpus, groups)]


def _agglomerate(corpus: _Corpus) -> list[list[int]]:
    """Merge the two groups with the highest mean link, again and again, while it reaches the threshold; a pair
    bridged by fewer than MIN_BRIDGES distinct features (`_Corpus.bridges`) is skipped. Each group keeps track of
    its best partner, so a merge costs O(n)."""
    n = len(corpus.docs)
    sums = corpus.link.copy()  # links between the posts of two groups, summed
    sizes = np.ones(n)
    features = corpus.bridging.copy()
    members = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    blocked = np.eye(n, dtype=bool)
    best = np.zeros(n, dtype=np.int64)
    best_mean = np.full(n, -1.0)

    def refresh(i: int) -> None:
        mean = sums[i] / (sizes[i] * sizes)
        mean[~alive | blocked[i]] = -1.0
        best[i] = int(np.argmax(mean))
        best_mean[i] = mean[best[i]]

    for i in range(n):
        refresh(i)
    while True:
        i = int(np.argmax(np.where(alive, best_mean, -1.0)))
        j = int(best[i])
        if best_mean[i] <= 0 or best_mean[i] < corpus.threshold:
            break
        if corpus.bridges(features[i], features[j]) < MIN_BRIDGES:
            blocked[i, j] = blocked[j, i] = True
            refresh(i)
            refresh(j)
            continue
        sums[i] += sums[j]
        sums[:, i] = sums[i]
        sizes[i] += sizes[j]
        features[i] |= features[j]
        members[i] += members[j]
        alive[j] = False
        blocked[i] = blocked[:, i] = False
        blocked[i, i] = True
        refresh(i)
        to_i = sums[:, i] / (sizes * sizes[i])
        for k in np.flatnonzero(alive):
            if k == i:
                continue
            if best[k] in (i, j):
                refresh(int(k))
            elif to_i[k] > best_mean[k]:
                best[k], best_mean[k] = i, to_i[k]
    return [members[i] for i in np.flatnonzero(alive)]


def _strength(docs: list[_Doc], vocab: dict[str, int]) -> np.ndarray:
    """1 per feature; among fewer than SMALL_CORPUS posts, 2 for a word rarer than everyday ones ("seismometer"):
    a shared "key" stays a coincidence, a shared rare word is most of the evidence so few posts give."""
    strength = np.ones(len(vocab))
    if len(docs) >= SMALL_CORPUS:
        return strength
    for doc in docs:
        for term, word in term_forms(doc.item.text):
            if term in vocab and not everyday(word):
                strength[vocab[term]] = 2.0
    return strength


def _attach(corpus: _Corpus, groups: list[list[int]]) -> list[list[int]]:
    """Each post left out joins the group its posts link to most, when that reaches the threshold over
    MIN_BRIDGES distinct features (so a subject also holds its posts that share only one word with each other)."""
    if not groups:
        return groups
    membership = np.zeros((len(groups), len(corpus.docs)))
    for index, rows in enumerate(groups):
        membership[index, rows] = 1.0
    means = (membership @ corpus.link) / membership.sum(axis=1, keepdims=True)
    features = (membership @ corpus.bridging) > 0
    grouped = {row for rows in groups for row in rows}
    attached = [list(rows) for rows in groups]
    for row in sorted(set(range(len(corpus.docs))) - grouped):
        target = int(np.argmax(means[:, row]))
        bridged = corpus.bridges(features[target], corpus.bridging[row]) >= MIN_BRIDGES
        if bridged and means[target, row] >= corpus.threshold:
            attached[target].append(row)
    return attached


def _placed_by_meaning(corpus: _Corpus, groups: list[list[int]]) -> list[list[int]]:
    """The groups with the posts their words could not place, placed by meaning: a post near in meaning to more
    of a group's posts than of any other joins it; the rest that are near each other become subjects of their
    own (each a connected set of MIN_POSTS or more). Groups found by words are never merged this way: shared words
    are the stronger evidence, and meaning only speaks for posts that have none."""
    placed = [list(rows) for rows in groups]
    grouped = {row for rows in groups for row in rows}
    loose = [row for row in range(len(corpus.docs)) if row not in grouped]
    left = []
    for row in loose:
        counts = [int(corpus.near[row, rows].sum()) for rows in groups]
        best = max(range(len(counts)), key=lambda i: counts[i], default=-1)
        if best >= 0 and counts[best] > 0 and counts.count(counts[best]) == 1:
            placed[best].append(row)
        else:
            left.append(row)
    seen: set[int] = set()
    for start in left:
        if start in seen:
            continue
        component, frontier = [], [start]
        seen.add(start)
        while frontier:
            row = frontier.pop()
            component.append(row)
            for other in left:
                if other not in seen and corpus.near[row, other]:
                    seen.add(other)
                    frontier.append(other)
        if len(component) >= MIN_POSTS:
            placed.append(sorted(component))
    return placed


def _without_excluded(corpus: _Corpus, subjects: list[_Subject], plan: InstructionPlan) -> list[_Subject]:
    """Drop the subjects of excluded topics, and the subjects that stay closer to those than to any other.

    An exclusion belongs to the subject that the posts naming it resemble most by their other terms, summed
    over those posts (so a naming post grouped elsewhere by chance does not take that subject down). The other
    subjects lose every post that names an exclusion or links to the excluded subjects more than to its own;
    then a subject linked to the excluded ones as closely as a subject's own posts are, and more than to any
    other subject, goes too (a sub-theme that never names the topic).
    """
    if not plan.exclusions or not subjects:
        return subjects
    banned = _banned(plan)
    centroids = [corpus.centroid(s.rows) for s in subjects]
    members = [set(s.rows) for s in subjects]
    naming: set[int] = set()
    core: set[int] = set()
    for needed in plan.exclusion_terms():
        affinity = np.zeros(len(subjects))
        for row, doc in enumerate(corpus.docs):
            if not set(needed) <= set(doc.terms):
                continue
            naming.add(row)
            context = tf_idf([t for t in doc.terms if t not in banned], corpus.idf)
            own = corpus.vector(row)
            others = [add(dict(c), own, -1.0) if row in m else c for c, m in zip(centroids, members, strict=True)]
            affinity += [cosine(context, c) for c in others]
        if affinity.max() > 0:
            core.add(int(np.argmax(affinity)))
    if not naming:
        return subjects
    region = naming.union(*(subjects[i].rows for i in core))
    cleaned = {
        i: [r for r in s.rows if r not in region and corpus.mean_link([r], region) <= corpus.mean_link([r], s.rows)]
        for i, s in enumerate(subjects)
        if i not in core
    }
    kept = []
    for i, rows in cleaned.items():
        near_kept = max((corpus.mean_link(rows, other) for j, other in cleaned.items() if j != i), default=0.0)
        near_excluded = corpus.mean_link(rows, region)
        if len(rows) >= MIN_POSTS and not (near_excluded >= corpus.threshold and near_excluded > near_kept):
            kept.append(_Subject(corpus, rows, subjects[i].current))
    return kept


def _apply_feedback(subjects: list[_Subject], feedback: Sequence[FeedbackSignal]) -> None:
    """Liked themes gain weight, disliked ones lose it, in proportion to their similarity."""
    for signal in feedback:
        theme = {t: float(c) for t, c in Counter(terms(f"{signal.interest} {signal.interest} {signal.title}")).items()}
        if signal.vote > 0:
            step = FEEDBACK_STEP
        elif signal.reason in (None, "off_topic"):
            step = -FEEDBACK_STEP
        else:  # "too basic", "clickbait", "seen it": about the video more than the theme
            step = -FEEDBACK_STEP / 4
        for subject in subjects:
            subject.weight *= max(0.1, 1.0 + step * cosine(subject.corpus.centroid(subject.rows), theme))


def _choose(subjects: list[_Subject]) -> list[_Subject]:
    """The heaviest current subjects, up to eight; stale ones only to reach three."""
    if not subjects:
        return []
    heaviest = max(s.weight for s in subjects)
    ranked = sorted(subjects, key=lambda s: -s.weight)
    current = [s for s in ranked if s.current and s.weight >= MIN_RELATIVE_WEIGHT * heaviest][:MAX_INTERESTS]
    stale = [s for s in ranked if s not in current]
    return current + stale[: max(0, MIN_INTERESTS - len(current))]


# -- naming ---------------------------------------------------------------------------------


@dataclass
class _Phrase:
    """A phrase the user wrote (one to three terms) and how well it stands for a subject."""

    key: Key
    written: str  # as the name reads, in sentence case
    posts: int  # posts of the subject that wrote it
    score: float
    rows: set[int] = field(default_factory=set)  # posts of the subject holding all its terms


def _noun_head(phrase: _Phrase) -> _Phrase:
    """The phrase up to its last word that names a thing ("Temperature decides" -> "Temperature"), or the phrase
    as it is when no word of it does."""
    written = phrase.written.split()
    if len(written) != len(phrase.key):  # words and terms do not pair up: keep it whole
        return phrase
    for end in range(len(written) - 1, 0, -1):
        if names_a_thing(" ".join(written[:end])):
            return replace(phrase, key=phrase.key[:end], written=" ".join(written[:end]))
    return phrase


def _written(text: str) -> dict[Key, str]:
    """The terms of a post and its runs of two or three distinct terms, each with its words as written."""
    found: dict[Key, str] = {}
    for run in word_runs(text):
        for size in (1, 2, 3):
            for window in zip(*(run[i:] for i in range(size)), strict=False):
                key = tuple(t for t, _ in window if t)
                if len(key) == size == len(set(key)):
                    found.setdefault(key, " ".join(w for _, w in window))
    return found


def _phrases(subject: _Subject, plan: InstructionPlan) -> list[_Phrase]:
    """The subject's distinctive phrases, best first, each covering posts the ones before it do not (its
    sub-themes); single terms only complete a subject that has fewer than MIN_PHRASES phrases.

    A phrase scores by the subject's posts that wrote it, times the share of all the posts writing it that are
    in the subject, times the share of the subject's posts holding its terms (central beats incidental).
    """
    corpus, banned = subject.corpus, _banned(plan)
    forms: dict[Key, Counter[str]] = {}
    holding: dict[str, set[int]] = {}
    for row in subject.rows:
        for key, form in corpus.written[row].items():
            forms.setdefault(key, Counter())[form] += 1
        for term in corpus.docs[row].terms:
            holding.setdefault(term, set()).add(row)
    everywhere = Counter(key for written in corpus.written for key in written if key in forms)
    candidates = []
    for key, counted in forms.items():
        posts = sum(counted.values())
        if posts < MIN_POSTS or (banned | corpus.habits) & set(key) or (len(key) == 1 and _no_subject(counted)):
            continue
        rows = [holding.get(t, set()) for t in key]
        coverage = sum(len(r) for r in rows) / (len(key) * len(subject.rows))
        score = posts * (posts / everywhere[key]) * coverage
        candidates.append(_Phrase(key, _title(counted), posts, score, set.intersection(*rows)))
    if not candidates:  # posts grouped by meaning alone share no word: their most central ones stand for them
        candidates = _central_words(subject, forms, banned | corpus.habits)
    chosen = _cover([p for p in candidates if len(p.key) > 1], candidates, [], MAX_PHRASES)
    return _cover([p for p in candidates if len(p.key) == 1], candidates, chosen, MIN_PHRASES)


def _central_words(subject: _Subject, forms: dict[Key, Counter[str]], banned: set[str]) -> list[_Phrase]:
    """Single words of the subject's posts scored by how close their meaning is to the words of its other posts
    ("telescope" among "Saturn", "Jupiter", "shooting stars"): what a subject found by meaning is about."""
    corpus = subject.corpus
    found: dict[str, tuple[str, int]] = {}  # term -> (word as written, row)
    for row in subject.rows:
        for term, word in term_forms(corpus.docs[row].item.text):
            if word.isalpha() and not common(word) and term not in banned and (term,) in forms:
                found.setdefault(term, (word, row))
    if len(found) < 2:
        return []
    keys = list(found)
    vectors = embed([found[t][0].lower() for t in keys])
    similar = vectors @ vectors.T
    rows = np.array([found[t][1] for t in keys])
    candidates = []
    for i, term in enumerate(keys):
        others = rows != rows[i]
        if not others.any():
            continue
        score = float(similar[i, others].mean())
        candidates.append(_Phrase((term,), _title(forms[(term,)]), 1, score, {int(rows[i])}))
    return candidates


def _no_subject(forms: Counter[str]) -> bool:
    """A word that is no subject on its own: a quantity ("10x", "40km", "zero", "dozen") or one every text uses
    ("right", "time")."""
    word = forms.most_common(1)[0][0].lower()
    return word[:1].isdigit() or word.rstrip("s") in NUMBER_WORDS or common(word)


def _cover(ranked: list[_Phrase], candidates: list[_Phrase], chosen: list[_Phrase], limit: int) -> list[_Phrase]:
    """Add the best phrases that share no term with those chosen and hold posts they do not, up to `limit`."""
    chosen = list(chosen)
    covered: set[int] = set()
    for phrase in chosen:
        covered |= phrase.rows
    # of phrases that stand for the subject equally well, the rarer one says more ("energy" over "data")
    for candidate in sorted(ranked, key=lambda p: (-p.score, zipf_frequency(p.written, "en"), p.written.lower())):
        if len(chosen) >= limit:
            break
        # the longer phrase when the user always wrote this one inside it ("tide pool ecology")
        longer = [p for p in candidates if set(candidate.key) < set(p.key) and p.posts >= candidate.posts]
        phrase = max(longer, key=lambda p: (len(p.key), p.score), default=candidate)
        if any(set(phrase.key) & set(c.key) for c in chosen) or (chosen and not phrase.rows - covered):
            continue
        chosen.append(phrase)
        covered |= phrase.rows
    return chosen


def _banned(plan: InstructionPlan) -> set[str]:
    return {t for words in plan.exclusion_terms() for t in words}


def _title(forms: Counter[str]) -> str:
    """The most common written form in sentence case, as a name reads in a list ("tide pools" -> "Tide pools",
    "gut-brain axis" -> "Gut-brain axis", "JWST images" and "iPhone repairs" as written)."""
    first, *rest = forms.most_common(1)[0][0].split()
    return " ".join([first[:1].upper() + first[1:] if _LOWER_WORD.fullmatch(first) else first, *rest])


def _description(
    subject: _Subject, phrases: Sequence[_Phrase], name: _Phrase, plan: InstructionPlan, newest: datetime | None
) -> str:
    """One sentence on what the name does not say: how many posts and how recent, and the other sub-themes they
    touch on ("Your 6 posts on it, all from your last 60 days of posting (the latest on 3 Nov 2026), also touch on
    crumb and hydration."). Recent is counted back from the archive's newest post, which may be months before
    today. Words every text uses ("thing", "going") say nothing of a subject and are left out."""
    names = proper_nouns(subject.corpus.docs[row].item.text for row in subject.rows)
    others = [
        _plain(p.written, names)
        for p in phrases
        if not set(p.key) & set(name.key) and not _says_little(p.written) and names_a_thing(p.written)
    ]
    said = {t for p in phrases for t in p.key} | _banned(plan)
    surface = _surface(subject)  # terms only ever written as hashtags have none and are left out
    for term in subject.corpus.characteristic(subject.rows, MAX_KEYWORDS, min_posts=MIN_POSTS):
        word = surface.get(term, "")
        if len(others) < MAX_DESCRIBED and term not in said and word and not _says_little(word) and names_a_thing(word):
            others.append(_plain(word, names))
    items = [subject.corpus.docs[r].item for r in subject.rows]
    likes = sum(1 for i in items if i.kind == "like")
    kinds = "likes" if likes == len(items) else "posts and likes" if likes else "posts"
    counted = f"{len(items)} {kinds}" if len(items) > 1 else kinds.split()[0].rstrip("s")
    dates = [i.created_at for i in items if i.created_at is not None]
    when = ""
    if dates and newest is not None:
        recent = sum(1 for d in dates if newest - d <= RECENT)
        latest = f"the latest on {max(dates):%-d %b %Y}"
        if recent == len(items):
            when = f", all from your last 60 days of posting ({latest})"
        elif recent:
            when = f", {recent} of them from your last 60 days of posting ({latest})"
        else:
            when = f", {latest}"
    if not others:
        return f"Your {counted} on it{when}."
    listed = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
    return f"Your {counted} on it{when}, also {'touch' if len(items) > 1 else 'touches'} on {listed}."


def without_theme(description: str, name: str) -> str:
    """The description without the sub-themes it lists that say no more than `name`: an interest renamed after one
    of them ("Glaze" for posts that also touch on crazing and glaze), or after what one abbreviates ("Remotely
    operated vehicles" for posts that also touch on tethers and ROVs), would say its own name twice."""
    found = _ALSO_TOUCH.search(description)
    if found is None:
        return description
    listed = re.split(r", | and ", found["listed"])
    kept = [theme for theme in listed if not holds_terms(name, terms(theme))]
    if len(kept) == len(listed):
        return description
    if not kept:
        return description[: found.start()] + "."
    joined = kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"
    return f"{description[: found.start('listed')]}{joined}."


def _says_little(written: str) -> bool:
    """A single everyday word ("thing", "going") or a quantity ("10x", "dozens"): no sub-theme of anything."""
    word = written.lower()
    return everyday(word) or word[:1].isdigit() or word.rstrip("s") in NUMBER_WORDS


def _keywords(subject: _Subject, phrases: Sequence[_Phrase], plan: InstructionPlan) -> list[str]:
    """The subject's phrases first (one per sub-theme: they become the search queries), then its terms."""
    banned = _banned(plan)
    surface = _surface(subject)
    keywords = [p.written.lower() for p in phrases]
    for term in subject.corpus.characteristic(subject.rows, MAX_KEYWORDS * 2):
        if term not in banned:
            keywords.append(surface.get(term, term).lower())
    return list(dict.fromkeys(keywords))[:MAX_KEYWORDS]


def _surface(subject: _Subject) -> dict[str, str]:
    """The most common written form of each of the subject's terms, in lower case unless it was ever written as
    an acronym ("JWST")."""
    forms: dict[str, Counter[str]] = {}
    acronyms: set[str] = set()
    for row in subject.rows:
        for key, word in subject.corpus.written[row].items():
            if len(key) == 1:
                forms.setdefault(key[0], Counter())[word.lower()] += 1
                if _acronym(word):
                    acronyms.add(key[0])
    surface = {term: counts.most_common(1)[0][0] for term, counts in forms.items()}
    return {term: word.upper() if term in acronyms else word for term, word in surface.items()}


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _plain(text: str, names: set[str]) -> str:
    """A phrase as it reads inside a sentence: lower case, acronyms and names (`proper_nouns`' terms) kept
    ("transit photometry", "JWST", "Lisbon")."""
    return " ".join(
        w if _acronym(w) else w[:1].upper() + w[1:].lower() if stem(w.lower()) in names else w.lower()
        for w in text.split()
    )


def _evidence(subject: _Subject) -> list[int]:
    """2-5 posts central to the subject, weighted toward recent ones, never two saying the same thing."""
    corpus = subject.corpus
    centroid = corpus.centroid(subject.rows)

    def centrality(row: int) -> float:
        doc = corpus.docs[row]
        return cosine(centroid, dict.fromkeys(doc.terms, 1.0)) * (0.5 + doc.item.weight)

    chosen: list[int] = []
    for row in sorted(subject.rows, key=lambda r: -centrality(r)):
        vector = dict.fromkeys(corpus.docs[row].terms, 1.0)
        if all(cosine(vector, dict.fromkeys(corpus.docs[c].terms, 1.0)) < NEAR_DUPLICATE for c in chosen):
            chosen.append(row)
        if len(chosen) == MAX_EVIDENCE:
            break
    if len(chosen) < MIN_POSTS:  # near-duplicates only: still two posts
        chosen += [r for r in subject.rows if r not in chosen][: MIN_POSTS - len(chosen)]
    return chosen
