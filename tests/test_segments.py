"""Topic segments: the units a model chooses a clip among."""

from __future__ import annotations

from itertools import pairwise

from app.llm.local.chapters import chapters
from app.llm.local.sentences import split_sentences
from app.llm.segments import MAX_SEGMENT_S, MIN_SEGMENT_S, topic_segments
from app.schemas import Segment, TranscriptData
from app.validation import MIN_CLIP_S
from tests import llm_samples as s

FORAGING = [
    "Chanterelles fruit in the forest after rain and hide under the moss.",
    "Young foragers learn the false chanterelles before their first forest harvest.",
    "Morels in a burnt forest come up with the spring rain.",
    "The spore print of a forest mushroom works even after days of rain.",
    "Foragers find chanterelles under birches for weeks after rain.",
    "Puffballs swell in the forest in one night of warm rain.",
]
CHEDDARING = [
    "Cheddaring stacks the curd in slabs while the whey drains from the vat.",
    "The cheesemaker tests the whey to choose between a cheddared curd and a washed curd.",
    "A washed curd soaks in warm water before it goes to the press.",
    "When the acidity is wrong the whey turns the vat sour.",
    "A pH meter shows the actual acidity next to the cheesemaker target.",
    "Brine and a cool aging cave settle the acidity of young wheels.",
]


def timed(lines: list[str], *, each_s: float = 6.0) -> list[Segment]:
    return [Segment(text=text, start=i * each_s, duration=each_s) for i, text in enumerate(lines)]


def test_segments_follow_the_topics_and_fit_a_clip() -> None:
    lines = FORAGING * 2 + CHEDDARING * 2 + FORAGING * 2  # 72 s of foraging, 72 s of cheddaring, 72 s of foraging
    segments = topic_segments(timed(lines))

    starts = {sentence.start for sentence in split_sentences(timed(lines))}
    assert [t.number for t in segments] == list(range(1, len(segments) + 1))
    assert all(MIN_CLIP_S <= t.end - t.start <= MAX_SEGMENT_S for t in segments)
    assert all(a.end <= b.start for a, b in pairwise(segments))  # in order, apart
    assert all(t.start in starts for t in segments)  # on whole sentences
    switch = 72.0  # where the talk turns to cheddaring
    assert any(abs(t.start - switch) <= 6.0 for t in segments)


def test_a_long_stretch_on_one_topic_is_cut_to_clip_lengths() -> None:
    segments = topic_segments(timed(CHEDDARING * 12))  # seven minutes on cheddaring

    assert len(segments) >= 3
    assert all(MIN_SEGMENT_S <= t.end - t.start <= MAX_SEGMENT_S for t in segments[:-1])


def test_the_telling_sentence_and_relevance_follow_what_the_person_writes_about() -> None:
    segments = topic_segments(timed(FORAGING * 2 + CHEDDARING * 2))
    profile = {"curd": 1.0, "whey": 1.0, "cheesemaker": 0.5}

    best = max(segments, key=lambda t: t.relevance(profile))
    assert "curd" in best.text and "curd" in best.key_sentence(profile).text
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
    after = [c.model_copy(update={"start": 400.0 + c.start}) for c in timed(CHEDDARING * 2)]

    segments = topic_segments([endless, *after])

    assert segments and all(t.start >= 400.0 and t.end - t.start <= MAX_SEGMENT_S for t in segments)


def test_the_authors_chapters_cut_the_talk_and_their_housekeeping_is_never_shown() -> None:
    lines = timed(CHEDDARING * 8)  # one subject for almost five minutes: no valley tells where to cut
    outline = chapters("0:00 Curds\n1:30 Whey\n3:12 Thanks to our supporters")
    found = topic_segments(lines, outline)

    assert 90.0 in {t.start for t in found}
    assert 90.0 not in {t.start for t in topic_segments(lines)}
    assert all(t.end <= 192.0 for t in found)  # nothing from the thank-you chapter
    assert any(t.end > 192.0 for t in topic_segments(lines))
