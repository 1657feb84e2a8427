"""Stage prompts (versioned text files in `app/prompts/`) and the data blocks they are given.

A prompt file starts with a header (`version: 2026-11-29.3`), then a line `---`, then the
system message. The user message is built here: a <preferences> block (custom instructions
and a feedback summary, which the prompt tells the model to follow) and <data> blocks for
everything written by others (tweets, titles, descriptions, transcripts), which the prompt
tells the model to treat as data only. Untrusted text can neither close a block nor open a
new one: every tag-like occurrence of a block name inside it is neutralised, and each item
sits on one line (a JSON array under the block's column names, or a transcript sentence
after its start second), so the records cost few tokens beyond their own text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from app.llm.openai_client import Message
from app.schemas import Preferences

PROMPTS_PACKAGE = "app"
BLOCK_NAMES = ("data", "preferences")
MAX_FEEDBACK_LINES = 12
_BLOCK_TAG = re.compile(r"<(\s*/?\s*)(" + "|".join(BLOCK_NAMES) + r")\b", re.IGNORECASE)
_HEADER = re.compile(r"^(?P<key>[a-z_]+):\s*(?P<value>.+)$")
_WHITESPACE = re.compile(r"\s+")


class PromptFileError(ValueError):
    """A prompt file without its version header: a packaging mistake, caught at start-up."""


@dataclass(frozen=True)
class Prompt:
    stage: str
    version: str
    system: str

    def messages(self, user: str) -> list[Message]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


@cache
def load_prompt(stage: str) -> Prompt:
    """The prompt of one stage, from `app/prompts/<stage>.md`."""
    text = resources.files(PROMPTS_PACKAGE).joinpath("prompts", f"{stage}.md").read_text(encoding="utf-8")
    return parse_prompt(stage, text)


def parse_prompt(stage: str, text: str) -> Prompt:
    header, sep, body = text.partition("\n---\n")
    fields = {m["key"]: m["value"].strip() for line in header.splitlines() if (m := _HEADER.match(line.strip()))}
    if not sep or "version" not in fields or not body.strip():
        raise PromptFileError(f"prompt {stage!r} needs a 'version:' header, a '---' line and a body")
    return Prompt(stage=stage, version=fields["version"], system=body.strip())


def neutralise(text: str) -> str:
    """Untrusted text with its block tags defused (`</data>` becomes `‹/data>`) and on one line."""
    return _BLOCK_TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", _WHITESPACE.sub(" ", text).strip())


def rows_block(name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A block of untrusted records, one JSON array per line, the column names said once."""
    lines = [json.dumps(_clean(list(row)), ensure_ascii=False, separators=(",", ":")) for row in rows]
    return data_block(name, lines, columns=",".join(columns))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def data_block(name: str, lines: Iterable[str], **attributes: str | float) -> str:
    """A delimited block of untrusted lines; `lines` must already be neutralised."""
    attrs = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f'<data name="{name}"{attrs}>\n' + "\n".join(lines) + "\n</data>"


def preferences_block(prefs: Preferences) -> str:
    """What the person asked for: instructions, a summary of recent votes, hidden channels."""
    lines = [f"Custom instructions: {neutralise(prefs.instructions) or '(none)'}"]
    recent = prefs.feedback[-MAX_FEEDBACK_LINES:]
    liked = [f'"{neutralise(f.title)}" ({neutralise(f.interest)})' for f in recent if f.vote > 0]
    disliked = [
        f'"{neutralise(f.title)}" ({neutralise(f.interest)}{", " + f.reason.replace("_", " ") if f.reason else ""})'
        for f in recent
        if f.vote < 0
    ]
    if liked:
        lines.append("Liked recently: " + "; ".join(liked))
    if disliked:
        lines.append("Disliked recently: " + "; ".join(disliked))
    if prefs.hidden_channels:
        lines.append("Hidden channels: " + "; ".join(neutralise(c) for c in prefs.hidden_channels))
    return "<preferences>\n" + "\n".join(lines) + "\n</preferences>"


def transcript_lines(lines: Iterable[tuple[float, str]]) -> list[str]:
    """`[start] text` per sentence, the start in whole seconds: what the model answers with."""
    return [f"[{round(start)}] {neutralise(text)}" for start, text in lines]


def user_message(prefs: Preferences, *blocks: str) -> str:
    return "\n\n".join([preferences_block(prefs), *blocks])


def reask_messages(messages: Sequence[Message], reply: str | None, problem: str) -> list[Message]:
    """The conversation again, with the rejected reply and why it was rejected."""
    follow_up: list[Message] = []
    if reply:
        follow_up.append({"role": "assistant", "content": reply})
    follow_up.append(
        {
            "role": "user",
            "content": f"That answer was rejected: {neutralise(problem)}. Answer again, following every rule.",
        }
    )
    return [*messages, *follow_up]
