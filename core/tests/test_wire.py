"""Request/Response values: query encoding, base_url, reprs that hide URLs."""

from __future__ import annotations

from urllib.parse import unquote

from signal_core.wire import Request, Response, encode_query

HOSTILE = [
    ("amp&eq=", "a&b=c"),
    ("hash#q?", "#frag?x=1"),
    ("pct%", "100% + 50%25"),
    ("plus+space", "a+b c"),
    ("slash/", "/etc/passwd\\x"),
    ("crlf", "line1\r\nline2\nline3"),
    ("unicode", "café ☕ 𝄞 日本"),
    ("empty", ""),
]


def decode(raw):
    return [tuple(unquote(part) for part in pair.split("=", 1)) for pair in raw.split("&")]


def test_encode_query_is_reversible_and_has_no_raw_delimiters():
    raw = encode_query(HOSTILE)
    assert decode(raw) == HOSTILE
    assert raw.count("&") == len(HOSTILE) - 1
    assert raw.count("=") == len(HOSTILE)
    for ch in "#? +\r\n/\\":
        assert ch not in raw
    assert raw.isascii()
    assert "%20" in raw
    assert "%2B" in raw


def test_full_url_appends_query_with_the_right_separator():
    assert Request("GET", "https://v.example/p").full_url == "https://v.example/p"
    assert (
        Request("GET", "https://v.example/p", (("a", "1"),)).full_url == "https://v.example/p?a=1"
    )
    fixed = Request("GET", "https://v.example/p?v=2", (("a", "b c"),))
    assert fixed.full_url == "https://v.example/p?v=2&a=b%20c"


def test_with_base_url_replaces_scheme_host_port_and_keeps_path_and_query():
    req = Request(
        "POST", "https://v.example:8443/api/v1/t?fixed=1", (("k", "v"),), {"A": "b"}, b"x"
    )
    moved = req.with_base_url("http://127.0.0.1:9999")
    assert moved.url == "http://127.0.0.1:9999/api/v1/t?fixed=1"
    assert moved.full_url == "http://127.0.0.1:9999/api/v1/t?fixed=1&k=v"
    assert (moved.method, moved.query, dict(moved.headers), moved.body) == (
        "POST",
        (("k", "v"),),
        {"A": "b"},
        b"x",
    )


def test_with_headers_merges():
    req = Request("GET", "https://v.example/", headers={"A": "1", "B": "2"})
    assert dict(req.with_headers({"B": "3", "C": "4"}).headers) == {"A": "1", "B": "3", "C": "4"}
    assert dict(req.headers) == {"A": "1", "B": "2"}


def test_reprs_never_show_url_query_headers_or_body():
    req = Request(
        "POST",
        "https://v.example/p/SECRETPATH",
        (("key", "SECRET"),),
        {"Authorization": "SECRET"},
        b"SECRET",
    )
    assert repr(req) == "<Request POST v.example>"
    assert req.host == "v.example"
    assert repr(Response(503, {"x": "SECRET"}, b"SECRET")) == "<Response 503>"


def test_response_header_lookup_is_case_insensitive():
    assert Response(200, {"retry-after": "3"}).header("Retry-After") == "3"
    assert Response(200).header("Retry-After") is None
