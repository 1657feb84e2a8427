"""Small TCP doubles on loopback: a Redis that answers PING, and an HTTP proxy that refuses every request.

The proxy records the first line of each request (`CONNECT www.youtube.com:443 HTTP/1.1`),
so a test can see which clients really went through it.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def _serve(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            handle(self.request)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _answer_redis(connection: socket.socket) -> None:
    """RESP over one connection: the RESP3 handshake, +PONG to PING, +OK to anything else (CLIENT SETINFO…)."""
    reader = connection.makefile("rb")
    while True:
        header = reader.readline()
        if not header.startswith(b"*"):
            return
        words = []
        for _ in range(int(header[1:])):
            size = int(reader.readline()[1:])
            words.append(reader.read(size + 2)[:size])
        command = words[0].upper() if words else b""
        if command == b"HELLO":
            connection.sendall(b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n")
        else:
            connection.sendall(b"+PONG\r\n" if command == b"PING" else b"+OK\r\n")


@contextmanager
def fake_redis() -> Iterator[str]:
    """A Redis URL on loopback whose server answers PING."""
    with _serve(_answer_redis) as port:
        yield f"redis://127.0.0.1:{port}/0"


@contextmanager
def refusing_proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy URL (with credentials) whose server answers 403 to every request, and the requests seen."""
    seen: list[str] = []

    def refuse(connection: socket.socket) -> None:
        request = connection.makefile("rb").readline().decode("latin-1").strip()
        seen.append(request)
        connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    with _serve(refuse) as port:
        yield f"http://proxyuser:proxy-secret-pw@127.0.0.1:{port}", seen


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
