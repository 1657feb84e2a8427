"""The sentence encoder: a small transformer's meaning of short texts, installed weights, offline."""

from __future__ import annotations

import numpy as np

from app.llm.local import encoder
from app.llm.local.embeddings import embed
from app.llm.local.encoder import DIM, encode
from app.llm.local.fields import fields, nearest_field


def test_short_texts_about_one_subject_are_closer_than_averaged_token_vectors_can_tell() -> None:
    texts = [
        "my violin sounds scratchy whenever I press too hard near the bridge",
        "bowing pressure and speed decide the tone of a string instrument",
        "my toddler ate a crayon and then asked for a second one",
    ]

    def gap(vectors: np.ndarray) -> float:  # same subject minus another subject
        return float(vectors[0] @ vectors[1] - vectors[0] @ vectors[2])

    meaning = encode(texts)
    assert meaning.shape == (3, DIM) and np.allclose(np.linalg.norm(meaning, axis=1), 1.0, atol=1e-5)
    assert gap(meaning) > 0.2
    assert gap(meaning) > gap(embed(texts))


def test_an_empty_text_is_a_zero_row_and_repeated_texts_come_from_the_cache() -> None:
    vectors = encode(["", "  ", "a sentence about moss"])
    assert not vectors[0].any() and not vectors[1].any() and vectors[2].any()
    assert encode([]).shape == (0, DIM)
    assert "a sentence about moss" in encoder._cache
    assert np.array_equal(vectors[2], encode(["a sentence about moss"])[0])


def test_a_text_longer_than_the_encoder_reads_is_cut_not_refused() -> None:
    long = " ".join(["the kettle whistles once the water boils"] * 200)
    assert np.isclose(np.linalg.norm(encode([long])[0]), 1.0, atol=1e-5)


def test_the_nearest_field_of_study_to_a_text_is_the_one_it_is_about() -> None:
    assert len(fields()) > 200 and len(set(fields())) == len(fields())
    field, match = nearest_field(encode(["why interest rates, money supply and central banks move prices"])[0])
    assert field.endswith("economics") or field == "Economics", field
    assert 0.0 < match <= 1.0
