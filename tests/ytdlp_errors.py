"""yt-dlp's failures as it raises them: a DownloadError whose `exc_info` holds the network error underneath."""

from __future__ import annotations

import io

from yt_dlp.networking import Response
from yt_dlp.networking.exceptions import HTTPError, ProxyError, RequestError, TransportError
from yt_dlp.utils import DownloadError

UNRESOLVED = (
    "HTTPSConnection(host='www.youtube.com', port=443): Failed to resolve 'www.youtube.com' "
    "([Errno -2] Name or service not known)"
)


def download_error(cause: RequestError) -> DownloadError:
    """The error `extract_info` raises when a request of its failed with `cause` (message as yt-dlp words it)."""
    return DownloadError(
        f'ERROR: query "q" page 1: Unable to download API page: {cause} (caused by {cause!r})',
        exc_info=(type(cause), cause, None),
    )


def refused(status: int, reason: str) -> DownloadError:
    """YouTube answered with an HTTP error."""
    response = Response(io.BytesIO(b""), "https://www.youtube.com/youtubei/v1/search", {}, status=status, reason=reason)
    return download_error(HTTPError(response))


def unresolved() -> DownloadError:
    """No network: the address of YouTube does not resolve."""
    return download_error(TransportError(msg=UNRESOLVED))


def timed_out() -> DownloadError:
    return download_error(TransportError(msg="HTTPSConnectionPool(host='www.youtube.com', port=443): Read timed out."))


def proxy_down() -> DownloadError:
    return download_error(ProxyError(msg="('Unable to connect to proxy', NewConnectionError('Connection refused'))"))
