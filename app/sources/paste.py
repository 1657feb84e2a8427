"""Pasted tweets or notes: one entry per blank-line-separated block, or per line when there are no blank lines."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from app.sources.tweet_records import ImportInputError, RecordBatch, TweetRecord

MAX_PASTE_CHARS = 200_000
MAX_ENTRIES = 2_000
MAX_ENTRY_CHARS = 2_000
SKIP_SHORTENED = f"note cut to its first {MAX_ENTRY_CHARS:,} characters"
SKIP_TOO_MANY = f"entries beyond the first {MAX_ENTRIES:,} ignored"
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class PasteError(ImportInputError):
    """Pasted text that cannot be imported as a whole."""


def parse_paste(text: str, *, now: datetime) -> RecordBatch:
    """Notes from pasted text; each note's id is a hash of its normalized text, so re-pasting adds nothing."""
    if len(text) > MAX_PASTE_CHARS:
        raise PasteError(
            f"The text is {len(text):,} characters long; paste at most {MAX_PASTE_CHARS:,} at a time "
            "(or import your X archive instead)."
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    entries = [piece.strip() for piece in pieces if piece.strip()]
    if not entries:
        raise PasteError("There is nothing to import: paste some tweets or notes, one per line.")
    batch = RecordBatch()
    if len(entries) > MAX_ENTRIES:
        batch.skipped[SKIP_TOO_MANY] = len(entries) - MAX_ENTRIES
    for entry in entries[:MAX_ENTRIES]:
        if len(entry) > MAX_ENTRY_CHARS:
            batch.skipped[SKIP_SHORTENED] += 1
            entry = entry[:MAX_ENTRY_CHARS]
        batch.add(TweetRecord(tweet_id=note_id(entry), kind="note", text=entry, created_at=now, url=None))
    return batch


def note_id(text: str) -> str:
    """A stable id for a note: case, Unicode form and spacing do not change it."""
    normalized = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return "note-" + hashlib.sha256(normalized.encode()).hexdigest()[:16]
