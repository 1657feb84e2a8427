"""The API reference and the favicon are served from our own files, under the Content Security Policy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_reference_loads_its_assets_from_this_server_with_no_inline_script(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts and all('src="/static/' in attributes for attributes in scripts)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    assert 'data-openapi-url="/api/openapi.json"' in page.text
    assert client.get("/api/openapi.json").json()["info"]["title"] == "openrec"


def test_the_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
