"""How responses are compressed: the gzip middleware's settings, shared with the pages kept compressed."""

from __future__ import annotations

import zlib

from starlette.requests import Request

GZIP_MINIMUM_BYTES = 1400  # smaller bodies fit one packet anyway
GZIP_LEVEL = 6  # zlib's default: nearly level 9's size at a fraction of its CPU


def gzipped(body: bytes) -> bytes | None:
    """The body as a gzip stream, as the middleware would send it; None when it is too small to bother."""
    if len(body) < GZIP_MINIMUM_BYTES:
        return None
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes gzip, by the same test as the middleware."""
    return "gzip" in request.headers.get("accept-encoding", "")
