"""The app's routes as (method, path template) pairs, for tests that must cover every route."""

from __future__ import annotations

from typing import Any

from starlette.routing import Mount, Route


def _walk(routes: list[Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            continue
        if isinstance(route, Route):
            found.extend((method, route.path) for method in route.methods or ())
        elif hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
            for context in route.effective_route_contexts():
                found.extend((method, context.path) for method in context.methods or ())
    return sorted(set(found))


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (METHOD, /path/{param}) the app serves, including included routers."""
    return _walk(list(app.routes))
