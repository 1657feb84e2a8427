"""The local engine on real captions: one complete idea per clip, explanations that quote it and cite posts."""

from __future__ import annotations

from functools import cache

import pytest

from app.pipeline.exclusions import excluded_topics, talks_about
from app.pipeline.quotes import ELLIPSIS
from app.schemas import Clip, Preferences
from app.sources.catalog import CatalogSource, load_catalog
from app.text import terms
from app.validation import validate_clip
from tests.eval_harness import REAL_SET, WIDE_SET, EvalRun, labels, run_persona


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


@pytest.mark.parametrize(
    ("instruction", "subject"),
    [("I've had enough psychology.", "psychology"), ("No more astronomy for a while.", "astronomy")],
)
def test_no_more_of_a_subject_finds_the_talks_about_it_that_never_name_it(instruction: str, subject: str) -> None:
    """Among talks on several school subjects, the ones about the excluded subject stand out in meaning, whatever
    their titles say; no talk on another subject does, and nothing stands out
    for a subject none of them is about."""
    source = CatalogSource.from_path(WIDE_SET / "catalog.json")
    videos = labels(WIDE_SET)["videos"]
    talks = [(v.candidate, source.fetch(v.candidate.video_id)) for v in load_catalog(WIDE_SET / "catalog.json")]
    found = talks_about(talks, excluded_topics(Preferences(instructions=instruction)))
    on_subject = {c.video_id for c, _ in talks if videos[c.video_id]["topic"] == subject}
    unnamed = {c.video_id for c, _ in talks if c.video_id in on_subject and subject not in terms(c.title)}
    assert len(unnamed) >= 4 and len(found.keys() & unnamed) >= len(unnamed) - 1, found
    assert all(v in on_subject or videos[v]["kind"] == "entertainment" for v in found), found
    assert talks_about(talks, excluded_topics(Preferences(instructions="No more knitting."))) == {}
