"""Clips already in the feed that new instructions exclude: out of the feed at once, back when the exclusion goes.

A run leaves out what the instructions exclude, but the clips earlier runs put in the
feed stay there, and "no more woodworking" should not leave last week's chisel clip on
screen. When the instructions change, every clip of the user's is checked against the
exclusions in force, by the same words a run uses (`app.pipeline.exclusions`): its
interest's name, and its video's title and description. A clip one of them is about is
marked with that exclusion and the feed leaves it out; a marked clip that no exclusion
is about any more (the instruction was edited or removed) comes back. A bound on a
video's length ("nothing longer than 20 minutes") works the same way: a clip of a video
out of bounds is marked with it ("videos longer than 20 minutes"). Nothing is deleted,
so votes and the run's record stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.llm.local import parse_instructions
from app.models import Recommendation, User, Video
from app.pipeline.exclusions import ExcludedTopic, about, excluded_topics
from app.services.preferences import preferences_build


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What new instructions changed in the feed already shown."""

    taken_out: int  # clips an exclusion in force is about, out of the feed now
    put_back: int  # clips earlier instructions took out that those in force keep: in the feed again
    out_of_bounds: int = 0  # clips of videos longer or shorter than the instructions now allow, out of the feed

    def said(self) -> str:
        """What it changed, in words for the person whose feed it is ("" when nothing)."""
        said = []
        for count, why in (
            (self.taken_out, "about what you excluded"),
            (self.out_of_bounds, "of videos whose length your instructions now leave out"),
        ):
            if count:
                one = count == 1
                clips = "1 clip already in your feed was" if one else f"{count} clips already in your feed were"
                said.append(f"{clips} {why}, so {'it has' if one else 'they have'} been taken out.")
        if self.put_back:
            one = self.put_back == 1
            clips = "1 clip" if one else f"{self.put_back} clips"
            said.append(f"{clips} that your earlier instructions took out {'is' if one else 'are'} back in your feed.")
        return " ".join(said)


def withdraw_excluded(session: Session, *, user: User) -> Withdrawal:
    """Mark the user's clips that the exclusions in force are about and unmark the rest (see the module)."""
    prefs = preferences_build(session, user_id=user.id)
    topics, plan = excluded_topics(prefs), parse_instructions(prefs.instructions)
    bounded = plan.max_duration_s is not None or plan.min_duration_s is not None
    query = (
        select(Recommendation, Video.title, Video.description, Video.duration_s)
        .join(Video, Video.id == Recommendation.video_id)
        .where(Recommendation.user_id == user.id)
    )
    if not topics and not bounded:  # nothing to take out: only what is out can come back
        query = query.where(Recommendation.withdrawn_by.is_not(None))
    taken_out = put_back = out_of_bounds = 0
    for clip, title, description, duration_s in session.execute(query):
        topic = _about(clip.interest, f"{title}\n{description}", topics)
        length = plan.out_of_bounds(duration_s)
        phrase = topic.phrase if topic is not None else f"videos {length}" if length else None
        if phrase == clip.withdrawn_by:
            continue
        if clip.withdrawn_by is None:
            if topic is not None:
                taken_out += 1
            else:
                out_of_bounds += 1
        elif phrase is None:
            put_back += 1
        clip.withdrawn_by = phrase
    session.flush()
    return Withdrawal(taken_out=taken_out, put_back=put_back, out_of_bounds=out_of_bounds)


def _about(interest: str, video: str, topics: Sequence[ExcludedTopic]) -> ExcludedTopic | None:
    """The exclusion that removes the clip's interest (one it names, or names in the user's last interests), or
    that its video's words are about."""
    named = next((t for t in topics if interest in t.interests), None)
    return named or about(f"{interest}\n{video}", topics)
