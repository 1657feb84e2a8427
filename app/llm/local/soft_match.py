"""How near two short texts are in meaning when they share no word: a soft cosine over word vectors.

A sentence embedding of a post or a title is mostly noise: a dozen words, averaged, land
near every other dozen. The vectors of the words themselves are not: each word of one
text is matched with its closest word of the other (the static embeddings' cosine), and
the mean of those best matches, taken both ways, is how near the texts are (a soft cosine
in the manner of BERTScore). "which cheap telescope shows Jupiter's bands" and "Saturn's
rings glitter in the probe's new photos" share no word, yet each word finds a close one
across. Words every text uses ("time", "really") are left out: they match everything.
Costs one word-by-word product over the texts' vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.llm.local.embeddings import embed
from app.text import common, term_forms


def content_words(text: str) -> list[str]:
    """The words of a text that can say what it is about: alphabetic, not among the commonest, lower case, once."""
    return list(dict.fromkeys(w.lower() for _, w in term_forms(text) if w.isalpha() and not common(w)))


def soft_cosine(rows: Sequence[Sequence[str]], cols: Sequence[Sequence[str]]) -> np.ndarray:
    """rows x cols: for each pair of word lists, the mean best match of each one's words in the other, averaged
    over both directions (0 where either list is empty)."""
    there, back = _covers(rows, cols)
    return np.asarray((there + back.T) / 2, dtype=np.float32)


def covered(rows: Sequence[Sequence[str]], cols: Sequence[Sequence[str]]) -> np.ndarray:
    """rows x cols: how well each row's words find a close word in each col, one way (the mean of their best
    matches): "woodworking" is well covered by posts on chisels and wood movement, whatever else they say."""
    return _covers(rows, cols)[0]


def _covers(rows: Sequence[Sequence[str]], cols: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Both one-way matches: rows in cols (rows x cols) and cols in rows (cols x rows), 0 for an empty list."""
    vocab = sorted({w for ws in [*rows, *cols] for w in ws})
    there = np.zeros((len(rows), len(cols)), dtype=np.float32)
    back = np.zeros((len(cols), len(rows)), dtype=np.float32)
    if not vocab or not rows or not cols:
        return there, back
    index = {w: i for i, w in enumerate(vocab)}
    vectors = embed(vocab)
    similar = vectors @ vectors.T
    best_rows, mean_rows = _best_and_mean(rows, index, similar)
    best_cols, mean_cols = _best_and_mean(cols, index, similar)
    empty = np.array([not ws for ws in rows])[:, None] | np.array([not ws for ws in cols])[None, :]
    there, back = mean_rows @ best_cols, mean_cols @ best_rows
    there[empty], back[empty.T] = 0.0, 0.0
    return there, back


def _best_and_mean(
    texts: Sequence[Sequence[str]], index: dict[str, int], similar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per text: each vocabulary word's best match among its words (vocab x texts), and the averaging row that
    takes the mean over its own words (texts x vocab)."""
    best = np.zeros((len(index), len(texts)), dtype=np.float32)
    mean = np.zeros((len(texts), len(index)), dtype=np.float32)
    for j, words in enumerate(texts):
        if words:
            cols = [index[w] for w in words]
            best[:, j] = similar[:, cols].max(axis=1)
            mean[j, cols] = 1.0 / len(cols)
    return best, mean
