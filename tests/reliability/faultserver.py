"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose.

Each request is answered by one :class:`Action`: taken from a fixed route
(by path), else from the script (a queue, one per request), else from a
``chooser`` (the mixed, seeded mode of the accounting test), else the default.
The server records every request it read (method, raw target, headers,
body), counts TCP connections, and for a huge body counts the bytes it managed
to push before the client hung up.

Kinds of action:

``reply``     a normal HTTP/1.1 answer (keep-alive), with optional headers
``reset``     read the request, then close with SO_LINGER 0 (a TCP RST)
``close``     read the request, then close without a byte of answer
``garbage``   answer with a line that is not an HTTP status line, then close
``hang``      read the request and never answer (until the server stops)
``drip``      send the answer one byte every ``interval`` seconds (``part``:
              ``head``, ``body`` or ``all``)
``truncate``  declare a Content-Length 1000 bytes larger than what is sent
``huge``      stream ``size`` bytes with Content-Length ``size``
``mirror``    answer ``status`` with the whole request (target, headers, body)
              as the body, as many real error pages do
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

MB = 1024 * 1024


@dataclass(frozen=True)
class Action:
    kind: str
    status: int = 204
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    interval: float = 0.0
    part: str = "all"
    size: int = 0

    def __str__(self) -> str:
        if self.kind == "reply":
            extra = "".join(f" {k}={v}" for k, v in self.headers)
            return f"{self.status}{extra}"
        return self.kind


def reply(status: int = 204, body: bytes = b"", **headers: str) -> Action:
    pairs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
    return Action("reply", status=status, headers=pairs, body=body)


def retry_after(status: int, value: str) -> Action:
    return Action("reply", status=status, headers=(("Retry-After", value),))


def redirect(location: str, status: int = 302) -> Action:
    return Action("reply", status=status, headers=(("Location", location),))


def mirror(status: int, **headers: str) -> Action:
    pairs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
    return Action("mirror", status=status, headers=pairs)


def drip(interval: float, part: str = "all", status: int = 200, body: bytes = b"ok") -> Action:
    return Action("drip", status=status, body=body, interval=interval, part=part)


def huge(size: int = 50 * MB, status: int = 200) -> Action:
    return Action("huge", status=status, size=size)


RESET = Action("reset")
CLOSE = Action("close")
GARBAGE = Action("garbage")


def garbage(line: bytes) -> Action:
    """Answer with ``line`` (not an HTTP status line), then close."""
    return Action("garbage", body=line)


HANG = Action("hang")
TRUNCATED = Action("truncate", status=200, body=b'{"partial":')
OK = reply(204)


@dataclass(frozen=True)
class Hit:
    """One request as the server read it, and the action that answered it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    action: str = ""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def raw_query(self) -> str:
        return urlsplit(self.target).query

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.raw_query, keep_blank_values=True)

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


class Mixer:
    """Picks an action per request from weighted choices, with a seeded RNG."""

    def __init__(self, weighted: Iterable[tuple[Action, float]], seed: int) -> None:
        items = list(weighted)
        self.actions = [a for a, _ in items]
        self.weights = [w for _, w in items]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, hit: Hit) -> Action:
        with self._lock:
            return self._rng.choices(self.actions, self.weights)[0]


class FaultServer:
    """``with FaultServer(RESET, OK) as server: ... server.url ... server.requests``."""

    def __init__(
        self,
        *script: Action,
        default: Action = OK,
        tls: ssl.SSLContext | None = None,
        routes: dict[str, Action] | None = None,
        chooser: Callable[[Hit], Action] | None = None,
        port: int = 0,
    ) -> None:
        self.default = default
        self.routes = dict(routes or {})
        self.chooser = chooser
        self.requests: list[Hit] = []
        self.connections = 0
        self.tls_failures = 0
        self.huge_sent: list[int] = []
        self._script: deque[Action] = deque(script)
        self._tls = tls
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(256)
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    # -- control --------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def script(self, *actions: Action) -> None:
        with self._lock:
            self._script.extend(actions)

    def set_default(self, action: Action, *, clear_chooser: bool = True) -> None:
        with self._lock:
            self.default = action
            if clear_chooser:
                self.chooser = None
            self._script.clear()

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ----------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _choose(self, hit: Hit) -> Action:
        with self._lock:
            route = self.routes.get(hit.path)
            if route is not None:
                return route
            if self._script:
                return self._script.popleft()
            chooser = self.chooser
        return chooser(hit) if chooser is not None else self.default

    def _serve(self, raw: socket.socket) -> None:
        conn: socket.socket = raw
        try:
            raw.settimeout(10)
            if self._tls is not None:
                try:
                    conn = self._tls.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    with self._lock:
                        self.tls_failures += 1
                    return
            buffer = b""
            while not self._stop.is_set():
                parsed = _read_request(conn, buffer)
                if parsed is None:
                    return
                hit, buffer = parsed
                action = self._choose(hit)
                with self._lock:
                    self.requests.append(
                        Hit(hit.method, hit.target, hit.headers, hit.body, str(action))
                    )
                if not self._act(conn, action, hit):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._open.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def _act(self, conn: socket.socket, action: Action, hit: Hit) -> bool:
        """Answer; ``True`` keeps the connection for the next request."""
        kind = action.kind
        if kind == "reply":
            body = b"" if hit.method == "HEAD" else action.body
            conn.sendall(_head(action.status, action.headers, len(action.body)) + body)
            return True
        if kind == "mirror":
            lines = [f"{hit.method} {hit.target}"] + [f"{k}: {v}" for k, v in hit.headers.items()]
            body = ("\n".join(lines) + "\n\n").encode("latin-1", "replace") + hit.body
            conn.sendall(_head(action.status, action.headers, len(body)) + body)
            return True
        if kind == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if kind == "close":
            return False
        if kind == "garbage":
            conn.sendall(action.body or b"SSH-2.0-not-http garbage\r\n\r\n")
            return False
        if kind == "hang":
            self._stop.wait(30)
            return False
        if kind == "truncate":
            conn.sendall(_head(action.status, action.headers, len(action.body) + 1000))
            conn.sendall(action.body)
            return False
        if kind == "drip":
            head = _head(action.status, action.headers, len(action.body))
            if action.part == "head":
                self._drip(conn, head, action.interval)
                conn.sendall(action.body)
            elif action.part == "body":
                conn.sendall(head)
                self._drip(conn, action.body, action.interval)
            else:
                self._drip(conn, head + action.body, action.interval)
            return False
        if kind == "huge":
            self._huge(conn, action)
            return False
        raise ValueError(f"unknown action {kind!r}")

    def _drip(self, conn: socket.socket, data: bytes, interval: float) -> None:
        for i in range(len(data)):
            conn.sendall(data[i : i + 1])
            if self._stop.wait(interval):
                return

    def _huge(self, conn: socket.socket, action: Action) -> None:
        # A small send buffer keeps the count close to what the client accepted.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        conn.settimeout(5)
        sent = 0
        chunk = b"x" * (64 * 1024)
        try:
            conn.sendall(_head(action.status, action.headers, action.size))
            while sent < action.size and not self._stop.is_set():
                sent += conn.send(chunk[: min(len(chunk), action.size - sent)])
        except OSError:
            pass
        finally:
            with self._lock:
                self.huge_sent.append(sent)


def _head(status: int, headers: tuple[tuple[str, str], ...], length: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[Hit, bytes] | None:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return Hit(method, target, headers, rest[:length]), rest[length:]


# -- TLS ------------------------------------------------------------------------
def self_signed_context(directory: str) -> ssl.SSLContext:
    """A server context with a certificate made now, for 127.0.0.1, trusted by nobody.

    Uses the ``cryptography`` package when installed, else the ``openssl`` CLI.
    """
    import os

    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    try:
        _make_cert_with_cryptography(cert, key)
    except ImportError:
        import subprocess

        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                key,
                "-out",
                cert,
            ],
            check=True,
            capture_output=True,
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _make_cert_with_cryptography(cert_path: str, key_path: str) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll ``predicate`` (server-side bookkeeping lags the client by a moment)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()
