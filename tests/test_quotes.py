"""The quote a clip shows is whole sentences (or a marked excerpt), clean verbatim, timed when it is actually spoken."""

from __future__ import annotations

import pytest

from app.pipeline.quotes import ELLIPSIS, MAX_QUOTE_CHARS, whole_quote, with_whole_quote
from app.schemas import Clip, Segment, TranscriptData
from app.validation import quote_problems, spoken_between, validate_clip, words_of
from app.verbatim import clean_verbatim

# Manual captions cut every few words, as YouTube serves them: (start, text), 3 s each.
CAPTIONS = [
    (100.0, "Welcome back."),
    (103.0, "Cheddaring stacks the curd in slabs"),
    (106.0, "along the warm vat."),
    (109.0, "When the whey runs out the curd knits"),
    (112.0, "into slabs. A cheese press squeezes two"),
    (115.0, "wheels wrapped in cheesecloth overnight."),
    (118.0, "That is why pressing time matters."),
]


def transcript(captions: list[tuple[float, str]] = CAPTIONS) -> TranscriptData:
    segments = [Segment(text=text, start=start, duration=3.0) for start, text in captions]
    return TranscriptData(video_id="vid00000001", language_code="en", is_generated=False, segments=segments)


def test_a_fragment_across_sentences_becomes_the_sentences_it_touches() -> None:
    quote, quote_s = whole_quote(
        "the curd knits into slabs. A cheese press squeezes two wheels", transcript(), 100, 121
    )
    assert quote == (
        "When the whey runs out the curd knits into slabs. "
        "A cheese press squeezes two wheels wrapped in cheesecloth overnight."
    )
    assert quote in spoken_between(transcript(), 100, 121)
    # Spoken from the start of "When the whey runs out", not from the clip start.
    assert quote_s is not None and 108.5 <= quote_s <= 109.5


def test_the_quote_time_is_when_it_is_spoken_inside_the_clip() -> None:
    quote, quote_s = whole_quote("That is why pressing time matters.", transcript(), 100, 121)
    assert quote == "That is why pressing time matters."
    assert quote_s == 118.0


def test_a_sentence_that_starts_before_the_clip_is_shown_as_an_excerpt() -> None:
    quote, quote_s = whole_quote("along the warm vat.", transcript(), 105.5, 121)
    assert quote == ELLIPSIS + "along the warm vat."
    assert quote_s is not None and 105.5 <= quote_s < 109


def test_sentences_too_long_to_read_keep_the_chosen_words_marked_as_an_excerpt() -> None:
    # Three sentences of 40 words each, captions of 8 words: every fifth caption ends a sentence.
    words = [f"word{i}" + ("." if i % 40 == 39 else "") for i in range(120)]
    captions = [(10.0 + 3 * n, " ".join(words[i : i + 8])) for n, i in enumerate(range(0, 120, 8))]
    quote, quote_s = whole_quote("word38 word39. word40 word41", transcript(captions), 10, 55)
    assert quote == f"{ELLIPSIS}word38 word39. word40 word41{ELLIPSIS}"
    assert len(" ".join(words[:80])) > MAX_QUOTE_CHARS
    # word38 is in the fifth caption (22-25 s), near its end.
    assert quote_s is not None and 22 <= quote_s <= 25


def test_auto_captions_without_punctuation_give_a_marked_excerpt() -> None:
    captions = [(start, text.lower().replace(".", "")) for start, text in CAPTIONS]
    quote, quote_s = whole_quote("a cheese press squeezes two wheels", transcript(captions), 100, 121)
    assert quote == f"{ELLIPSIS}a cheese press squeezes two wheels{ELLIPSIS}"
    # "a cheese press" is said in the caption that starts at 112 s, after "into slabs".
    assert quote_s is not None and 112 < quote_s < 115


@pytest.mark.parametrize(
    ("chosen", "shown"),
    [
        # "so" only tied the excerpt to what was cut away, as "and" and "okay now" do.
        ("so a cheese press squeezes two wheels", "a cheese press squeezes two wheels"),
        ("and so a cheese press squeezes two wheels", "a cheese press squeezes two wheels"),
        # ... but an excerpt keeps its linking word rather than shrink to a fragment.
        ("so a cheese press squeezes", "so a cheese press squeezes"),
    ],
)
def test_an_excerpt_starts_past_the_words_that_linked_it_to_what_was_cut(chosen: str, shown: str) -> None:
    captions = [
        (106.0, "along the warm vat"),
        (109.0, "when the whey runs out the curd knits into slabs and so"),
        (112.0, "a cheese press squeezes two"),
        (115.0, "wheels wrapped in cheesecloth overnight"),
    ]
    quote, quote_s = whole_quote(chosen, transcript(captions), 100, 121)
    assert quote == f"{ELLIPSIS}{shown}{ELLIPSIS}"
    # the quote is timed from its first word shown, said in the caption that starts at 112 s
    assert quote_s is not None and 112 <= quote_s < 115


def test_a_quote_not_spoken_in_the_clip_is_left_as_it_is_with_no_time() -> None:
    assert whole_quote("nothing like this is said", transcript(), 100, 121) == ("nothing like this is said", None)


def test_a_clip_gets_its_whole_quote_and_time() -> None:
    clip = Clip(video_id="vid00000001", interest="cheese", start_s=100, end_s=121, quote="Cheddaring stacks", score=1)
    out = with_whole_quote(clip, transcript())
    assert out.quote == "Cheddaring stacks the curd in slabs along the warm vat."
    assert out.quote_s is not None and 102.5 <= out.quote_s <= 103.5
    assert (out.start_s, out.end_s) == (clip.start_s, clip.end_s)


@pytest.mark.parametrize(
    ("spoken", "shown"),
    [
        ("So, uh, the tide comes in twice a day.", "So the tide comes in twice a day."),
        ("It lifts, uh, the whole ocean, a, a little.", "It lifts the whole ocean, a little."),
        ("Um, it rises about a metre here.", "It rises about a metre here."),
        ("…the moon uh pulls the water toward it…", "…the moon pulls the water toward it…"),
        ("and it it it rises", "and it rises"),
        ("the bulge on the far side, uh.", "the bulge on the far side."),
        ("Two tides. Uh, the second one is smaller.", "Two tides. The second one is smaller."),
        ("um uh the the sea", "the sea"),
        # Captions without casing write the pronoun in lower case; a reader expects "I" (and nothing else changes).
        ("…so i think i'm sure i've seen it and i'll say i'd…", "…so I think I'm sure I've seen it and I'll say I'd…"),
        ("…in ice and i.e. idle ions…", "…in ice and i.e. idle ions…"),
        # Words doubled on purpose, capitals and units that look like hesitations, and emphasis stay.
        ("He said that that was wrong, and he had had doubts.", "He said that that was wrong, and he had had doubts."),
        ("a 5 mm rise seen in the ER logs, very, very slowly", "a 5 mm rise seen in the ER logs, very, very slowly"),
    ],
)
def test_quotes_read_clean_verbatim(spoken: str, shown: str) -> None:
    assert clean_verbatim(spoken) == shown
    assert words_of(shown) == words_of(spoken)  # what checks compare: the same words said


def test_an_auto_caption_quote_leaves_out_hesitations_and_still_counts_as_spoken() -> None:
    captions = [
        (200.0, "so uh the tide comes in"),
        (203.0, "twice a day because the the moon"),
        (206.0, "um pulls the water toward it and"),
        (209.0, "the far side bulges too"),
    ]
    clip = Clip(
        video_id="vid00000001",
        interest="tides",
        start_s=200,
        end_s=240,
        quote="the the moon um pulls the water",
        score=1,
    )
    out = with_whole_quote(clip, transcript(captions))
    assert out.quote == f"{ELLIPSIS}the moon pulls the water{ELLIPSIS}"
    assert out.quote_s is not None and 203 <= out.quote_s <= 206
    shown = out.model_copy(update={"quote": out.quote.strip(ELLIPSIS)})
    assert validate_clip(shown, transcript(captions), duration_s=600) == []
    said = spoken_between(transcript(captions), 200, 240)
    assert quote_problems(f'The speaker says: "{out.quote.strip(ELLIPSIS)}".', said) == []
    assert quote_problems('The speaker says: "the moon pulls the sea".', said) != []
