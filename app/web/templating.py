"""Jinja2 environment (autoescaped) and the page-rendering helper every page uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from app.config import Settings
from app.security import csrf_token_for
from app.web.static import static_url

ROOT = Path(__file__).resolve().parents[2]
templates = Jinja2Templates(directory=str(ROOT / "templates"))


def format_seconds(value: float | int | None) -> str:
    """12:31 or 1:42:10, as video players show times."""
    if value is None:
        return ""
    total = int(value)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


_URL = re.compile(r"\bhttps?://(?:www\.)?([^/\s?#]+)[^\s]*", re.IGNORECASE)


def short_links(text: str) -> str:
    """Post text with each raw link shortened to its site ("x.com/…"), so long links neither wrap nor crowd."""
    return _URL.sub(lambda m: f"{m.group(1)}/…" if len(m.group(0)) > len(m.group(1)) + 9 else m.group(1), text)


templates.env.filters["clock"] = format_seconds
templates.env.globals["static_url"] = static_url
templates.env.filters["short_links"] = short_links


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry (derived from its CSRF cookie)."""
    settings: Settings = request.app.state.settings
    return csrf_token_for(settings, getattr(request.state, "csrf_cookie", None) or "")


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """Render a page or fragment with the signed-in user and the CSRF token in scope."""
    base = {
        "user": getattr(request.state, "user", None),
        "csrf_token": csrf_token(request),
        "settings": request.app.state.settings,
    }
    return templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status_code)
