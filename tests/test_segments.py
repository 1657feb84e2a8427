"""Topic segments: the units a model chooses a clip among."""

from __future__ import annotations

from itertools import pairwise

from app.llm.local.sentences import split_sentences
from app.llm.segments import MAX_SEGMENT_S, MIN_SEGMENT_S, topic_segments
from app.schemas import Segment, TranscriptData
from app.validation import MIN_CLIP_S
from tests import llm_samples as s

BIRDS = [
    "Warblers migrate at night and navigate by the stars.",
    "Young warblers learn the star compass before their first migration.",
    "Buntings in a planetarium turned with the rotating night sky.",
    "The magnetic compass of migrating birds works even under clouds.",
    "Swifts fly to Africa without landing for months.",
    "Godwits cross the Pacific in one nonstop migration flight.",
]
JOINS = [
    "A hash join builds a hash table on the smaller input.",
    "The planner estimates rows to choose between hash join and merge join.",
    "A merge join walks two sorted inputs side by side.",
    "When the row estimate is wrong the hash table spills to disk.",
    "Explain analyze prints actual rows next to the planner estimate.",
    "Extended statistics fix row estimates for correlated columns.",
]


def timed(lines: list[str], *, each_s: float = 6.0) -> list[Segment]:
    return [Segment(text=text, start=i * each_s, duration=each_s) for i, text in enumerate(lines)]


def test_segments_follow_the_topics_and_fit_a_clip() -> None:
    lines = BIRDS * 2 + JOINS * 2 + BIRDS * 2  # 72 s of birds, 72 s of joins, 72 s of birds
    segments = topic_segments(timed(lines))

    starts = {sentence.start for sentence in split_sentences(timed(lines))}
    assert [t.number for t in segments] == list(range(1, len(segments) + 1))
    assert all(MIN_CLIP_S <= t.end - t.start <= MAX_SEGMENT_S for t in segments)
    assert all(a.end <= b.start for a, b in pairwise(segments))  # in order, apart
    assert all(t.start in starts for t in segments)  # on whole sentences
    switch = 72.0  # where the talk turns to joins
    assert any(abs(t.start - switch) <= 6.0 for t in segments)


def test_a_long_stretch_on_one_topic_is_cut_to_clip_lengths() -> None:
    segments = topic_segments(timed(JOINS * 12))  # seven minutes on joins

    assert len(segments) >= 3
    assert all(MIN_SEGMENT_S <= t.end - t.start <= MAX_SEGMENT_S for t in segments[:-1])


def test_the_telling_sentence_and_relevance_follow_what_the_person_writes_about() -> None:
    segments = topic_segments(timed(BIRDS * 2 + JOINS * 2))
    profile = {"hash": 1.0, "join": 1.0, "planner": 0.5}

    best = max(segments, key=lambda t: t.relevance(profile))
    assert "join" in best.text and "join" in best.key_sentence(profile).text
    assert best.relevance(profile) > min(t.relevance(profile) for t in segments)


def test_a_segment_gives_the_captions_it_holds() -> None:
    transcript = s.transcript()
    segment = topic_segments(transcript.segments)[1]

    part = segment.transcript("pg000000000", transcript)

    assert isinstance(part, TranscriptData) and part.segments
    assert all(segment.start - 0.01 <= c.start < segment.end for c in part.segments)


def test_an_empty_transcript_has_no_segments() -> None:
    assert topic_segments([]) == []


def test_a_sentence_longer_than_any_clip_is_left_out() -> None:
    endless = Segment(text="one endless run-on caption without a stop", start=0.0, duration=400.0)
    after = [c.model_copy(update={"start": 400.0 + c.start}) for c in timed(JOINS * 2)]

    segments = topic_segments([endless, *after])

    assert segments and all(t.start >= 400.0 and t.end - t.start <= MAX_SEGMENT_S for t in segments)
