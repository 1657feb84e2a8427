"""Each stage's prompt, rendered with its data, and the JSON schema its reply must follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from app.llm.base import STAGES
from app.llm.local import LocalEngine
from app.llm.messages import clips_message, interests_message, queries_message, screen_message, written_message
from app.llm.output_schemas import STAGE_OUTPUTS, strict_json_schema
from app.llm.prompts import load_prompt
from app.llm.segments import topic_segments
from tests import llm_samples as s
from tests.fake_openai_server import data_blocks, strict_schema_problems

LOCAL = LocalEngine()


def clip_rows() -> list[Any]:
    clip = LOCAL.choose_clip(s.candidates()[0], s.interests()[0], s.transcript(), s.engagement(), s.PREFS)
    assert clip is not None
    return [
        (clip, s.candidates()[0], "cheddaring stacks the slabs of curd on top of each other", ["1860000000000000000"])
    ]


RENDER: dict[str, Callable[[], str]] = {
    "interests": lambda: interests_message(s.engagement(), s.interests(), s.PREFS),
    "queries": lambda: queries_message(s.interests(), s.PREFS),
    "screen": lambda: screen_message(s.candidates()[:3], s.interests(), s.PREFS),
    "clip": lambda: clips_message(
        [(s.candidates()[0], s.interests()[0], [(t, t.text[:80]) for t in topic_segments(s.transcript().segments)])],
        s.interests(),
        s.PREFS,
    ),
    "rank": lambda: written_message(clip_rows(), s.engagement()[:1], s.PREFS, with_score=True),
    "explain": lambda: written_message(clip_rows(), s.engagement()[:1], s.PREFS, with_score=False),
}
BLOCKS = {
    "interests": ("engagement", "candidates"),
    "queries": ("interests",),
    "screen": ("interests", "candidates"),
    "clip": ("interests", "videos", "segments"),
    "rank": ("clips", "posts"),
    "explain": ("clips", "posts"),
}
WRITTEN = {
    "video_id": "pg000000000",
    "text": 'It says "cheddaring stacks the slabs".',
    "tweet_ids": ["1860000000000000000"],
}
REPLIES: dict[str, dict[str, Any]] = {
    "interests": {
        "interests": [
            {
                "name": "Cheddaring curds",
                "description": "How the cheesemaker cheddars curds.",
                "weight": 0.9,
                "evidence_tweet_ids": ["1860000000000000000"],
                "keywords": ["washed curd"],
            }
        ]
    },
    "queries": {"queries": [{"interest": "Cheddaring curds", "query": "cheddaring talk"}]},
    "screen": {
        "decisions": [
            {"video_id": "pg000000000", "keep": True, "interest": "Cheddaring curds", "reason": "r", "score": 1}
        ]
    },
    "clip": {"choices": [{"video_id": "pg000000000", "segment": 2, "score": 0.8}]},
    "rank": {"ranked": [WRITTEN]},
    "explain": {"explanations": [WRITTEN]},
}


def test_every_stage_has_a_renderer_a_schema_and_a_reply() -> None:
    assert set(STAGES) == set(RENDER) == set(STAGE_OUTPUTS) == set(REPLIES)


@pytest.mark.parametrize("stage", STAGES)
def test_a_prompt_renders_with_its_data_and_its_reply_follows_the_schema(stage: str) -> None:
    prompt = load_prompt(stage)
    messages = prompt.messages(RENDER[stage]())

    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == prompt.system
    user = messages[1]["content"]
    assert user.startswith("<preferences>") and s.PREFS.instructions in user
    for block in BLOCKS[stage]:
        (found,) = data_blocks(user, block)
        assert found.items()  # one JSON array per record, under the block's columns
    output = STAGE_OUTPUTS[stage]
    assert strict_schema_problems(strict_json_schema(output)) == []
    assert output.model_validate(REPLIES[stage]).model_dump() == REPLIES[stage]
    key = next(iter(REPLIES[stage]))
    with pytest.raises(ValidationError):
        output.model_validate({key: [{**REPLIES[stage][key][0], "unexpected": 1}]})
