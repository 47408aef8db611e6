"""Validation of the configurable Kargo URLs (conversion endpoint and Id endpoint).

The endpoint is the one config value that decides where the token goes, so it
is checked strictly: https only (plain http is accepted for loopback hosts,
for local proxies and sandboxes), a plain host name or address, no user info,
no query string and no fragment. The Id endpoint (``sync_url``) follows the
same rules but may keep a fixed query string.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from signal_core.idsync import PRIVACY_PARAMS

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
_NETLOC = re.compile(r"(?:\[::1\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


_QUERY = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")


def _check_base(value: str, field: str) -> tuple[str, str, str]:
    """The checks shared by ``endpoint`` and ``sync_url``: scheme, host, port, user info.

    Returns the normalised ``scheme://host[:port]``, the path and the query.
    """
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value) or "\\" in value:
        raise ValueError(f"{_shown(value)} contains whitespace, a control character or a backslash")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ValueError(f"{_shown(value)} must be an https:// URL")
    if "@" in parts.netloc:
        hint = " (put the token in auth_token)" if field == "endpoint" else ""
        raise ValueError(f"{_shown(value)} must not carry user info{hint}")
    if not _NETLOC.fullmatch(parts.netloc):
        raise ValueError(f"{_shown(value)} has an invalid host or port")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{_shown(value)} has an invalid port") from None
    if port == 0:
        raise ValueError(f"{_shown(value)} has an invalid port")
    if host != "::1" and not _HOST.fullmatch(host):
        raise ValueError(f"{_shown(value)} has an invalid host")
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{_shown(value)} must use https (plain http is allowed only for "
            "127.0.0.1, localhost and ::1)"
        )
    if parts.fragment or value.endswith("#"):
        raise ValueError(f"{_shown(value)} must not carry a fragment")
    path = parts.path or "/"
    if not _PATH.fullmatch(path):
        raise ValueError(f"{_shown(value)} has an invalid path")
    return f"{scheme}://{parts.netloc.lower()}", path, parts.query


def validate_endpoint(value: str) -> str:
    """Return the endpoint normalised (lower-case scheme and host) or raise ``ValueError``."""
    origin, path, query = _check_base(value, "endpoint")
    if query or value.endswith("?"):
        raise ValueError(
            f"{_shown(value)} must not carry a query string or fragment (the plugin adds "
            "advertiser_id, campaign_id and auth_token itself)"
        )
    return f"{origin}{path}"


def validate_sync_url(value: str) -> str:
    """Return the Kargo Id endpoint normalised, keeping its query, or raise ``ValueError``.

    Same rules as the conversion endpoint, except that a query string is kept
    (some accounts get a URL with fixed parameters). It must not name a
    privacy parameter: those come from each event.
    """
    origin, path, query = _check_base(value, "sync_url")
    if not _QUERY.fullmatch(query):
        raise ValueError(f"{_shown(value)} has an invalid query string")
    names = {unquote(pair.split("=", 1)[0]) for pair in query.split("&") if pair}
    clash = sorted(names.intersection(PRIVACY_PARAMS))
    if clash:
        raise ValueError(
            f"{_shown(value)} must not set {', '.join(clash)} (the privacy parameters are "
            "taken from each event)"
        )
    return f"{origin}{path}?{query}" if query else f"{origin}{path}"
