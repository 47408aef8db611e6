"""The postback URL template: validated once at load time, rendered per event.

A template is the URL the Knorex account manager hands out, with
placeholders such as ``{kcid}`` in its query string. Scheme, host, port and
path are fixed text; placeholders may appear only after ``?`` and every value
put in their place is percent-encoded with nothing left reserved, so no value
can add a ``&``, ``=``, ``#``, ``/`` or ``?`` of its own.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

PLACEHOLDERS = (
    "kcid",
    "goal_id",
    "value",
    "currency",
    "order_id",
    "event_id",
    "timestamp",
    "token",
)
"""Every placeholder a template may use; ``token`` is filled from the secret config field."""

_KNOWN = frozenset(PLACEHOLDERS)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# RFC 3986 characters a URL may carry as they are (braces are placeholders only).
_URL_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
# What ``quote(value, safe="")`` can produce: a placeholder's text on the wire.
_ENCODED = "([A-Za-z0-9._~%-]*)"


@dataclass(frozen=True)
class PostbackTemplate:
    """A parsed template: literal text and placeholder names, alternating."""

    text: str
    literals: tuple[str, ...]
    names: tuple[str, ...]
    query_pattern: re.Pattern[str]

    def uses(self, name: str) -> bool:
        return name in self.names

    def render(self, values: Mapping[str, str], token: str = "") -> str:
        """The URL with every placeholder replaced by its percent-encoded value.

        A placeholder without a value becomes the empty string.
        """
        literals = self.literals
        out = [literals[0]]
        for index, name in enumerate(self.names):
            value = token if name == "token" else values.get(name, "")
            if value:
                out.append(quote(value, safe=""))
            out.append(literals[index + 1])
        return "".join(out)

    def values_in(self, url: str) -> dict[str, str]:
        """Read placeholder values back from a rendered URL's query (decoded).

        Used to name the goal id in a failure reason; empty when the URL
        does not match the template.
        """
        try:
            query = urlsplit(url).query
        except ValueError:
            return {}
        match = self.query_pattern.fullmatch(query)
        if match is None:
            return {}
        found: dict[str, str] = {}
        for name, value in zip(self.names, match.groups()):
            found.setdefault(name, unquote(value))
        return found


def _fail(problem: str) -> ValueError:
    return ValueError(problem)


def _check_host(netloc: str, hostname: str | None, port_text: str) -> None:
    if not netloc or not hostname:
        raise _fail("must name a host, e.g. https://host.example/path?kcid={kcid}")
    if "@" in netloc:
        raise _fail("must not carry a user name or password before the host")
    try:
        ipaddress.ip_address(hostname)
        return
    except ValueError:
        pass
    name = hostname[:-1] if hostname.endswith(".") else hostname
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise _fail(f"has an invalid host name {hostname[:60]!r}")
    if _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        # URL parsers and getaddrinfo read "0x7f.1" or "2130706433" as an IPv4
        # address (127.0.0.1): a host that ends in a number must be a plain IP.
        raise _fail(f"has a host {hostname[:60]!r} that is a number but not a plain IP address")
    if port_text and not port_text.isdigit():
        raise _fail("has an invalid port")


def parse_template(raw: object) -> str:
    """Validate a ``postback_url`` (the ConfigField validator); return it stripped.

    Raises ``ValueError`` with a reason a human can act on.
    """
    if not isinstance(raw, str):
        raise _fail(f"must be a string, got {type(raw).__name__}")
    text = raw.strip()
    compile_template(text)
    return text


@lru_cache(maxsize=128)
def compile_template(text: str) -> PostbackTemplate:
    """Parse and validate ``text`` into a :class:`PostbackTemplate` (cached)."""
    literals: list[str] = []
    names: list[str] = []
    start = 0
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in _KNOWN:
            known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
            raise _fail(f"unknown placeholder {{{name[:40]}}} (known: {known})")
        literals.append(text[start : match.start()])
        names.append(name)
        start = match.end()
    literals.append(text[start:])
    literal = "".join(literals)
    if "{" in literal or "}" in literal:
        raise _fail("has a '{' or '}' that is not part of a placeholder such as {kcid}")
    bad = _URL_TEXT.sub("", literal)
    if bad:
        raise _fail(
            f"contains {bad[0]!r}, which a URL cannot carry as is "
            "(use the URL exactly as the account manager gave it, percent-encoded)"
        )
    if _LONE_PERCENT.search(literal):
        raise _fail("has a '%' that is not followed by two hex digits")
    if "#" in literal:
        raise _fail("must not have a fragment ('#...'): it is never sent to the server")
    question = literals[0].find("?")
    if names and question < 0:
        raise _fail(
            f"placeholder {{{names[0]}}} is outside the query string: placeholders may "
            "appear only after '?', so no value can change the scheme, host or path"
        )
    head = text[:question] if question >= 0 else text
    try:
        parts = urlsplit(head)
        hostname = parts.hostname
    except ValueError as exc:
        raise _fail(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() != "https":
        raise _fail(
            "must be an https URL (to test against a local server, keep the https URL "
            "and set the integration's base_url)"
        )
    port_text = parts.netloc.rpartition("]")[2].rpartition(":")[2] if ":" in parts.netloc else ""
    _check_host(parts.netloc, hostname, port_text)
    try:
        port = parts.port
    except ValueError:
        raise _fail("has an invalid port") from None
    if port == 0:
        raise _fail("has an invalid port")
    query_literals = [literals[0][question + 1 :], *literals[1:]] if question >= 0 else [""]
    pattern = _ENCODED.join(re.escape(piece) for piece in query_literals)
    return PostbackTemplate(
        text=text,
        literals=tuple(literals),
        names=tuple(names),
        query_pattern=re.compile(pattern),
    )
