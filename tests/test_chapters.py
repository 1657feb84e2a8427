"""Chapters an author marks in a description, and the clips that follow them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.llm.local import LocalEngine, clips
from app.llm.local.chapters import chapters
from app.llm.local.sentences import split_sentences
from app.schemas import Engagement, Preferences, Segment, TranscriptData
from tests.test_local_engine import candidate, interest_about, lecture, sourdough_user

# The shape of a real description: a link and a note first, then the outline in the forms people write it.
DESCRIPTION = """Plans and a cutting list: https://example.org/plans
Filmed in our shared workshop; questions welcome below.

Timestamps
0:00 - Introduction
1:10 - What we will build
(2:45) Choosing the timber
• 4:00 Marking out the joint
Why a mortise? 5:30
8:40 – Cutting the tenon
11:30 | Sponsor: a sleep app
12:15 Thanks to supporters
1:02:03 A late appendix
"""


def test_a_descriptions_timestamps_are_its_chapters_in_every_form_people_write_them() -> None:
    found = chapters(DESCRIPTION)
    assert [(c.start, c.title) for c in found] == [
        (0.0, "Introduction"),
        (70.0, "What we will build"),
        (165.0, "Choosing the timber"),
        (240.0, "Marking out the joint"),
        (330.0, "Why a mortise?"),
        (520.0, "Cutting the tenon"),
        (690.0, "Sponsor: a sleep app"),
        (735.0, "Thanks to supporters"),
        (3723.0, "A late appendix"),
    ]
    assert [c.title for c in found if c.housekeeping] == ["Sponsor: a sleep app", "Thanks to supporters"]
    assert not any(c.housekeeping for c in chapters("0:00 Ad hoc methods\n1:00 Adding up\n2:00 Thanks-giving"))


@pytest.mark.parametrize(
    "description",
    [
        "the best bit is at 4:12, and the blooper at 9:30",  # moments, not an outline
        "1:00 Part one\n3:00 Part two\n5:00 Part three",  # YouTube's first chapter starts at 0:00
        "0:00 Start\n5:00 End",  # fewer than three
        "0:00 Start\n5:00 Middle\n3:00 End",  # not rising
        "0:00 Start\n0:05 Middle\n3:00 End",  # a chapter shorter than ten seconds
        "0:00 Start\n1:75:00 Middle\n3:00:00 End",  # not a time
        "0:00 Start\n2:00 Middle\n" + "and so on " * 30 + "3:00",  # prose that ends on a time
        "0:00 Start\n2:00 Middle\nx3:00",  # a time inside a word
    ],
)
def test_timestamps_that_are_no_outline_of_the_video_make_no_chapters(description: str) -> None:
    assert chapters(description) == []


def test_the_last_chapter_must_fit_in_the_video() -> None:
    outline = "0:00 Start\n2:00 Middle\n3:00 End"
    assert len(chapters(outline, duration_s=200)) == 3
    assert chapters(outline, duration_s=185) == []


@dataclass
class Talk:
    """The sourdough lecture for the sourdough baker, as a video whose description the test writes."""

    engine: LocalEngine = field(default_factory=LocalEngine)
    segments: list[Segment] = field(default_factory=lambda: lecture(auto=False)[0])
    users: list[Engagement] = field(default_factory=sourdough_user)

    def clip(self, description: str) -> tuple[float, float]:
        transcript = TranscriptData(video_id="v", language_code="en", is_generated=False, segments=self.segments)
        interest = interest_about(self.engine.infer_interests(self.users, Preferences()), "sourdough")
        video = candidate("v", "Sourdough", description=description)
        found = self.engine.choose_clip(video, interest, transcript, self.users, Preferences())
        assert found is not None
        return found.start_s, found.end_s


def test_a_clip_starts_and_ends_where_the_author_marked_a_chapter() -> None:
    talk = Talk()
    start, end = talk.clip("0:00 Welcome\n2:58 The autolyse\n4:10 Questions from the chat")
    sentences = split_sentences(talk.segments)
    nearest = min(sentences, key=lambda s: abs(s.start - 178))  # the sentence nearest 2:58
    assert start == round(nearest.start, 2)
    assert end == round(max(s.end for s in sentences if s.start < 250), 2)  # ... to the last before 4:10
    assert talk.clip("")[0] != start  # the talk alone has no boundary there


def test_a_chapter_the_author_titled_as_housekeeping_holds_no_clip() -> None:
    talk = Talk()
    golden_start, golden_end = lecture(auto=False)[1]
    start, end = talk.clip("0:00 Welcome\n2:10 Autolyse and hydration\n4:40 Questions")
    assert min(end, golden_end) - max(start, golden_start) > 0  # the passage about the posts is in this chapter
    start, end = talk.clip("0:00 Welcome\n2:10 Thanks to our supporters\n4:40 Questions")
    assert start >= 280  # ... which the author says is a thank-you


def test_chapters_cut_blocks_and_leave_a_talk_without_them_as_it_was() -> None:
    sentences = split_sentences(lecture(auto=True)[0])
    assert clips._blocks(sentences) == clips._blocks(sentences, set())
    plain = clips._blocks(sentences)
    opens = {plain[3][0] + 1, plain[3][0] + 2, plain[8][0]}
    blocks = clips._blocks(sentences, opens)
    assert opens <= {a for a, _ in blocks}
    assert [b + 1 for _, b in blocks[:-1]] == [a for a, _ in blocks[1:]]  # whole sentences, none lost
    assert blocks[0][0] == 0 and blocks[-1][1] == len(sentences) - 1
