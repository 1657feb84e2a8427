"""Talks that are no lesson, by how they are said: chat, or hardly any speech; on real captions and invented ones."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from app.pipeline import stages
from app.pipeline.shortfall import shortfall
from app.pipeline.stages import Engines
from app.pipeline.talk_style import not_a_lesson
from app.schemas import Preferences, Segment, TranscriptData
from tests.eval_harness import REAL_SET, WIDE_SET, labels
from tests.fakes import ScriptedLLM, fake_video
from tests.test_stages import Recorder, engagement, interest

LECTURE = [
    "the enzyme lowers the energy the reaction needs to get started",
    "so the substrate binds to the active site and the bonds are strained",
    "and that is why the rate climbs with temperature until the protein unfolds",
    "now let us look at what an inhibitor does to the same curve",
]
CHAT = [
    "yeah man I mean you know it was crazy",
    "oh dude we were so tired after the fight",
    "and he goes yeah yeah whatever you know",
    "it was a damn good night honestly",
]


def said(lines: list[str], *, seconds_each: float = 4.0, times: int = 30) -> TranscriptData:
    segments = [
        Segment(text=line, start=i * seconds_each, duration=seconds_each) for i, line in enumerate(lines * times)
    ]
    return TranscriptData(video_id="v", language_code="en", is_generated=True, segments=segments)


def test_a_chat_is_no_lesson_and_a_lecture_is_one() -> None:
    reason = not_a_lesson(said(CHAT))
    assert reason is not None and reason.startswith("sounds like a chat, not a lesson (")
    assert not_a_lesson(said(LECTURE)) is None
    mixed = said(LECTURE * 12 + CHAT[:1])  # one aside in a long lecture
    assert not_a_lesson(mixed) is None


def test_a_talk_with_hardly_any_speech_is_no_lesson_whatever_it_shows() -> None:
    music = said(["[Music]", "wow", "[Music]", "[Applause]"], seconds_each=6.0)
    reason = not_a_lesson(music)
    assert reason is not None and reason.startswith("has hardly any speech (")
    assert not_a_lesson(said(LECTURE, seconds_each=8.0)) is None  # slow, with pauses to show things: still a lesson


@pytest.mark.parametrize("asked", ["more podcasts please", "interviews with scientists", "long conversations"])
def test_a_user_who_asks_for_podcasts_or_conversations_gets_them(asked: str) -> None:
    assert not_a_lesson(said(CHAT), [asked]) is None
    assert not_a_lesson(said(CHAT), ["proofs"]) is not None


@pytest.mark.parametrize("eval_dir", [REAL_SET, WIDE_SET], ids=["real", "wide"])
def test_on_real_captions_every_lecture_is_a_lesson_and_most_podcast_chat_is_not(eval_dir) -> None:  # type: ignore[no-untyped-def]
    kinds = labels(eval_dir)["videos"]
    judged: Counter[tuple[str, bool]] = Counter()
    for video in json.loads((eval_dir / "catalog.json").read_text(encoding="utf-8"))["videos"]:
        if not video.get("transcript") or video["id"] not in kinds:
            continue
        segments = [Segment(**{k: s[k] for k in ("text", "start", "duration")}) for s in video["transcript"]]
        transcript = TranscriptData(video_id=video["id"], language_code="en", is_generated=True, segments=segments)
        judged[kinds[video["id"]]["kind"], not_a_lesson(transcript) is None] += 1
    assert judged["learning", True] >= 25 and judged["learning", False] == 0
    assert judged["entertainment", False] >= 0.8 * (judged["entertainment", False] + judged["entertainment", True])


def test_the_clip_stage_leaves_a_chat_out_and_the_short_feed_says_so() -> None:
    found = interest("Enzymes")
    videos = [fake_video(n, "enzymes").candidate.model_copy(update={"interest": "Enzymes"}) for n in ("talk", "chat")]
    texts = [said(LECTURE).model_copy(update={"video_id": "talk"}), said(CHAT).model_copy(update={"video_id": "chat"})]
    progress = Recorder()
    prefs = Preferences()
    stages.clips(Engines(ScriptedLLM()), videos, texts, [found], engagement("t1"), prefs, progress)
    assert progress.reason_for("chat").startswith("sounds like a chat, not a lesson")
    assert "chat" not in progress.reason_for("talk")
    log = [{"kind": "skipped", "stage": "clip", "item": item, "message": why} for item, why in progress.skipped]
    sentence = shortfall(1, 10, {"search": 2, "screen": 2, "transcripts": 2, "clip": 1}, log)
    assert "2 had a usable transcript, 1 was chat or hardly any speech rather than a lesson and 1 of the rest" in (
        sentence
    )
    asked = Preferences(instructions="more podcasts please")
    progress = Recorder()
    stages.clips(Engines(ScriptedLLM()), videos, texts, [found], engagement("t1"), asked, progress)
    assert "chat" not in progress.reason_for("chat")
