"""Redacted, printable views of requests (``--dry-run``, ``Pipeline.preview``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .integration import Integration
from .redact import MASK
from .wire import Request

_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass(frozen=True)
class RequestPreview:
    integration: str
    vendor: str
    event_id: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "integration": self.integration,
            "vendor": self.vendor,
            "method": self.method,
            "url": self.url,
            "headers": self.headers,
            "body": self.body,
        }

    def __str__(self) -> str:
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body is not None:
            lines += ["", self.body]
        return "\n".join(lines)


def _mask_header(name: str, value: str, integration: Integration) -> str:
    if name.lower() in _CREDENTIAL_HEADERS:
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {MASK}" if rest else MASK
    return integration.redact(value)


def preview_request(request: Request, integration: Integration, event_id: str) -> RequestPreview:
    body = None
    if request.body is not None:
        body = integration.redact(request.body.decode("utf-8", errors="replace"))
    return RequestPreview(
        integration=integration.name,
        vendor=integration.vendor,
        event_id=event_id,
        method=request.method,
        url=integration.redact(request.full_url),
        headers={k: _mask_header(k, v, integration) for k, v in request.headers.items()},
        body=body,
    )
