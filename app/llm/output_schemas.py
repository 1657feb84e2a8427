"""What the model must answer at each stage, as strict JSON schemas.

Strict structured output (OpenAI, and the grammar-constrained decoders of Ollama, vLLM and
llama.cpp) requires every object to forbid extra keys and to list every property as
required, so these models have no defaults and no optional fields; the rules a schema
cannot say (how many items, which ids) are checked by the engine after parsing.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterestOut(Output):
    name: str
    description: str
    weight: float
    evidence_tweet_ids: list[str]
    keywords: list[str]


class InterestsOutput(Output):
    interests: list[InterestOut]


class QueryOut(Output):
    interest: str
    query: str


class QueriesOutput(Output):
    queries: list[QueryOut]


class DecisionOut(Output):
    video_id: str
    keep: bool
    interest: str
    reason: str
    score: float


class ScreenOutput(Output):
    decisions: list[DecisionOut]


class ChoiceOut(Output):
    video_id: str
    segment: int  # the number of the chosen topic segment; 0 when none is worth a clip
    score: float


class ClipsOutput(Output):
    """One choice of topic segment per video shown."""

    choices: list[ChoiceOut]


class WrittenOut(Output):
    video_id: str
    text: str
    tweet_ids: list[str]


class RankOutput(Output):
    """The clips shown, best first, each with its explanation."""

    ranked: list[WrittenOut]


class ExplainOutput(Output):
    explanations: list[WrittenOut]


STAGE_OUTPUTS: dict[str, type[Output]] = {
    "interests": InterestsOutput,
    "queries": QueriesOutput,
    "screen": ScreenOutput,
    "clip": ClipsOutput,
    "rank": RankOutput,
    "explain": ExplainOutput,
}


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the strict form: no extra keys anywhere, every key required."""
    schema = model.model_json_schema()
    _make_strict(schema)
    return schema


def _make_strict(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for value in node.values():
            _make_strict(value)
    elif isinstance(node, list):
        for item in node:
            _make_strict(item)
