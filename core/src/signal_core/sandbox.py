"""A recording HTTP server on 127.0.0.1 that stands in for vendors.

Used by the demo and by tests: it records every request exactly as it
arrived (method, raw path with query, headers, body) and answers from a
script of responses (default ``204``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass(frozen=True)
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    @property
    def query(self) -> list[tuple[str, str]]:
        """Decoded query pairs, in order (``%20`` and ``+`` both as space)."""
        return parse_qsl(self.raw_query, keep_blank_values=True)

    @property
    def decoded_target(self) -> str:
        return unquote(self.target)


@dataclass
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Sandbox:
    """``with Sandbox() as box: ... box.url ... box.requests``."""

    def __init__(self, replies: Iterable[Reply | int] = (), default: Reply | int = 204) -> None:
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque(_reply(r) for r in replies)
        self._routes: dict[str, deque[Reply]] = {}
        self._default = _reply(default)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply | int) -> None:
        with self._lock:
            self._replies.extend(_reply(r) for r in replies)

    def route(self, path_prefix: str, *replies: Reply | int) -> None:
        """Script replies for requests whose path starts with ``path_prefix``
        (checked before the general script)."""
        with self._lock:
            self._routes.setdefault(path_prefix, deque()).extend(_reply(r) for r in replies)

    def start(self) -> Sandbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            for prefix, queue in self._routes.items():
                if queue and recorded.path.startswith(prefix):
                    return queue.popleft()
            return self._replies.popleft() if self._replies else self._default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        box = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                reply = box._next(Recorded(self.command, self.path, headers, body))
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.body and self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _reply(value: Reply | int) -> Reply:
    return value if isinstance(value, Reply) else Reply(status=value)
