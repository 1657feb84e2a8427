"""Static assets: URLs that name a file's content, and the cache headers that go with them.

Pages link `static_url("app.css")`, which reads `/static/app.css?v=<digest of the file>`.
A request carrying the current digest may be cached for a year (the URL changes when the
file does); any other request for the file is revalidated by its ETag.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
VERSION_PARAM = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    """The first 12 hex digits of the file's SHA-256 (keyed by mtime and size so an edited file gets a new one)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_version(name: str) -> str | None:
    """The digest of static/`name` as it is now; None when there is no such file."""
    path = STATIC_DIR / name
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(name: str) -> str:
    """The URL of static/`name` with its content digest, so browsers may keep it until it changes."""
    version = static_version(name)
    return f"/static/{name}" if version is None else f"/static/{name}?{VERSION_PARAM}={version}"


class VersionedStaticFiles(StaticFiles):
    """StaticFiles that lets browsers keep a file for a year when the URL names its current content."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            wanted = _query_version(scope)
            current = static_version(path)
            response.headers["cache-control"] = IMMUTABLE if wanted and wanted == current else REVALIDATE
        return response


def _query_version(scope: Scope) -> str | None:
    for pair in bytes(scope.get("query_string", b"")).decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if key == VERSION_PARAM:
            return value
    return None
