"""HMAC-SHA256 signatures over the exact body bytes, for senders and receivers."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Signal-Signature"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex HMAC-SHA256 of ``body`` keyed by ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers: does ``header`` sign ``body`` (the raw bytes, before any JSON parsing)?"""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
