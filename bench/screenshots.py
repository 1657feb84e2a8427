"""Refreshes the product pictures: docs/screenshot.png (1280×800), docs/screenshot-phone.png (390×844)
and static/landing-feed.png (the phone picture the landing page shows).

    .venv/bin/python bench/screenshots.py

It sets up the demo account on a fresh SQLite file, serves the app on loopback with the local
player stub (nothing leaves the machine; thumbnails are blocked, so the player box shows its
neutral face) and photographs the demo feed in Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-screenshots"
SHOTS = {
    "desktop": ({"width": 1280, "height": 800}, [ROOT / "docs" / "screenshot.png"]),
    "phone": (
        {"width": 390, "height": 844},
        [ROOT / "docs" / "screenshot-phone.png", ROOT / "static" / "landing-feed.png"],
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loopback_only(route: Route) -> None:
    if route.request.url.startswith("http://127.0.0.1"):
        route.continue_()
    else:
        route.abort()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="openrec-shots-"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.sqlite3'}",
        "SECRET_KEY": "screenshots",
        "OPENREC_ENV": "test",
        "REDIS_URL": "",
        "OPENAI_API_KEY": "",
        "OPENREC_YOUTUBE_PLAYER_STUB": "true",
        "OPENREC_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "demo", "--password", PASSWORD], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for name, (viewport, paths) in SHOTS.items():
                phone = name == "phone"
                context = browser.new_context(
                    viewport=viewport, has_touch=phone, is_mobile=phone, color_scheme="dark", device_scale_factor=1
                )
                context.route("**/*", _loopback_only)
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill('input[name="email"]', "demo@openrec.local")
                page.fill('input[name="password"]', PASSWORD)
                page.click('button[type="submit"].primary')
                page.wait_for_url(f"{base}/")
                page.wait_for_selector(".clip.has-player")
                page.wait_for_timeout(600)
                for path in paths:
                    page.screenshot(path=str(path))
                    print(f"wrote {path.relative_to(ROOT)}")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
