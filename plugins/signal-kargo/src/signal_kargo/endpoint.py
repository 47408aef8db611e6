"""Validation of the configurable Kargo endpoint URL.

The endpoint is the one config value that decides where the token goes, so it
is checked strictly: https only (plain http is accepted for loopback hosts,
for local proxies and sandboxes), a plain host name or address, no user info,
no query string and no fragment.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
_NETLOC = re.compile(r"(?:\[::1\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def validate_endpoint(value: str) -> str:
    """Return the endpoint normalised (lower-case scheme and host) or raise ``ValueError``."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value) or "\\" in value:
        raise ValueError(f"{_shown(value)} contains whitespace, a control character or a backslash")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ValueError(f"{_shown(value)} must be an https:// URL")
    if "@" in parts.netloc:
        raise ValueError(f"{_shown(value)} must not carry user info (put the token in auth_token)")
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
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError(
            f"{_shown(value)} must not carry a query string or fragment (the plugin adds "
            "advertiser_id, campaign_id and auth_token itself)"
        )
    path = parts.path or "/"
    if not _PATH.fullmatch(path):
        raise ValueError(f"{_shown(value)} has an invalid path")
    return f"{scheme}://{parts.netloc.lower()}{path}"
