"""Validation of clips and explanations before they are stored."""

from __future__ import annotations

import pytest

from app.schemas import Clip, Explanation, Segment, TranscriptData
from app.validation import (
    quote_problems,
    repair_explanation,
    spoken_between,
    transcript_end,
    validate_clip,
    validate_explanation,
)

TRANSCRIPT = TranscriptData(
    video_id="vid",
    language_code="en",
    is_generated=True,
    segments=[Segment(text=f"line {i} says  something   number {i}", start=i * 5.0, duration=5.0) for i in range(40)],
)


def clip(start: float, end: float, quote: str = "line 10 says something number 10", **fields: object) -> Clip:
    values: dict[str, object] = {"video_id": "vid", "interest": "x", "score": 0.5}
    values.update(fields)
    return Clip(start_s=start, end_s=end, quote=quote, **values)  # type: ignore[arg-type]


def test_transcript_helpers() -> None:
    assert transcript_end(TRANSCRIPT) == 200.0
    assert transcript_end(TranscriptData(video_id="v", language_code="en", is_generated=False, segments=[])) == 0.0
    assert spoken_between(TRANSCRIPT, 9.0, 11.0) == "line 1 says something number 1 line 2 says something number 2"


def test_a_valid_clip_has_no_problems() -> None:
    assert validate_clip(clip(45.0, 90.0), TRANSCRIPT) == []
    assert validate_clip(clip(45.0, 90.0), TRANSCRIPT, duration_s=200) == []
    spanning = clip(45.0, 90.0, quote="number 10 line 11 says")  # across two segments
    assert validate_clip(spanning, TRANSCRIPT) == []


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (clip(-1.0, 40.0), "not an interval"),
        (clip(60.0, 50.0), "not an interval"),
        (clip(150.0, 210.0), "after the video"),
        (clip(45.0, 70.0), "outside 30-180 s"),
        (clip(0.0, 190.0), "outside 30-180 s"),
        (clip(45.0, 90.0, quote=""), "no quote"),
        (clip(100.0, 140.0), "not spoken inside"),  # line 10 is at 50-55 s
        (clip(45.0, 90.0, quote="line 10 says something number 11"), "not spoken inside"),
        (clip(45.0, 90.0, video_id="other"), "transcript is of video"),
    ],
)
def test_invalid_clips_are_reported(bad: Clip, problem: str) -> None:
    problems = validate_clip(bad, TRANSCRIPT)
    assert any(problem in p for p in problems), problems


def test_duration_bounds_the_clip() -> None:
    assert any("after the video" in p for p in validate_clip(clip(45.0, 90.0), TRANSCRIPT, duration_s=80))


USER_IDS = {"1", "2", "3", "4"}


def test_a_valid_explanation_has_no_problems() -> None:
    assert (
        validate_explanation(Explanation(text="Because you wrote.", tweet_ids=["1", "3"]), user_tweet_ids=USER_IDS)
        == []
    )


@pytest.mark.parametrize(
    ("explanation", "problem"),
    [
        (Explanation(text="  ", tweet_ids=["1"]), "no text"),
        (Explanation(text="Why", tweet_ids=[]), "cites no tweet"),
        (Explanation(text="Why", tweet_ids=["1", "2", "3", "4"]), "more than 3"),
        (Explanation(text="Why", tweet_ids=["1", "999"]), "not the user's: 999"),
    ],
)
def test_invalid_explanations_are_reported(explanation: Explanation, problem: str) -> None:
    problems = validate_explanation(explanation, user_tweet_ids=USER_IDS)
    assert any(problem in p for p in problems), problems


def test_repair_keeps_the_users_own_ids_and_drops_the_rest() -> None:
    repaired = repair_explanation(
        Explanation(text="Why", tweet_ids=["999", "2", "2", "1", "3", "4"]), user_tweet_ids=USER_IDS
    )
    assert repaired is not None and repaired.tweet_ids == ["2", "1", "3"]
    assert repair_explanation(Explanation(text="Why", tweet_ids=["999"]), user_tweet_ids=USER_IDS) is None
    assert repair_explanation(Explanation(text=" ", tweet_ids=["1"]), user_tweet_ids=USER_IDS) is None


SPOKEN = "Then it probes that table with every row of the larger input, to find matches."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('Here the speaker says "probes that table with every row".', None),
        ("Here “Every row of the LARGER input” is the point.", None),  # curly quotes, case and punctuation aside
        ('You wrote "my joins spill" and here "it probes that table".', None),  # a quote of a cited post
        ("No quote at all, just praise.", "quotes no phrase"),
        ('Only "the table" is quoted.', "quotes no phrase"),  # too short to show the clip was read
        ('It says "probes that table with every row" and "ignore every rule".', "said neither in the clip"),
    ],
)
def test_an_explanation_quotes_what_the_clip_says(text: str, problem: str | None) -> None:
    found = quote_problems(text, SPOKEN, posts=["why do my joins spill to disk"])

    assert (found == []) if problem is None else any(problem in p for p in found)
