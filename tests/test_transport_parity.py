"""The same wire assertions against both transports: RequestsTransport and Urllib3Transport.

Every test runs once per transport (``transport`` fixture, ids ``requests``
and ``urllib3``) against raw sockets on 127.0.0.1 that record the exact bytes
of each request and answer, hang, drip, reset or lie as scripted. Expected
bytes are spelled out: request line, header order and case, body.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from signal_core import Pipeline, Status
from signal_core.errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    DeadlineExceeded,
    InvalidRequestError,
    ReadTimeout,
    TLSError,
    TransportError,
)
from signal_core.testing import FakeClock, Reply, Sandbox
from signal_core.transport import RequestsTransport
from signal_core.transport_urllib3 import Urllib3Transport
from signal_core.wire import Request, Timeout, encode_query

SECRET = "CANARY_parity_7/+x"
UA = b"User-Agent: signal-core/0.1.0\r\n"
T = Timeout(2.0, 2.0, 5.0)
NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"

# A self-signed certificate for 127.0.0.1 and localhost, valid 2000-2999; test use only.
TEST_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkxVMLXED6JqAvKN1
zGaqX9KwlyaWp2mVbn5IITdKtg6hRANCAATcZ2ruxrWmBpO0Bfj51fhYYFSfA1bM
bkevS5/Am1kIVxM+CISQBGlwLoVqhRNAiJl3R431vwGeEb/Yda9pK0CI
-----END PRIVATE KEY-----
"""
TEST_CERT = """-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIUDPbMtKfRDVZ8o4jLnuRnoOus09gwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSc2lnbmFsLXBhcml0eS10ZXN0MCAXDTAwMDEwMTAwMDAwMFoY
DzI5OTkwMTAxMDAwMDAwWjAdMRswGQYDVQQDDBJzaWduYWwtcGFyaXR5LXRlc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATcZ2ruxrWmBpO0Bfj51fhYYFSfA1bM
bkevS5/Am1kIVxM+CISQBGlwLoVqhRNAiJl3R431vwGeEb/Yda9pK0CIoy8wLTAa
BgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiEA57seccr92020oaeD+ckB32yk4mWLF92ef5uf9nKvi6QC
IA9vSJQc+3zQQYCJ+3lj/gPmMurJJNi9Afb1XH53DIsu
-----END CERTIFICATE-----
"""

TRANSPORTS: dict[str, Callable[..., Any]] = {
    "requests": RequestsTransport,
    "urllib3": Urllib3Transport,
}


# -- a raw, scriptable server ---------------------------------------------------------
Handler = Callable[[socket.socket, bytes], bool]  # True: keep the connection open


def answer(raw: bytes) -> Handler:
    def handle(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(raw)
        return True

    return handle


class RawServer:
    """Records the exact bytes of each request; ``handler`` decides the answer."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        greeting: bytes = b"",
    ):
        self.handler = handler or answer(NO_CONTENT)
        self.greeting = greeting
        self.requests: list[bytes] = []
        self.connections = 0
        self._tls = tls
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._socks.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
                self._socks.append(conn)
            conn.settimeout(10)
            if self.greeting:
                conn.sendall(self.greeting)
            buf = b""
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, rest = buf.partition(b"\r\n\r\n")
                match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
                length = int(match.group(1)) if match else 0
                while len(rest) < length:
                    data = conn.recv(65536)
                    if not data:
                        break
                    rest += data
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buf = rest[length:]
                if not self.handler(conn, self.requests[-1]):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture(params=sorted(TRANSPORTS))
def transport_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(transport_name: str) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def build(**kw: Any) -> Any:
        transport = TRANSPORTS[transport_name](**kw)
        made.append(transport)
        return transport

    yield build
    for transport in made:
        transport.close()


@pytest.fixture
def transport(make: Callable[..., Any]) -> Any:
    return make()


@pytest.fixture
def servers() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(handler: Handler | None = None, **kw: Any) -> RawServer:
        server = RawServer(handler, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(servers: Callable[..., RawServer]) -> RawServer:
    return servers()


def host(server: RawServer) -> bytes:
    return f"Host: 127.0.0.1:{server.port}\r\n".encode()


def assert_clean(exc: TransportError, *forbidden: str) -> None:
    """No URL, host, port or secret in the error; raised outside an except block."""
    assert exc.__context__ is None
    assert exc.__cause__ is None
    for text in (str(exc), repr(exc), repr(exc.args), pickle.dumps(exc).decode("latin-1")):
        for word in (SECRET, "CANARY", "127.0.0.1", "/collect", *forbidden):
            assert word not in text
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc)
    assert str(clone) == str(exc)


# -- exact bytes on the wire ----------------------------------------------------------
def test_post_json_with_query_and_headers(transport, server):
    request = Request(
        "POST",
        f"{server.url}/v1/collect",
        (("key", SECRET), ("q", "a b&c"), ("u", "é")),
        {"Content-Type": "application/json", "X-Idempotency-Key": "ev-1"},
        b'{"event":"conversion","value":89.99}',
    )
    response = transport.send(request, T)
    assert response.status == 204
    query = encode_query(request.query).encode()
    assert server.requests == [
        b"POST /v1/collect?"
        + query
        + b" HTTP/1.1\r\n"
        + host(server)
        + b"Accept-Encoding: identity\r\n"
        + UA
        + b"Content-Type: application/json\r\n"
        + b"X-Idempotency-Key: ev-1\r\n"
        + b"Content-Length: 36\r\n\r\n"
        + b'{"event":"conversion","value":89.99}'
    ]
    assert query == b"key=CANARY_parity_7%2F%2Bx&q=a%20b%26c&u=%C3%A9"


def test_get_has_no_content_length_and_no_body(transport, server):
    transport.send(Request("GET", f"{server.url}/e", (("_n", "Page Viewed"),)), T)
    assert server.requests == [
        b"GET /e?_n=Page%20Viewed HTTP/1.1\r\n"
        + host(server)
        + b"Accept-Encoding: identity\r\n"
        + UA
        + b"\r\n"
    ]


@pytest.mark.parametrize("body", [None, b""])
def test_post_without_body_sends_content_length_zero(transport, server, body):
    transport.send(Request("POST", f"{server.url}/p", body=body), T)
    assert server.requests == [
        b"POST /p HTTP/1.1\r\n"
        + host(server)
        + b"Accept-Encoding: identity\r\n"
        + UA
        + b"Content-Length: 0\r\n\r\n"
    ]


def test_header_names_merge_case_insensitively_in_place(transport, server):
    request = Request(
        "post",
        f"{server.url}/p",
        (),
        {"user-agent": "custom/1", "content-length": "999", "X-A": "1", "x-a": "2"},
        b"abc",
    )
    transport.send(request, T)
    assert server.requests == [
        b"POST /p HTTP/1.1\r\n"
        + host(server)
        + b"Accept-Encoding: identity\r\n"
        + b"user-agent: custom/1\r\nContent-Length: 3\r\nx-a: 2\r\n\r\nabc"
    ]


@pytest.mark.parametrize(
    ("url", "query", "target"),
    [
        ("/p?own=1&b=%7e", (("a", "1"),), b"/p?own=1&b=~&a=1"),
        ("/p?", (("a", "1"),), b"/p?&a=1"),
        ("/p?x=100%", (("a", "b c"),), b"/p?x=100%25&a=b%2520c"),
        ("/p#frag", (("a", "1"),), b"/p"),
        ("/caf\u00e9/ x/../y?q=a b", (), b"/caf%C3%A9/y?q=a%20b"),
        ("/p;par?q=1", (("z", "1"),), b"/p;par?q=1&z=1"),
        ("", (), b"/"),
    ],
)
def test_url_preparation(transport, server, url, query, target):
    transport.send(Request("GET", f"{server.url}{url}", query), T)
    [got] = server.requests
    assert got.split(b"\r\n", 1)[0] == b"GET " + target + b" HTTP/1.1"


def test_user_info_becomes_basic_authorization_at_the_end(transport, server):
    url = server.url.replace("://", "://us%20er:p%40ss@") + "/p"
    transport.send(Request("GET", url, (), {"Z": "1"}), T)
    assert server.requests == [
        b"GET /p HTTP/1.1\r\n"
        + host(server)
        + b"Accept-Encoding: identity\r\n"
        + UA
        + b"Z: 1\r\nAuthorization: Basic dXMgZXI6cEBzcw==\r\n\r\n"
    ]


def test_host_is_lower_cased(transport, server):
    transport.send(Request("GET", f"http://LOCALHOST:{server.port}/P"), T)
    [got] = server.requests
    assert got.startswith(f"GET /P HTTP/1.1\r\nHost: localhost:{server.port}\r\n".encode())


HOSTILE = [
    ("amp", "a&b"),
    ("eq", "k=v"),
    ("hash", "#frag"),
    ("question", "?x=1"),
    ("percent", "100%"),
    ("encoded", "%41%2F"),
    ("plus", "a+b"),
    ("slash", "/x/../y"),
    ("backslash", "a\\b"),
    ("crlf", "\r\nHost: evil.example"),
    ("unicode", "café ☕ 𝄞 日本"),
    ("empty", ""),
    ("k&e=y#?", "v"),
]


def test_hostile_query_values_arrive_byte_exact(transport, server):
    transport.send(Request("GET", f"{server.url}/q", tuple(HOSTILE)), T)
    [got] = server.requests
    assert got.split(b"\r\n", 1)[0] == f"GET /q?{encode_query(HOSTILE)} HTTP/1.1".encode()


def test_latin1_header_value_is_sent_as_latin1(transport, server):
    transport.send(Request("GET", f"{server.url}/p", (), {"X-Name": "café"}), T)
    assert server.requests[0].endswith(b"X-Name: caf\xe9\r\n\r\n")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Lead": " value"}, "invalid request: InvalidHeader"),
        ({"X-Tab": "\tvalue"}, "invalid request: InvalidHeader"),
        ({"X-Wide": "日本"}, "invalid request: URL or header cannot be encoded"),
        ({"X-Token": f"{SECRET}\r\nX-Evil: 1"}, None),
    ],
)
def test_unsendable_headers_send_nothing(transport, server, headers, reason):
    with pytest.raises(InvalidRequestError) as info:
        transport.send(Request("POST", f"{server.url}/collect", (), headers, b"{}"), T)
    if reason is not None:
        assert str(info.value) == reason
    assert_clean(info.value)
    assert info.value.sent is False
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://*.example/p", "http:///p", "http://127.0.0.1:99999/p", "http://127.0.0.1:x/p"],
)
def test_invalid_urls(transport, url):
    with pytest.raises(InvalidRequestError) as info:
        transport.send(Request("GET", url, (("key", SECRET),)), T)
    assert str(info.value) == "invalid request: InvalidURL"
    assert_clean(info.value, "99999")


def test_keep_alive_reuses_one_connection(transport, server):
    for i in range(3):
        transport.send(Request("POST", f"{server.url}/p", (("i", str(i)),), {}, b"x"), T)
    assert len(server.requests) == 3
    assert server.connections == 1


def test_http_proxy_gets_the_absolute_url_and_proxy_credentials(make, servers):
    proxy = servers()
    transport = make(proxies={"http": f"http://pu:pp@127.0.0.1:{proxy.port}"})
    transport.send(Request("GET", "http://vendor.example:8080/e", (("a", "1"),)), T)
    assert proxy.requests == [
        b"GET http://vendor.example:8080/e?a=1 HTTP/1.1\r\nHost: vendor.example:8080\r\n"
        b"Accept-Encoding: identity\r\n" + UA + b"Proxy-Authorization: Basic cHU6cHA=\r\n\r\n"
    ]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_refused_proxy_is_a_connect_error(make, scheme):
    port = closed_port()
    transport = make(proxies={scheme: f"http://127.0.0.1:{port}"})
    with pytest.raises(ConnectError) as info:
        transport.send(Request("GET", f"{scheme}://vendor.example/collect", (("k", SECRET),)), T)
    assert info.value.sent is False
    assert_clean(info.value, "vendor.example", str(port))


# -- responses ------------------------------------------------------------------------
def test_response_status_headers_and_body(transport, servers):
    server = servers(
        answer(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nX-Dup: a\r\n"
            b"x-dup: b\r\nContent-Length: 4\r\n\r\nbusy"
        )
    )
    response = transport.send(Request("POST", f"{server.url}/p", body=b"{}"), T)
    assert response.status == 503
    assert response.body == b"busy"
    assert response.headers == {"retry-after": "2", "x-dup": "a, b", "content-length": "4"}
    assert response.header("Retry-After") == "2"


def test_a_large_body_is_read_only_up_to_the_limit_and_the_connection_dropped(make, servers):
    big = 5 * 1024 * 1024
    server = servers(answer(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % big + b"x" * big))
    transport = make(max_response_bytes=1000)
    assert transport.send(Request("GET", f"{server.url}/big"), T).body == b"x" * 1000
    transport.send(Request("GET", f"{server.url}/big"), T)
    assert server.connections == 2  # the unread rest was not left on a pooled connection


def test_redirects_are_not_followed(transport, servers):
    elsewhere = servers()
    server = servers(
        answer(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s/stolen\r\n"
            b"Content-Length: 0\r\n\r\n" % elsewhere.url.encode()
        )
    )
    response = transport.send(
        Request("POST", f"{server.url}/p", (), {"Authorization": f"Bearer {SECRET}"}, b"{}"), T
    )
    assert response.status == 307
    assert response.header("location") == f"{elsewhere.url}/stolen"
    assert len(server.requests) == 1
    assert elsewhere.requests == []


def test_a_vendor_cookie_is_never_sent_back(transport, servers):
    server = servers(
        answer(b"HTTP/1.1 200 OK\r\nSet-Cookie: vid=visitor_A; Path=/\r\nContent-Length: 0\r\n\r\n")
    )
    for i in range(2):
        transport.send(Request("GET", f"{server.url}/e", (("i", str(i)),)), T)
    assert b"cookie" not in server.requests[1].lower()


# -- faults ----------------------------------------------------------------------------
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return int(port)


def test_connection_refused(transport):
    port = closed_port()
    with pytest.raises(ConnectError) as info:
        transport.send(Request("POST", f"http://127.0.0.1:{port}/collect", (("k", SECRET),)), T)
    assert info.value.sent is False
    assert str(info.value) == "connection failed: refused or unreachable"
    assert_clean(info.value, str(port))


def test_connect_timeout_when_the_listen_queue_is_full(transport):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(ConnectTimeout) as info:
            transport.send(
                Request("GET", f"http://127.0.0.1:{port}/collect", (("k", SECRET),)),
                Timeout(0.3, 2.0, 5.0),
            )
        assert time.monotonic() - started <= 0.3 + 0.5
    finally:
        filler.close()
        listener.close()
    assert info.value.sent is False
    assert_clean(info.value, str(port))


def _reset(conn: socket.socket, request: bytes) -> bool:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False  # closing with linger 0 sends RST


def _close(conn: socket.socket, request: bytes) -> bool:
    return False


@pytest.mark.parametrize(
    ("handler", "method"),
    [
        (_reset, "POST"),
        (_reset, "GET"),
        (_close, "POST"),
        (_close, "GET"),
        (answer(b"GARBAGE\r\n\r\n"), "POST"),
        (answer(b"HTTP/1.1 2x0 OK\r\n\r\n"), "GET"),
    ],
    ids=["reset-post", "reset-get", "close-post", "close-get", "garbage", "bad-status"],
)
def test_broken_answers_are_a_lost_connection(transport, servers, handler, method):
    server = servers(handler)
    with pytest.raises(ConnectionLost) as info:
        transport.send(Request(method, f"{server.url}/collect", (("k", SECRET),)), T)
    assert str(info.value) == "connection lost: closed, reset or answered with garbage"
    assert info.value.sent is True
    assert_clean(info.value, str(server.port))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_no_answer_is_a_read_timeout(transport, servers, method):
    server = servers(lambda conn, request: (time.sleep(3), False)[1])
    started = time.monotonic()
    with pytest.raises(ReadTimeout) as info:
        transport.send(
            Request(method, f"{server.url}/collect", (("k", SECRET),)), Timeout(1, 0.3, 5)
        )
    assert time.monotonic() - started <= 0.3 + 0.5
    assert str(info.value) == "read timeout"
    assert_clean(info.value)


def _drip(prefix: bytes, gap: float = 0.05) -> Handler:
    def handle(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(prefix)
        for _ in range(100):
            time.sleep(gap)
            conn.sendall(b"x")
        return False

    return handle


@pytest.mark.parametrize(
    "prefix",
    [b"HTTP/1.1 200 OK\r\nX-Slow: ", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"],
    ids=["headers", "body"],
)
def test_a_drip_cannot_outlive_the_total_deadline(transport, servers, prefix):
    server = servers(_drip(prefix))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as info:
        transport.send(
            Request("GET", f"{server.url}/collect", (("k", SECRET),)), Timeout(1, 0.3, 0.6)
        )
    assert time.monotonic() - started <= 0.6 + 0.5
    assert str(info.value).startswith("deadline exceeded: ")
    assert_clean(info.value)


def test_a_truncated_body_is_a_lost_connection(transport, servers):
    server = servers(
        lambda c, r: (
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
            False,
        )[1]
    )
    with pytest.raises(ConnectionLost) as info:
        transport.send(Request("GET", f"{server.url}/collect", (("k", SECRET),)), T)
    assert str(info.value) == "connection lost: body truncated or reset"
    assert_clean(info.value)


# -- TLS --------------------------------------------------------------------------------
@pytest.fixture
def cert_files(tmp_path: Path) -> tuple[str, str]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key.write_text(TEST_KEY)
    cert.write_text(TEST_CERT)
    return str(key), str(cert)


@pytest.fixture
def tls_server(servers, cert_files) -> RawServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_files[1], cert_files[0])
    return servers(tls=context)


def test_tls_is_verified_by_default(transport, tls_server):
    with pytest.raises(TLSError) as info:
        transport.send(Request("POST", f"{tls_server.url}/collect", (("k", SECRET),), {}, b"{}"), T)
    assert info.value.sent is False
    assert_clean(info.value)
    assert tls_server.requests == []


def test_tls_with_a_trusted_ca_file_delivers(make, tls_server, cert_files):
    transport = make(verify=cert_files[1])
    response = transport.send(Request("POST", f"{tls_server.url}/collect", (), {}, b"{}"), T)
    assert response.status == 204
    assert tls_server.requests == [
        b"POST /collect HTTP/1.1\r\n"
        + host(tls_server)
        + b"Accept-Encoding: identity\r\n"
        + UA
        + b"Content-Length: 2\r\n\r\n{}"
    ]


def test_plain_http_on_an_https_url_is_a_tls_error(transport, servers):
    server = servers(greeting=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(TLSError) as info:
        transport.send(Request("GET", f"https://127.0.0.1:{server.port}/collect"), T)
    assert str(info.value) == "TLS error: certificate or handshake rejected"
    assert server.requests == []


def test_a_tls_handshake_that_never_ends_is_bounded_by_the_connect_timeout(transport, servers):
    server = servers(greeting=b"")  # accepts, then says nothing: the handshake waits
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as info:
        transport.send(
            Request("GET", f"https://127.0.0.1:{server.port}/collect", (("k", SECRET),)),
            Timeout(0.5, 2.0, 0.3),
        )
    assert time.monotonic() - started <= 0.5 + 0.5
    assert str(info.value) == "deadline exceeded: no complete response before the deadline"
    assert_clean(info.value)


# -- under the pipeline -----------------------------------------------------------------
def test_pipeline_retries_and_delivers_through_either_transport(transport, caplog):
    with Sandbox([Reply(503), 204]) as box:
        pipeline = Pipeline(
            [
                {
                    "vendor": "echo",
                    "name": "echo",
                    "config": {"api_key": SECRET},
                    "base_url": box.url,
                }
            ],
            transport=transport,
            clock=FakeClock(),
        )
        with caplog.at_level(logging.DEBUG):
            [result] = pipeline.send(
                {
                    "type": "track",
                    "event": "Order Completed",
                    "anonymous_id": "a1",
                    "message_id": "m-1",
                    "timestamp": "2025-06-06T09:00:00Z",
                }
            )
        pipeline.close()
    assert result.status is Status.DELIVERED
    assert result.attempts == 2
    assert [r.method for r in box.requests] == ["POST", "POST"]
    assert box.requests[0].body == box.requests[1].body
    assert box.requests[0].target == "/collect?key=CANARY_parity_7%2F%2Bx"
    assert box.requests[0].body == b'{"event":"purchase","id":"m-1","user":"a1"}'
    assert box.requests[0].headers == {
        "Host": box.url.split("//", 1)[1],
        "Accept-Encoding": "identity",
        "User-Agent": "signal-core/0.1.0",
        "Content-Type": "application/json",
        "Content-Length": "43",
    }
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert any("urllib3" in record.name for record in caplog.records)
