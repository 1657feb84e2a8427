"""ASGI middleware: request logging, security headers and CSRF protection.

Written as plain ASGI (not BaseHTTPMiddleware) so uploads stream through untouched and
the CSRF check can read a small urlencoded body and replay it to the route.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

import structlog
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.security import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, csrf_valid

log = structlog.get_logger("openrec.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_FORM_BYTES = 1024 * 1024

YOUTUBE_SCRIPT_ORIGIN = "https://www.youtube.com"
YOUTUBE_FRAME_ORIGIN = "https://www.youtube-nocookie.com"
THUMBNAIL_ORIGIN = "https://i.ytimg.com"


def content_security_policy(settings: Settings) -> str:
    """Only our own scripts and styles, YouTube's player API and its nocookie frames."""
    scripts = "'self'" if settings.openrec_youtube_player_stub else f"'self' {YOUTUBE_SCRIPT_ORIGIN}"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            f"img-src 'self' data: {THUMBNAIL_ORIGIN}",
            f"frame-src {YOUTUBE_FRAME_ORIGIN}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(settings).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                existing = {name for name, _ in message["headers"]}
                message["headers"].extend(h for h in self.headers if h[0] not in existing)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLogMiddleware:
    """One structured line per request: user id, method, route, status, duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_capturing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_capturing)
        finally:
            route = scope.get("route")
            state: MutableMapping[str, Any] = scope.get("state", {})
            log.info(
                "request",
                method=scope["method"],
                route=getattr(route, "path", None) or "unmatched",
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                user_id=state.get("user_id"),
            )


def _cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    return cookie_parser(raw).get(name) if raw else None


class CSRFMiddleware:
    """Double-submit CSRF check on every state-changing request.

    A random cookie is set on first visit; pages embed an HMAC of it as a hidden field
    (forms), an `X-CSRF-Token` header (htmx, fetch) or a `csrf_token` query parameter
    (multipart uploads, so the file never has to be parsed here). Requests that
    authenticate with a bearer API token carry no ambient authority and are exempt.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = _cookie(headers, CSRF_COOKIE)
        new_cookie = None
        if cookie is None:
            new_cookie = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_cookie"] = cookie or new_cookie

        if scope["method"] not in SAFE_METHODS and not headers.get("authorization", "").lower().startswith("bearer "):
            submitted = headers.get(CSRF_HEADER)
            if submitted is None:
                submitted = Request(scope).query_params.get(CSRF_FIELD)
            if submitted is None and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                body, receive = await _read_small_body(receive)
                if body is None:
                    await _reject(scope, receive, send, 413, "Form too large.")
                    return
                values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
                submitted = values[0] if values else None
            if not csrf_valid(self.settings, cookie, submitted):
                await _reject(
                    scope,
                    receive,
                    send,
                    403,
                    "This form has expired or did not come from openrec. Reload the page and try again.",
                )
                return

        if new_cookie is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                flags = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.settings.openrec_secure_cookies else "")
                message.setdefault("headers", []).append(
                    (b"set-cookie", f"{CSRF_COOKIE}={new_cookie}; {flags}".encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _read_small_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read a form body of at most MAX_FORM_BYTES and return a receive that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _reject(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    response: Response
    if scope["path"].startswith("/api/"):
        response = JSONResponse({"detail": message}, status_code=status)
    else:
        response = PlainTextResponse(message, status_code=status)
    await response(scope, receive, send)
