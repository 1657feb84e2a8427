"""Sentence embeddings of the local engine, token vectors and the sentence encoder: installed weights, offline,
meaning over shared words."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from app.llm.local import embeddings, encoder
from app.llm.local.embeddings import DIM, embed, embed_collection


def test_texts_about_one_thing_are_closer_than_texts_about_another() -> None:
    vectors = embed(
        [
            "foraging wild mushrooms in the forest",
            "fungi sprout under the trees every autumn",
            "cheddaring curds in a vat",
        ]
    )
    assert vectors.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.1


def test_an_empty_text_is_a_zero_row_and_nothing_raises() -> None:
    vectors = embed(["", "a sentence"])
    assert not vectors[0].any() and vectors[1].any()
    assert embed([]).shape == (0, DIM)


def test_repeated_texts_come_from_the_cache() -> None:
    first = embed(["the cache keeps this text"])
    assert "the cache keeps this text" in embeddings._cache
    assert np.array_equal(first, embed(["the cache keeps this text"]))


def test_a_collection_loses_the_phrasing_all_its_texts_share() -> None:
    texts = [
        f"my notes from this week: {topic}"
        for topic in ("mushroom foraging", "cheddaring", "brush lettering", "sourdough")
    ]
    plain = embed(texts) @ embed(texts).T
    shared_removed = embed_collection(texts)
    collected = shared_removed @ shared_removed.T
    off_diagonal = ~np.eye(len(texts), dtype=bool)
    assert collected[off_diagonal].mean() < plain[off_diagonal].mean() - 0.2


@pytest.mark.parametrize(
    ("module", "error"),
    [(embeddings, embeddings.EmbeddingsUnavailable), (encoder, encoder.EncoderUnavailable)],
    ids=["token vectors", "sentence encoder"],
)
def test_missing_weights_give_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, error: type[Exception]
) -> None:
    monkeypatch.setattr(module, "_PACKAGE", "no_such_model_package")
    module._model.cache_clear()
    try:
        with pytest.raises(error, match="not installed"):
            module._model()
    finally:
        monkeypatch.undo()
        module._model.cache_clear()
