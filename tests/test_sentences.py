"""Sentence segmentation of timed transcripts, in both caption styles."""

from __future__ import annotations

import re

import pytest

from app.llm.local.sentences import MAX_WORDS, has_casing, is_punctuated, split_sentences
from app.schemas import Segment, TranscriptData
from app.validation import spoken_between

PARAGRAPH = [
    "Welcome back to the workshop, everyone.",
    "Today we look at how a bread dough develops strength.",
    "Okay, let me set up the camera first.",
    "The autolyse is a rest where flour and water sit together before the salt goes in.",
    "During that rest the enzymes start breaking down starch and the gluten network forms on its own.",
    "So you knead far less later.",
    "Hydration is the weight of water divided by the weight of flour.",
    "A dough at eighty percent hydration feels slack and sticky in the hands.",
    "Now stretch and fold the dough every half hour during bulk fermentation.",
    "That is the whole trick.",
    "Thanks for watching and see you next week.",
]


def manual_segments(sentences: list[str], *, seconds_per_word: float = 0.4) -> list[Segment]:
    """Manual-caption style: punctuation kept, long sentences cut at a comma or in half."""
    segments: list[Segment] = []
    clock = 0.0
    for sentence in sentences:
        words = sentence.split()
        parts = [words] if len(words) <= 10 else [words[: len(words) // 2], words[len(words) // 2 :]]
        for part in parts:
            duration = round(len(part) * seconds_per_word, 3)
            segments.append(Segment(text=" ".join(part), start=round(clock, 3), duration=duration))
            clock += duration
    return segments


def auto_segments(sentences: list[str], *, per_segment: int = 7, music_every: int = 0) -> list[Segment]:
    """Auto-caption style: lower case, no punctuation, cut every few words whatever the sentence."""
    words = [w for s in sentences for w in re.sub(r"[^\w\s']", "", s.lower()).split()]
    segments: list[Segment] = []
    clock = 0.0
    for index in range(0, len(words), per_segment):
        part = words[index : index + per_segment]
        segments.append(Segment(text=" ".join(part), start=round(clock, 3), duration=round(len(part) * 0.4, 3)))
        clock += len(part) * 0.4
        if music_every and len(segments) % music_every == 0:
            segments.append(Segment(text="[Music]", start=round(clock, 3), duration=2.0))
            clock += 2.0
    return segments


def words_of(sentences: list[str]) -> list[list[str]]:
    return [re.sub(r"[^\w\s']", "", s.lower()).split() for s in sentences]


def boundaries(word_lists: list[list[str]]) -> set[int]:
    """Word offsets at which a new sentence starts (0 excluded)."""
    offsets, total = set(), 0
    for words in word_lists[:-1]:
        total += len(words)
        offsets.add(total)
    return offsets


def test_manual_captions_split_at_punctuation_across_segments() -> None:
    segments = manual_segments(PARAGRAPH)
    sentences = split_sentences(segments)
    assert [s.text for s in sentences] == PARAGRAPH
    assert all(s.speech for s in sentences)
    assert sentences[0].start == 0.0
    assert sentences[-1].end == pytest.approx(segments[-1].start + segments[-1].duration)


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    segments = [
        Segment(text="Dr. Patel measured 1.5 grams vs. two grams.", start=0.0, duration=4.0),
        Segment(text="Then she stopped.", start=4.0, duration=2.0),
    ]
    assert [s.text for s in split_sentences(segments)] == [
        "Dr. Patel measured 1.5 grams vs. two grams.",
        "Then she stopped.",
    ]


def test_sentence_text_is_spoken_within_its_own_time_span() -> None:
    for segments in (manual_segments(PARAGRAPH), auto_segments(PARAGRAPH, music_every=4)):
        transcript = TranscriptData(video_id="v", language_code="en", is_generated=False, segments=segments)
        for sentence in split_sentences(segments):
            assert sentence.start < sentence.end
            assert sentence.text in spoken_between(transcript, sentence.start, sentence.end)


@pytest.mark.parametrize("per_segment", [5, 7, 11])
def test_auto_captions_keep_every_word_once_in_order(per_segment: int) -> None:
    segments = auto_segments(PARAGRAPH, per_segment=per_segment, music_every=5)
    sentences = split_sentences(segments)
    spoken = [w for s in sentences if s.speech for w in s.text.split()]
    assert spoken == [w for words in words_of(PARAGRAPH) for w in words]
    assert [s.text for s in sentences if not s.speech] == ["[Music]"] * sum(1 for s in segments if s.text == "[Music]")
    assert all(len(s.text.split()) <= MAX_WORDS for s in sentences)
    starts = [s.start for s in sentences]
    assert starts == sorted(starts)


@pytest.mark.parametrize("per_segment", [5, 7, 11])
def test_auto_captions_recover_most_sentence_boundaries(per_segment: int) -> None:
    """Cut mid-sentence and stripped of punctuation, most true boundaries are still found."""
    sentences = split_sentences(auto_segments(PARAGRAPH, per_segment=per_segment))
    found = boundaries([s.text.split() for s in sentences])
    truth = boundaries(words_of(PARAGRAPH))
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / len(found)
    assert recall >= 0.7, (recall, [s.text for s in sentences])
    assert precision >= 0.6, (precision, [s.text for s in sentences])


def test_auto_caption_sentences_never_end_on_a_word_that_needs_a_continuation() -> None:
    sentences = split_sentences(auto_segments(PARAGRAPH * 3, per_segment=6))
    for sentence in sentences[:-1]:
        assert sentence.text.split()[-1] not in {"the", "a", "an", "of", "to", "and", "is", "my", "with"}, sentence


def test_pauses_between_segments_mark_boundaries() -> None:
    texts = ["so this is how the", "starter gets going every morning", "then we feed it flour and", "water again"]
    starts = [0.0, 2.0, 6.5, 8.5]  # a 2.5 s silence before the third segment
    segments = [Segment(text=t, start=s, duration=2.0) for t, s in zip(texts, starts, strict=True)]
    long_enough = segments * 3  # long enough to need cutting
    shifted = [
        Segment(text=s.text, start=s.start + 12.0 * (i // len(segments)), duration=s.duration)
        for i, s in enumerate(long_enough)
    ]
    sentences = split_sentences(shifted)
    assert "so this is how the starter gets going every morning" in [s.text for s in sentences]


def test_casing_of_the_next_segment_marks_a_boundary_when_captions_have_casing() -> None:
    texts = [
        "we let the dough rest for an hour",
        "Then the salt goes in and we mix",
        "until it feels smooth and strong again",
        "Bulk fermentation starts right after that step",
        "and it takes about four hours at room",
        "temperature in a warm kitchen like this",
    ]
    segments = [Segment(text=t, start=2.0 * i, duration=2.0) for i, t in enumerate(texts)]
    assert has_casing(segments) and not is_punctuated(segments)
    starts = {s.text.split()[0] for s in split_sentences(segments)}
    assert {"Then", "Bulk"} <= starts


def test_style_detection() -> None:
    assert is_punctuated(manual_segments(PARAGRAPH))
    assert not is_punctuated(auto_segments(PARAGRAPH))
    assert not has_casing(auto_segments(PARAGRAPH, music_every=2))


def test_degenerate_transcripts() -> None:
    assert split_sentences([]) == []
    assert split_sentences([Segment(text="   ", start=0.0, duration=1.0)]) == []
    one = split_sentences([Segment(text="just one short line here", start=0.0, duration=3.0)])
    assert [(s.text, s.start, s.end) for s in one] == [("just one short line here", 0.0, 3.0)]
