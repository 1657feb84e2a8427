"""How requests reach YouTube: the proxies and cookies an operator sets for a server whose IP YouTube blocks.

YouTube refuses caption requests (and asks yt-dlp to "sign in to confirm you're not a
bot") from most cloud and datacenter addresses. One OPENREC_PROXY_URL serves both
clients; each can have its own, and captions can go through the rotating residential
proxies youtube-transcript-api supports (Webshare).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from youtube_transcript_api.proxies import GenericProxyConfig, ProxyConfig, WebshareProxyConfig

from app.config import Settings


def transcript_proxy(settings: Settings) -> ProxyConfig | None:
    """The proxy config of caption requests: Webshare when its credentials are set, else the generic proxy."""
    if settings.openrec_webshare_proxy_username and settings.openrec_webshare_proxy_password:
        locations = [code.strip() for code in settings.openrec_webshare_proxy_locations.split(",") if code.strip()]
        return WebshareProxyConfig(
            proxy_username=settings.openrec_webshare_proxy_username,
            proxy_password=settings.openrec_webshare_proxy_password,
            filter_ip_locations=locations or None,
        )
    if settings.transcript_proxy_url:
        return GenericProxyConfig(http_url=settings.transcript_proxy_url, https_url=settings.transcript_proxy_url)
    return None


def ytdlp_network_options(settings: Settings) -> dict[str, Any]:
    """yt-dlp parameters for the proxy and the cookies file, when set."""
    options: dict[str, Any] = {}
    if settings.ytdlp_proxy_url:
        options["proxy"] = settings.ytdlp_proxy_url
    if settings.openrec_ytdlp_cookies_file:
        options["cookiefile"] = settings.openrec_ytdlp_cookies_file
    return options


def describe_transcript_proxy(settings: Settings) -> str:
    """Which proxy caption requests use, in words, without its password."""
    if settings.openrec_webshare_proxy_username and settings.openrec_webshare_proxy_password:
        return "the Webshare rotating residential proxy"
    if settings.transcript_proxy_url:
        return f"the proxy {redacted(settings.transcript_proxy_url)}"
    return "no proxy"


def redacted(url: str) -> str:
    """A proxy URL fit for a log line or a terminal: its user name and password replaced by `***`."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"***@{parts.hostname or ''}" + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
