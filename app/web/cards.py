"""Clip cards, rendered once and kept: a card is a pure function of what it shows.

Every visit, reload and way back to the feed renders the same cards again, and cards
are most of a feed page's rendering. A kept card is keyed by everything its template
reads: the clip as the feed shows it (with the user's vote and the cited posts), the
session's CSRF token, the run line above it and the cursor it prefetches. So a kept card
is served only where rendering it afresh would give the same HTML, and never to another
session. While developing (templates reloaded as they change) cards are rendered afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from app.services.feed import FeedEntry
from app.web.templating import templates

REASON_LABELS = (
    ("too_basic", "Too basic"),
    ("too_advanced", "Too advanced"),
    ("off_topic", "Off-topic"),
    ("clickbait", "Clickbait"),
    ("seen_it", "Seen it"),
)
CARDS_KEPT = 2048  # a few MiB: the last pages of the last few hundred feed visits


@dataclass(frozen=True)
class RunLine:
    """The line over the first card of a run: what the newest run changed, or where an earlier run starts."""

    text: str
    newest: bool


def _card(item: FeedEntry, csrf_token: str, run_line: RunLine | None, prefetch: str | None) -> Markup:
    macros = templates.get_template("_clip_card.html").make_module({"csrf_token": csrf_token, "reasons": REASON_LABELS})
    card: Markup = getattr(macros, "clip_card")(item, prefetch=prefetch, run_line=run_line)  # noqa: B009
    return card  # autoescaped: a macro returns Markup


kept_cards = lru_cache(maxsize=CARDS_KEPT)(_card)


def clip_card(item: FeedEntry, csrf_token: str, run_line: RunLine | None, prefetch: str | None) -> Markup:
    """The card's HTML; `prefetch` is the cursor of the next page when this card asks for it on sight."""
    return (_card if templates.env.auto_reload else kept_cards)(item, csrf_token, run_line, prefetch)
