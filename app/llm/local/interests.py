"""Interests from engagement: clusters of posts that keep coming back to the same specific things.

Posts become TF-IDF vectors over the terms the user used at least twice. Two posts
are similar only when they share two or more terms: one shared everyday word ("game",
"pizza") is a coincidence, two ("hash join", "kerning ... letterspacing") are a
subject. Average-linkage clustering of that similarity finds tight subjects; posts in
no subject are noise. Subjects are then compared through term co-occurrence (each
post smoothed by the words its words appear with), which relates "zugzwang" posts to
"king and pawn" posts: near-duplicates are merged, an exclusion spreads from the
subjects that name it to their nearest neighbours, and when more than eight current
subjects remain the closest ones are merged, so no subject is simply dropped.

A subject's weight is the recency weight of its posts (the engagement stage decays
it), adjusted by feedback; subjects far lighter than the heaviest are stale and are
used only to reach the minimum of three.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from app.llm.local.instructions import InstructionPlan
from app.llm.local.text import term_forms, terms
from app.llm.local.vectors import Vector, add, cosine, idf_table, tf_idf, top_terms
from app.schemas import Engagement, FeedbackSignal, Interest

MAX_INTERESTS = 8
MIN_INTERESTS = 3
MAX_DOCS = 800  # the heaviest posts considered; keeps clustering fast on huge archives
CLUSTER_DISTANCE = 0.9  # average-linkage cut for one subject
MIN_SHARED_TERMS = 2
DUPLICATE_SIMILARITY = 0.6  # subjects this close (co-occurrence similarity) are one subject
NEIGHBOUR_SIMILARITY = 0.2  # an exclusion spreads only to neighbours at least this close
MIN_RELATIVE_WEIGHT = 0.08  # a subject lighter than this share of the heaviest is not current
FEEDBACK_STEP = 0.5
MAX_KEYWORDS = 14


@dataclass
class _Doc:
    item: Engagement
    terms: list[str]


@dataclass
class _Subject:
    rows: list[int]
    phrases: list[str] = field(default_factory=list)  # names of the merged parts, heaviest first
    weight: float = 0.0


@dataclass
class _Corpus:
    docs: list[_Doc]
    idf: Vector
    related: np.ndarray  # co-occurrence-smoothed similarity of docs
    df: Counter[str]  # in how many posts each term appears

    def similarities(self, subjects: Sequence[_Subject]) -> np.ndarray:
        """Mean co-occurrence similarity between the posts of every pair of subjects (average linkage)."""
        membership = np.zeros((len(subjects), len(self.docs)))
        for index, subject in enumerate(subjects):
            membership[index, subject.rows] = 1.0 / len(subject.rows)
        return np.asarray(membership @ self.related @ membership.T)

    def characteristic(self, subject: _Subject, count: int) -> list[str]:
        """Terms that name a subject: in many of its posts and not in all of the user's (log(1 + N/df) never
        vanishes, so a user who posts about one thing only still gets that thing's name)."""
        inside = Counter(t for row in subject.rows for t in set(self.docs[row].terms))
        scores = {t: n * math.log(1 + len(self.docs) / self.df[t]) for t, n in inside.items()}
        return top_terms(scores, count)

    def centroid(self, subject: _Subject) -> Vector:
        vector: Vector = {}
        for row in subject.rows:
            add(vector, tf_idf(self.docs[row].terms, self.idf))
        return vector


def infer_interests(
    engagement: Sequence[Engagement], plan: InstructionPlan, feedback: Sequence[FeedbackSignal]
) -> list[Interest]:
    """Up to eight current interests, heaviest first, each with 2-5 evidence posts."""
    built = _subjects(_documents(engagement))
    if built is None:
        return []
    corpus, subjects = built
    surface = _surface_forms(corpus.docs)
    for subject in subjects:
        subject.weight = sum(corpus.docs[r].item.weight for r in subject.rows)
        subject.phrases = [_phrase(corpus, subject, surface)]
    subjects = _merge(corpus, subjects, until=None)
    subjects = _without_excluded(corpus, subjects, plan)
    _apply_feedback(corpus, subjects, feedback)
    subjects = _choose(corpus, subjects)
    if not subjects:
        return []
    heaviest = max(s.weight for s in subjects)
    interests = []
    used: set[str] = set()
    for subject in subjects:
        name = _unique_name(corpus, subject, surface, used)
        used.add(name.lower())
        keywords = list(
            dict.fromkeys(
                [*subject.phrases, *(surface.get(t, t) for t in corpus.characteristic(subject, MAX_KEYWORDS))]
            )
        )
        interests.append(
            Interest(
                name=name,
                description=_description(corpus, subject, keywords),
                weight=round(subject.weight / heaviest, 4),
                evidence_tweet_ids=[corpus.docs[r].item.tweet_id for r in _evidence(corpus, subject)],
                keywords=keywords[:MAX_KEYWORDS],
            )
        )
    return interests


def _documents(engagement: Sequence[Engagement]) -> list[_Doc]:
    """Posts with at least two content terms (drops "lol", emoji-only and bare links)."""
    docs = [_Doc(e, terms(e.text)) for e in engagement if e.text.strip()]
    docs = [d for d in docs if len(set(d.terms)) >= 2]
    docs.sort(key=lambda d: -d.item.weight)
    return docs[:MAX_DOCS]


def _subjects(docs: list[_Doc]) -> tuple[_Corpus, list[_Subject]] | None:
    """Tight clusters of at least two posts, with the corpus they were found in."""
    df = Counter(t for d in docs for t in set(d.terms))
    vocab = {t: i for i, t in enumerate(sorted(t for t, n in df.items() if n >= 2))}
    if len(docs) < 2 or not vocab:
        return None
    idf = idf_table(d.terms for d in docs)
    matrix = np.zeros((len(docs), len(vocab)))
    for row, doc in enumerate(docs):
        for term, value in tf_idf(doc.terms, idf).items():
            if term in vocab:
                matrix[row, vocab[term]] = value
    keep = np.linalg.norm(matrix, axis=1) > 0
    docs = [d for d, k in zip(docs, keep, strict=True) if k]
    matrix = matrix[keep]
    if len(docs) < 2:
        return None
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    similarity = matrix @ matrix.T
    present = (matrix > 0).astype(np.int32)
    strict = np.where(present @ present.T >= MIN_SHARED_TERMS, similarity, 0.0)
    members: dict[int, list[int]] = {}
    for row, label in enumerate(_cut(strict, CLUSTER_DISTANCE)):
        members.setdefault(label, []).append(row)
    subjects = [_Subject(rows) for rows in members.values() if len(rows) >= 2]
    if not subjects:
        return None
    doc_frequency = Counter(t for d in docs for t in set(d.terms))
    return _Corpus(docs, idf, _co_occurrence_similarity(matrix), doc_frequency), subjects


def _co_occurrence_similarity(matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of posts after smoothing each through the term co-occurrence of all posts (X XᵀX)."""
    smoothed = matrix @ (matrix.T @ matrix)
    smoothed /= np.maximum(np.linalg.norm(smoothed, axis=1, keepdims=True), 1e-12)
    return np.asarray(smoothed @ smoothed.T)


def _cut(similarity: np.ndarray, distance: float) -> list[int]:
    """Flat clusters of an average-linkage tree over 1 - similarity, cut at `distance`."""
    distances = np.clip(1.0 - similarity, 0.0, 1.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    return [int(label) for label in fcluster(tree, t=distance, criterion="distance")]


def _merge(corpus: _Corpus, subjects: list[_Subject], *, until: int | None) -> list[_Subject]:
    """Merge the closest pair again and again: while it is a near-duplicate, or while more than `until` remain."""
    if len(subjects) < 2:
        return list(subjects)
    merged = list(subjects)
    similarity = corpus.similarities(merged)
    np.fill_diagonal(similarity, -np.inf)
    sizes = np.array([len(s.rows) for s in merged], dtype=float)
    alive = list(range(len(merged)))
    while len(alive) > 1:
        block = similarity[np.ix_(alive, alive)]
        a, b = np.unravel_index(int(np.argmax(block)), block.shape)
        if block[a, b] < DUPLICATE_SIMILARITY and (until is None or len(alive) <= until):
            break
        i, j = alive[a], alive[b]
        first, second = sorted((merged[i], merged[j]), key=lambda s: -s.weight)
        merged[i] = _Subject(
            rows=first.rows + second.rows,
            phrases=list(dict.fromkeys(first.phrases + second.phrases)),
            weight=first.weight + second.weight,
        )
        # the mean over the union is the size-weighted mean of the two means
        similarity[i] = (sizes[i] * similarity[i] + sizes[j] * similarity[j]) / (sizes[i] + sizes[j])
        similarity[:, i] = similarity[i]
        similarity[i, i] = -np.inf
        sizes[i] += sizes[j]
        alive.remove(j)
    return [merged[i] for i in alive]


def _without_excluded(corpus: _Corpus, subjects: list[_Subject], plan: InstructionPlan) -> list[_Subject]:
    """Drop subjects whose posts name an excluded topic, then, repeatedly, those whose nearest subject was dropped."""
    if not plan.exclusions:
        return subjects
    naming = [r for r, d in enumerate(corpus.docs) if plan.excludes(set(d.terms))]
    if not naming:
        return subjects
    naming_set = set(naming)
    similarity = corpus.similarities([*subjects, _Subject(naming)])
    np.fill_diagonal(similarity, -np.inf)
    dropped = {len(subjects)} | {i for i, s in enumerate(subjects) if naming_set.intersection(s.rows)}
    changed = True
    while changed:
        changed = False
        for i in range(len(subjects)):
            if i in dropped:
                continue
            kept = [j for j in range(len(subjects)) if j not in dropped and j != i]
            near_kept = max((similarity[i, j] for j in kept), default=0.0)
            near_dropped = max(similarity[i, j] for j in dropped)
            if near_dropped >= NEIGHBOUR_SIMILARITY and near_dropped > near_kept:
                dropped.add(i)
                changed = True
    return [s for i, s in enumerate(subjects) if i not in dropped]


def _apply_feedback(corpus: _Corpus, subjects: list[_Subject], feedback: Sequence[FeedbackSignal]) -> None:
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
            subject.weight *= max(0.1, 1.0 + step * cosine(corpus.centroid(subject), theme))


def _choose(corpus: _Corpus, subjects: list[_Subject]) -> list[_Subject]:
    """Current subjects merged down to eight; stale ones only to reach the minimum of three."""
    if not subjects:
        return []
    heaviest = max(s.weight for s in subjects)
    current = [s for s in subjects if s.weight >= MIN_RELATIVE_WEIGHT * heaviest]
    stale = sorted((s for s in subjects if s not in current), key=lambda s: -s.weight)
    chosen = _merge(corpus, current, until=MAX_INTERESTS)
    chosen.extend(stale[: max(0, MIN_INTERESTS - len(chosen))])
    return sorted(chosen, key=lambda s: -s.weight)


def _surface_forms(docs: list[_Doc]) -> dict[str, str]:
    """The most common written form of each term and of each adjacent term pair, for readable names."""
    forms: dict[str, Counter[str]] = {}
    for doc in docs:
        seq = term_forms(doc.item.text)
        for term, word in seq:
            forms.setdefault(term, Counter())[word] += 1
        for (a, wa), (b, wb) in itertools.pairwise(seq):
            forms.setdefault(f"{a} {b}", Counter())[f"{wa} {wb}"] += 1
    return {key: counts.most_common(1)[0][0] for key, counts in forms.items()}


def _phrase(corpus: _Corpus, subject: _Subject, surface: dict[str, str]) -> str:
    """The subject's most repeated two-word phrase among its top terms, else its top two terms."""
    ranked = corpus.characteristic(subject, 8)
    pairs: Counter[tuple[str, str]] = Counter()
    for row in subject.rows:
        seq = corpus.docs[row].terms
        pairs.update({(a, b) for a, b in itertools.pairwise(seq) if a != b})
    candidates = [(n, p) for p, n in pairs.items() if n >= 2 and p[0] in ranked and p[1] in ranked]
    if candidates:
        _, (a, b) = max(candidates, key=lambda np_: (np_[0], -ranked.index(np_[1][0]) - ranked.index(np_[1][1])))
        return surface.get(f"{a} {b}", f"{surface.get(a, a)} {surface.get(b, b)}")
    return " & ".join(surface.get(t, t) for t in ranked[:2])


def _unique_name(corpus: _Corpus, subject: _Subject, surface: dict[str, str], used: set[str]) -> str:
    name = ", ".join(subject.phrases[:2])
    for extra in corpus.characteristic(subject, 6):
        if name.lower() not in used:
            break
        name = f"{name}, {surface.get(extra, extra)}"
    return name[:1].upper() + name[1:]


def _description(corpus: _Corpus, subject: _Subject, keywords: list[str]) -> str:
    dates = [d for r in subject.rows if (d := corpus.docs[r].item.created_at) is not None]
    latest = f", most recently on {max(dates):%Y-%m-%d}" if dates else ""
    return f"{len(subject.rows)} of your posts and likes are about {', '.join(keywords[:3])}{latest}."


def _evidence(corpus: _Corpus, subject: _Subject) -> list[int]:
    """2-5 posts most central to the subject, weighted toward recent ones."""
    centroid = corpus.centroid(subject)

    def centrality(row: int) -> float:
        doc = corpus.docs[row]
        return cosine(centroid, dict.fromkeys(doc.terms, 1.0)) * (0.5 + doc.item.weight)

    return sorted(subject.rows, key=lambda r: -centrality(r))[:5]
