"""“Why not this video?”: which stage of the latest run dropped a video the user names, and why.

The run log already records every item a stage skipped with its reason (hidden channel,
an excluded topic, the screen's reason, no transcript, no passage good enough); what the
log does not hold is a clip that was good but not good enough, which is read from the
clip stage's saved output and compared with the feed's weakest clip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import HiddenChannel, PipelineRun, Recommendation, User, Video
from app.services.runs import run_stage_results

VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_IN_URL = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/embed/|/live/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])")
STAGE_WORDS = {
    "search": "search",
    "screen": "screening",
    "transcripts": "transcripts",
    "clip": "clip choice",
    "rank": "ranking and explanation",
}


class NotAVideoId(ValueError):
    """Pasted text holding no YouTube video id; the message says what is expected."""


@dataclass(frozen=True)
class WhyNot:
    """The answer: the stage that decided (or none), the reason in words, and where to look."""

    video_id: str
    stage: str  # a key of STAGE_WORDS, "feed" when it is in the feed, "" when no run has looked
    reason: str
    run_id: int | None
    title: str = ""

    @property
    def stage_words(self) -> str:
        return STAGE_WORDS.get(self.stage, self.stage)


def video_id_of(pasted: str) -> str:
    """The video id in a pasted id or YouTube link; raises NotAVideoId."""
    text = pasted.strip()
    if VIDEO_ID.match(text):
        return text
    found = _IN_URL.search(text)
    if found is None:
        raise NotAVideoId("Paste a YouTube link or an 11-character video id, like dQw4w9WgXcQ.")
    return found.group(1)


def why_not(session: Session, *, user: User, pasted: str) -> WhyNot:
    """Why the user's latest finished run did not put this video in the feed (or where it is, if it did)."""
    video_id = video_id_of(pasted)
    video = session.get(Video, video_id)
    title = video.title if video is not None else ""
    run = session.scalar(
        select(PipelineRun)
        .where(PipelineRun.user_id == user.id, PipelineRun.status == "succeeded")
        .order_by(PipelineRun.id.desc())
        .limit(1)
    )
    if run is None:
        return WhyNot(video_id, "", "No run of yours has finished yet, so no video has been considered.", None, title)
    answer = _decided(session, user=user, run=run, video_id=video_id)
    return WhyNot(video_id, answer[0], answer[1], run.id, title)


def _decided(session: Session, *, user: User, run: PipelineRun, video_id: str) -> tuple[str, str]:
    found = session.execute(
        select(Recommendation.position, Recommendation.withdrawn_by).where(
            Recommendation.run_id == run.id, Recommendation.video_id == video_id
        )
    ).first()
    if found is not None:
        position, withdrawn_by = found
        hidden = _hidden_channel(session, user=user, video_id=video_id)
        if hidden:
            return "feed", f"The run put it in your feed, but you hid the channel “{hidden}” since, so it is not shown."
        if withdrawn_by:
            return "feed", (
                f"The run put it in your feed, but you asked for no more “{withdrawn_by}” since, so it is not shown."
            )
        return "feed", f"It is in your feed: clip {position + 1} of the latest run."
    skipped = [e for e in run.log or [] if e.get("kind") == "skipped" and e.get("item") == video_id]
    if skipped:
        last = skipped[-1]
        return str(last.get("stage", "")), _sentence(str(last.get("message", "")))
    saved = run_stage_results(session, run_id=run.id)
    clip = next((c for c in saved.get("clip") or [] if c.get("video_id") == video_id), None)
    if clip is not None:
        return "rank", _outranked(session, run=run, clip=clip)
    if any(c.get("video_id") == video_id for c in saved.get("search") or []):
        return "screen", "The search found it, but it was not screened in ahead of the videos that were."
    return "search", (
        "None of the run's searches found it: it is not about your interests as the run searched for them, "
        "or the video source did not return it."
    )


def _outranked(session: Session, *, run: PipelineRun, clip: dict[str, Any]) -> str:
    scores = session.scalars(select(Recommendation.score).where(Recommendation.run_id == run.id)).all()
    score = float(clip.get("score", 0.0))
    if not scores:
        return f"Its best clip scored {score:.2f}, but no clip could be explained with your own posts."
    weakest = min(scores)
    return (
        f"Its best clip scored {score:.2f}; the {len(scores)} clips in your feed scored {weakest:.2f} or more, "
        "or it would have given one interest more than its share of the feed."
    )


def _hidden_channel(session: Session, *, user: User, video_id: str) -> str:
    channel = session.scalar(
        select(HiddenChannel.channel)
        .join(Video, Video.channel == HiddenChannel.channel)
        .where(HiddenChannel.user_id == user.id, Video.id == video_id)
    )
    return channel or ""


def _sentence(message: str) -> str:
    text = message.strip()
    if not text:
        return "It was skipped, without a reason recorded."
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
