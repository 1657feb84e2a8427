"""Feed pages rendered once per version of what they show, and served again until it changes.

A page of the feed (HTML or JSON) is a pure function of the user's feed data and of the
request: the cursor, full page or htmx fragment, the browser's CSRF token. The database
moves `users.feed_version` on every write to that data (triggers added with the column:
clips, votes, hidden channels, posts, runs, the videos in the feed), and the version is
read with the signed-in user on every request anyway. So a page kept under the user, the
version and the request is the page a fresh render would give, in every server process,
and a write anywhere (another process, the worker, a script) retires it at once.

What moves with the clock is never kept (the feed's end says when the next scheduled run
starts), nor anything for a browser without its CSRF cookie yet (its token is new each
time). While developing (templates reloaded as they change) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from threading import Lock

from cachetools import LRUCache
from starlette.requests import Request
from starlette.responses import Response

from app.services.users import Account
from app.web.compression import accepts_gzip, gzipped
from app.web.templating import templates

PAGES_KEPT = 256  # about 30 KiB each: a few MiB for the last pages of the last visits
KEPT_HEADERS = ("vary", "cache-control")


@dataclass(frozen=True)
class _Kept:
    body: bytes
    gzipped: bytes | None  # compressed once, for every client that takes gzip
    media_type: str | None
    headers: tuple[tuple[str, str], ...]


PageKey = tuple[Hashable, ...]
_pages: LRUCache[PageKey, _Kept] = LRUCache(maxsize=PAGES_KEPT)
_lock = Lock()  # handlers run on several threads; the cache's bookkeeping is not thread-safe


def page_key(account: Account, *request: Hashable) -> PageKey:
    """The key of one user's page at the version of their feed data this request read (with when the account was
    made: SQLite may give a deleted account's id to the next one, whose version starts again from 0)."""
    return (account.id, account.created_at, account.feed_version, *request)


def kept_page(key: PageKey, request: Request) -> Response | None:
    """The page kept under `key`, as a new response (compressed already where the client takes gzip); None when
    there is none."""
    if templates.env.auto_reload:
        return None
    with _lock:
        kept = _pages.get(key)
    if kept is None:
        return None
    headers = dict(kept.headers)
    if kept.gzipped is None or not accepts_gzip(request):
        return Response(kept.body, media_type=kept.media_type, headers=headers)
    # Sent as the gzip middleware would send it; a body already encoded goes through it untouched.
    headers["content-encoding"] = "gzip"
    headers["vary"] = ", ".join(filter(None, [headers.get("vary"), "Accept-Encoding"]))
    return Response(kept.gzipped, media_type=kept.media_type, headers=headers)


def keep_page(key: PageKey, response: Response) -> Response:
    """Keep a page rendered for `key` (a 200 with its body in hand), and hand it back."""
    if response.status_code == 200 and not templates.env.auto_reload:
        body = bytes(response.body)
        headers = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
        kept = _Kept(body, gzipped(body), response.media_type, headers)  # compressed before the lock is taken
        with _lock:
            _pages[key] = kept
    return response
