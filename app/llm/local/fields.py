"""Fields of study: the names people give a subject when their own words and the titles do not.

A person who posts "the crater has been smoking all week" and "felt the ground hum on the
hike up, the rangers closed the trail" follows volcanology without writing the word, and the
videos found for them ("What happens in the hour before an eruption?") may not write it
either. The field of study nearest in meaning to an interest's posts and videos names it the
way a person would. The list (`data/fields.txt`) holds the main branches of the outline of
academic disciplines and their usual sub-fields; meaning is the sentence encoder's
(`encoder`), which places "volcanology" near those posts where averaged token vectors cannot.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from app.llm.local.encoder import encode

_LIST = Path(__file__).parent / "data" / "fields.txt"


@lru_cache(maxsize=1)
def fields() -> tuple[str, ...]:
    """The field names, in the list's order."""
    lines = (line.strip() for line in _LIST.read_text(encoding="utf-8").splitlines())
    return tuple(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


@lru_cache(maxsize=1)
def _vectors() -> np.ndarray:
    return encode(list(fields()))


def nearest_field(about: np.ndarray) -> tuple[str, float]:
    """The field nearest to a unit vector of the encoder's, and its cosine."""
    similarity = _vectors() @ about
    best = int(np.argmax(similarity))
    return fields()[best], float(similarity[best])
