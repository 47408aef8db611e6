"""The ``webhook`` vendor declaration and the validation of its URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from signal_core import ConfigField, Vendor

VENDOR = "webhook"
MAX_BATCH_SIZE = 100
"""Events per request in ``send_many`` (the declaration is static: one value for every
integration). ``send`` always sends one event per request."""
MAX_BATCH_BYTES = 1_000_000
"""A batch whose body would be larger is split in halves by the core."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_url(value: str) -> str:
    """An https URL (http only for loopback hosts), without user info or fragment.

    Raises ``ValueError`` with a reason; the URL is not a secret, so it may be shown.
    """
    shown = repr(value if len(value) <= 80 else value[:77] + "...")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"{shown} contains whitespace or a control character")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown} is not a valid URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise ValueError(f"{shown} must be an https:// URL with a host")
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(f"{shown} must use https (http only for 127.0.0.1, localhost, ::1)")
    if "@" in parts.netloc:
        raise ValueError(f"{shown} must not carry a user or password: use `secret` to sign")
    if parts.fragment or value.endswith("#"):
        raise ValueError(f"{shown} must not have a fragment (#...)")
    if port == 0:
        raise ValueError(f"{shown} has an invalid port")
    return value


SPEC = Vendor(
    name=VENDOR,
    description="Generic JSON webhook: POSTs events to a URL you choose, optionally "
    "signed with HMAC-SHA256.",
    config=(
        ConfigField(
            "url",
            required=True,
            validator=validate_url,
            description="Where to POST the events: https (http only for loopback hosts). "
            "It is shown in previews and logs, so keep credentials out of it.",
        ),
        ConfigField(
            "secret",
            secret=True,
            description="Signing secret: each request gets X-Signal-Signature: sha256=<hex "
            "HMAC-SHA256 of the exact body>. No signature when unset.",
        ),
    ),
    # page and identify events keep their type as the name; every track event is
    # sent under its own name (passthrough). Integrations may rename or disable any.
    presets={
        "default": {"page": {"vendor_event": "page"}, "identify": {"vendor_event": "identify"}}
    },
    default_preset="default",
    consent_categories=("analytics",),
    max_batch_size=MAX_BATCH_SIZE,
    max_batch_bytes=MAX_BATCH_BYTES,
    hosts=(),  # the URL is each integration's own
    dedups=False,
    unmapped="passthrough",
)
