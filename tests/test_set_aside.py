"""Down votes that keep landing on one interest's clips set that interest aside for the next run."""

from __future__ import annotations

from collections import Counter
from typing import Literal

import pytest

from app.llm.local import LocalEngine
from app.pipeline import stages
from app.pipeline.steering import steer_interests
from app.schemas import Candidate, FeedbackReason, FeedbackSignal, Interest, InterestControls, Preferences
from tests.eval_harness import REAL_SET, Progress, run_stages

FOUND = [
    Interest(name="Sourdough", description="", weight=1.0, evidence_tweet_ids=["1"]),
    Interest(name="Cycling", description="", weight=0.8, evidence_tweet_ids=["2"]),
]
KEPT = [
    Candidate(video_id="s1", title="Levain timing", interest="Sourdough"),
    Candidate(video_id="a1", title="Gear ratios explained", interest="Cycling"),
    Candidate(video_id="s2", title="Shaping a tight loaf", interest="Sourdough"),
]


def _votes(interest: str, *votes: tuple[Literal[-1, 1], FeedbackReason | None]) -> list[FeedbackSignal]:
    return [
        FeedbackSignal(video_id=f"v{i}", title="a clip", channel="c", interest=interest, vote=vote, reason=reason)
        for i, (vote, reason) in enumerate(votes)
    ]


def _set_aside(prefs: Preferences) -> tuple[list[Interest], list[str], Progress]:
    progress = Progress()
    found, kept = stages.set_aside_voted_down(FOUND, KEPT, prefs, progress)
    return found, [c.video_id for c in kept], progress


def test_three_down_votes_on_an_interest_set_it_aside_drop_its_videos_and_say_so() -> None:
    feedback = _votes("sourDOUGH", (-1, None), (-1, "off_topic"), (-1, None))
    progress = Progress()
    found, shown = stages.set_aside_voted_down(FOUND, KEPT, Preferences(feedback=feedback), progress)
    assert [c.video_id for c in shown] == ["a1"]
    # still listed, so that the interests page shows it and it can be pinned
    assert [i.name for i in found] == ["Sourdough", "Cycling"]
    assert found[0].description == "Set aside: you voted down 3 of its clips. Pin it to see it again."
    assert found[1] == FOUND[1]
    assert progress.notes == [
        "Set “Sourdough” aside: you voted down 3 of its clips. Pin it on the Interests page to see it again."
    ]
    assert progress.skipped == [
        "s1: about “Sourdough”, whose clips you voted down",
        "s2: about “Sourdough”, whose clips you voted down",
    ]


@pytest.mark.parametrize(
    "votes",
    [
        [(-1, None), (-1, None)],  # two are a dislike of two videos
        [(-1, None), (-1, None), (-1, None), (1, None)],  # an up vote on it weighs against them
        [(-1, "too_basic"), (-1, "clickbait"), (-1, "seen_it"), (-1, "too_advanced")],  # about the videos, not it
    ],
)
def test_fewer_or_other_down_votes_leave_the_interest(
    votes: list[tuple[Literal[-1, 1], FeedbackReason | None]],
) -> None:
    found, kept, progress = _set_aside(Preferences(feedback=_votes("Sourdough", *votes)))
    assert found == FOUND and kept == ["s1", "a1", "s2"]
    assert progress.notes == [] and progress.skipped == []


def test_an_interest_the_user_added_or_pinned_stays_whatever_the_votes() -> None:
    feedback = _votes("Sourdough", (-1, None), (-1, None), (-1, None), (-1, None))
    for controls in (InterestControls(added=["sourdough"]), InterestControls(pinned=[FOUND[0]])):
        found, kept, _ = _set_aside(Preferences(feedback=feedback, interests=controls))
        assert found == FOUND and kept == ["s1", "a1", "s2"]


def test_on_real_captions_the_next_run_shows_nothing_of_an_interest_voted_down_four_times() -> None:
    """The day after: four clips of the feed's commonest interest voted down, its videos gone from the next feed,
    which without those votes still holds some."""
    persona = "theo"
    engines = stages.Engines(primary=LocalEngine())
    first = run_stages(engines, persona, REAL_SET, Progress())
    disliked, _ = Counter(item.interest for item in first.feed).most_common(1)[0]
    votes = [
        FeedbackSignal(video_id=i.video_id, title=i.title, channel=i.channel, interest=i.interest, vote=-1)
        for i in first.feed
        if i.interest == disliked
    ][:4]
    assert len(votes) >= 3, "the first feed must hold a few clips of one interest"
    seen = [item.video_id for item in first.feed]
    without = run_stages(engines, persona, REAL_SET, Progress(), seen=seen)
    assert any(item.interest == disliked for item in without.feed), "without the votes the interest still shows"
    after = run_stages(engines, persona, REAL_SET, Progress(), seen=seen, feedback=votes)
    assert after.feed, "the other interests still fill a feed"
    assert not any(item.interest == disliked for item in after.feed)
    (aside,) = [i for i in after.found if i.name == disliked]
    assert aside.description.startswith("Set aside: you voted down 4 of its clips.")


def test_an_interest_pinned_while_set_aside_comes_back_without_the_mark() -> None:
    """Pinned from the interests page as the set-aside run listed it, and no longer raised by the posts: the next run
    keeps it as last seen, without the words that said it was set aside."""
    marked, _ = stages.set_aside_voted_down(
        FOUND, KEPT, Preferences(feedback=_votes("Sourdough", *[(-1, None)] * 3)), Progress()
    )
    pinned = marked[0].model_copy(update={"description": f"{marked[0].description} Your 2 posts on it."})
    found = steer_interests(
        [FOUND[1]],
        Preferences(interests=InterestControls(pinned=[pinned])),
        [],
        [],
        Progress(),
        describer=LocalEngine(),
        user_tweet_ids={"1", "2"},
        limit=8,
    )
    assert (found[0].name, found[0].description) == ("Sourdough", "Your 2 posts on it.")
