"""Sparse term vectors (dicts) and the few operations the local engine needs on them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

Vector = dict[str, float]


def idf_table(documents: Iterable[Iterable[str]], *, soft: bool = False) -> Vector:
    """Inverse document frequency of every term seen, over sets of terms per document.

    The plain form drops toward zero for a term in every document (right for finding
    what sets documents apart); the soft form, log(1 + N/df), keeps such a term at
    log 2 (right when every document may share the term that matters, as when all
    candidates of a search are about the one thing the user likes).
    """
    df: Counter[str] = Counter()
    count = 0
    for document in documents:
        count += 1
        df.update(set(document))
    if soft:
        return {term: math.log(1 + count / n) for term, n in df.items()}
    return {term: math.log((count + 1) / (n + 0.5)) for term, n in df.items()}


def tf_idf(tokens: Iterable[str], idf: Mapping[str, float], *, default_idf: float = 1.0) -> Vector:
    """Sublinear term frequency times idf (terms unknown to `idf` get `default_idf`)."""
    counts = Counter(tokens)
    return {t: (1.0 + math.log(c)) * idf.get(t, default_idf) for t, c in counts.items()}


def add(target: Vector, other: Mapping[str, float], scale: float = 1.0) -> Vector:
    """target += scale * other, in place; returns target."""
    for term, value in other.items():
        target[term] = target.get(term, 0.0) + scale * value
    return target


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity; 0.0 when either vector is empty."""
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    if dot == 0.0:
        return 0.0
    return dot / (norm(a) * norm(b))


def top_terms(vector: Mapping[str, float], count: int) -> list[str]:
    """The `count` heaviest terms, ties broken alphabetically so results are stable."""
    return [t for t, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]
