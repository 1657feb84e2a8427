"""The quality bar on the dev evaluation set: every persona, the product's feed rules, the set's own scorer."""

from __future__ import annotations

import pytest

from app.pipeline.diversity import interest_cap
from tests.eval_harness import DEV_SET, FEED_SIZE, labels, run_persona

PERSONAS = ("lena", "omar", "rosa")


def test_the_dev_set_is_present() -> None:
    assert (DEV_SET / "labels.json").is_file(), f"evaluation set missing at {DEV_SET}"
    assert set(PERSONAS) <= set(labels(DEV_SET)["personas"])


@pytest.mark.parametrize("persona", PERSONAS)
def test_dev_persona_meets_the_quality_bar(persona: str) -> None:
    run = run_persona(persona)
    m = run.metrics
    # The feed is full: the per-interest cap grows when interests are too few to fill it under the usual three.
    assert m["items"] == min(FEED_SIZE, interest_cap(FEED_SIZE, len(run.interests)) * len(run.interests)), run.skipped
    assert m["p@10"] >= 0.9, m
    assert m["clip_hit"] >= 0.7, m
    assert m["grounded"] == 1.0, m
    assert m["excluded"] == 0, m
    assert m["stale"] <= 1, m
    assert 3 <= len(run.interests) <= 8
