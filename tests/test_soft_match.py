"""The soft cosine of two short texts' words: near in meaning without a word in common."""

from __future__ import annotations

import numpy as np

from app.llm.local.soft_match import content_words, soft_cosine


def test_content_words_keep_what_a_text_is_about_once_in_lower_case() -> None:
    words = content_words("The Hive, the hive and the QUEEN: 3 frames of brood, really")
    assert words == ["hive", "queen", "frames", "brood"]  # no numbers, no words every text uses, no repeats


def test_texts_on_one_subject_in_other_words_are_nearer_than_texts_on_two() -> None:
    hives = content_words("Inspected the hive: the queen is laying, brood on five frames")
    swarm = content_words("How a honeybee colony decides where to swarm")
    engine = content_words("Changing the oil of a motorcycle engine")
    assert not set(hives) & set(swarm)
    near = soft_cosine([swarm, engine], [hives])
    assert near.shape == (2, 1)
    assert near[0, 0] > near[1, 0] + 0.05


def test_the_match_is_the_same_both_ways_and_a_text_matches_itself_fully() -> None:
    texts = [content_words("Sourdough crumb and hydration"), content_words("Telescope mirrors and eyepieces")]
    forward, backward = soft_cosine(texts, texts[::-1]), soft_cosine(texts[::-1], texts)
    assert np.allclose(forward, backward.T, atol=1e-5)
    assert np.allclose(np.diag(soft_cosine(texts, texts)), 1.0, atol=1e-4)


def test_a_text_with_no_content_words_is_near_nothing() -> None:
    near = soft_cosine([[], content_words("Saturn's rings")], [content_words("Jupiter's moons")])
    assert near[0, 0] == 0.0 and near[1, 0] > 0.0
    assert soft_cosine([], [content_words("Jupiter")]).shape == (0, 1)
