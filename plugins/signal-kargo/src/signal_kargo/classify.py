"""What is special about Kargo's answers; everything else is the core default."""

from __future__ import annotations

from signal_core import Integration, Outcome, Response

_PRINTABLE = frozenset(chr(c) for c in range(32, 127))


def _excerpt(body: bytes, limit: int = 160) -> str:
    """A short, single-line, printable excerpt of a response body (never forges log lines)."""
    if not body:
        return ""
    text = body[: limit * 4].decode("utf-8", errors="replace")
    clean = "".join(ch if ch in _PRINTABLE else " " for ch in text)
    clean = " ".join(clean.split())[:limit]
    return f" (Kargo said: {clean})" if clean else ""


def classify(response: Response | None, integration: Integration) -> Outcome | None:
    if response is None:
        return None
    status = response.status
    if status in (401, 403):
        phrase = "Unauthorized" if status == 401 else "Forbidden"
        return Outcome.failed(
            f"{status} {phrase}: the auth_token is invalid or scoped to another advertiser "
            f"(advertiser_id {integration.config['advertiser_id']!r}); ask your Kargo "
            "account manager to re-issue it"
        )
    if status == 400:
        return Outcome.failed(
            "400 Bad Request: the payload shape differs from what this Kargo account "
            "expects; capture the exact request with `signal send --dry-run` and share it "
            f"with your Kargo account manager{_excerpt(response.body)}"
        )
    return None
