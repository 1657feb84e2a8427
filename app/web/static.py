"""Static assets: URLs that name a file's content, and the cache headers that go with them.

Pages link `static_url("app.css")`, which reads `/static/app.css?v=<digest of the file>`.
A request carrying the current digest may be cached for a year (the URL changes when the
file does); any other request for the file is revalidated by its ETag.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
VERSION_PARAM = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class AssetVersions:
    """Content digests of the static files, read once each unless `watch` (while developing) is on."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.watch = False
        self._known: dict[str, tuple[int, int, str]] = {}  # name -> (mtime_ns, size, digest)

    def version(self, name: str) -> str | None:
        """The first 12 hex digits of the SHA-256 of static/`name`; None when there is no such file."""
        known = self._known.get(name)
        if known is not None and not self.watch:
            return known[2]
        path = self.directory / name
        try:
            stat = path.stat()
            if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
                return known[2]
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        except OSError:
            return None
        self._known[name] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


versions = AssetVersions(STATIC_DIR)


def static_url(name: str) -> str:
    """The URL of static/`name` with its content digest, so browsers may keep it until it changes."""
    version = versions.version(name)
    return f"/static/{name}" if version is None else f"/static/{name}?{VERSION_PARAM}={version}"


class VersionedStaticFiles(StaticFiles):
    """StaticFiles that lets browsers keep a file for a year when the URL names its current content."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            wanted = _query_version(scope)
            current = versions.version(path)
            response.headers["cache-control"] = IMMUTABLE if wanted and wanted == current else REVALIDATE
        return response


def _query_version(scope: Scope) -> str | None:
    for pair in bytes(scope.get("query_string", b"")).decode("latin-1").split("&"):
        key, _, value = pair.partition("=")
        if key == VERSION_PARAM:
            return value
    return None
