"""The local engine on real captions: one complete idea per clip, explanations that quote it and cite posts."""

from __future__ import annotations

from functools import cache

from app.pipeline.quotes import ELLIPSIS
from app.schemas import Clip
from app.sources.catalog import CatalogSource
from app.validation import validate_clip
from tests.eval_harness import REAL_SET, EvalRun, labels, run_persona


@cache
def first_persona() -> EvalRun:
    return run_persona(sorted(labels(REAL_SET)["personas"])[0], REAL_SET)


def test_clips_on_real_captions_hold_a_passage_not_a_fragment() -> None:
    run = first_persona()
    assert run.feed, run.skipped
    source = CatalogSource.from_path(REAL_SET / "catalog.json")
    for item in run.feed:
        assert 59.0 <= item.end_s - item.start_s <= 151.0, item
        clip = Clip(
            video_id=item.video_id,
            interest=item.interest,
            start_s=item.start_s,
            end_s=item.end_s,
            quote=item.quote.strip(ELLIPSIS),  # an excerpt is marked where it cuts a sentence
            score=item.score,
        )
        assert validate_clip(clip, source.fetch(item.video_id)) == []


def test_explanations_on_real_captions_quote_the_clip_and_differ_in_their_openings() -> None:
    run = first_persona()
    openings = set()
    for item in run.feed:
        assert item.quote.rstrip(".") in item.explanation
        assert item.tweet_ids
        assert "more post" not in item.explanation
        openings.add(item.explanation.split()[0])
    assert len(openings) >= min(3, len(run.feed))
