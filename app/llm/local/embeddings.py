"""Sentence embeddings for the local engine: meaning, offline, from weights installed with the package.

The model is WordLlama's 256-dimensional token table (`l2_supercat`), which its wheel
ships with the tokenizer: a text is the mean of its token vectors, unit length. It is
read once per process straight from the installed package (never through
`WordLlama.load()`, which may try a download and configures logging on import), so a
run needs no network and no cache directory. Static token embeddings are coarse; the
engine always pairs them with lexical scores (BM25, TF-IDF) rather than trusting them
alone.

`embed_collection` adds the two corrections of smooth inverse frequency weighting
(Arora, Liang and Ma, "A simple but tough-to-beat baseline for sentence embeddings",
2017): tokens frequent across the collection weigh less, and the direction every text
of the collection shares (a person's habitual phrasing, a channel's catchphrases) is
removed, so what remains is what sets the texts apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from safetensors.numpy import load_file
from scipy import sparse
from tokenizers import Tokenizer

from app.llm.local.packaged import package_dir

DIM = 256
_PACKAGE = "wordllama"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TENSOR = "embedding.weight"
SIF_A = 1e-3  # smooth inverse frequency: weight a / (a + p(token))
_CACHE_SIZE = 1 << 15

Matrix = np.ndarray


class EmbeddingsUnavailable(RuntimeError):
    """The embedding weights are not installed (the `wordllama` package is missing or incomplete)."""


@dataclass(frozen=True)
class _Model:
    tokenizer: Tokenizer
    table: np.ndarray  # vocabulary x DIM, float32


@lru_cache(maxsize=1)
def _model() -> _Model:
    root = package_dir(_PACKAGE)
    if root is None:
        raise EmbeddingsUnavailable(f"the {_PACKAGE!r} package is not installed")
    tokenizer_path, weights_path = root / _TOKENIZER, root / _WEIGHTS
    if not tokenizer_path.is_file() or not weights_path.is_file():
        raise EmbeddingsUnavailable(f"embedding weights missing under {root}")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    table = np.ascontiguousarray(load_file(str(weights_path))[_TENSOR], dtype=np.float32)
    return _Model(tokenizer=tokenizer, table=table)


def token_ids(texts: Sequence[str]) -> list[list[int]]:
    """The model's token ids of each text (lower-cased: captions and posts are cased at random)."""
    model = _model()
    encoded = model.tokenizer.encode_batch([t.lower() for t in texts], add_special_tokens=False)
    top = model.table.shape[0] - 1
    return [[min(i, top) for i in e.ids] for e in encoded]


def embed(texts: Sequence[str]) -> Matrix:
    """Unit vectors, one row per text (a row of zeros for a text without tokens); cached per text."""
    missing = [t for t in dict.fromkeys(texts) if t not in _cache]
    if missing:
        for text, row in zip(missing, _pool(token_ids(missing), None), strict=True):
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[text] = row
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_cache[t] for t in texts])


_cache: dict[str, np.ndarray] = {}


def embed_collection(texts: Sequence[str], *, remove_common: bool = True) -> Matrix:
    """Unit vectors of texts read as one collection: frequent tokens down-weighted, the shared direction removed."""
    ids = token_ids(texts)
    counts: Counter[int] = Counter(i for row in ids for i in row)
    total = max(1, sum(counts.values()))
    weights = {token: SIF_A / (SIF_A + n / total) for token, n in counts.items()}
    vectors = _pool(ids, weights)
    if remove_common and len(texts) > 2:
        _, eigenvectors = np.linalg.eigh(vectors.T @ vectors)  # ascending: the last is the first principal axis
        common = eigenvectors[:, -1]
        vectors = vectors - np.outer(vectors @ common, common)
        vectors = unit(vectors)
    return vectors


def _pool(ids: list[list[int]], weights: dict[int, float] | None) -> Matrix:
    """Weighted mean of token vectors per text, unit length: one sparse (texts x vocabulary) product."""
    table = _model().table
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
    if weights is None:
        values = np.ones(len(flat), dtype=np.float32)
    else:
        values = np.fromiter((weights[i] for i in flat), dtype=np.float32, count=len(flat))
    pointers = np.concatenate([[0], np.cumsum(lengths)])
    counts = sparse.csr_matrix((values, flat, pointers), shape=(len(ids), table.shape[0]))
    return unit(np.asarray(counts @ table, dtype=np.float32))


def unit(vectors: Matrix) -> Matrix:
    """Vectors scaled to unit length along their last axis (a zero vector stays zero), as float32."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)
