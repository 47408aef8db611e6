"""The plugin contract: every hook a vendor plugin may implement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .errors import TransportError
    from .events import Event
    from .idsync import IdSync
    from .integration import Integration
    from .mapping import EventRule
    from .outcome import Outcome
    from .payload import Payload
    from .transport import Transport
    from .vendor import Vendor
    from .wire import Request, Response

PROJECT = "signal"
_hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@_hookspec
def declare_vendors() -> Sequence[Vendor]:
    """Declare the vendor(s) this plugin delivers to."""
    raise NotImplementedError


@_hookspec(firstresult=True)
def id_sync(event: Event, integration: Integration, privacy: Mapping[str, str]) -> IdSync | None:
    """Describe the HTTP call that resolves the vendor's id for this visitor."""
    raise NotImplementedError


@_hookspec(firstresult=True)
def map_event(event: Event, rule: EventRule, integration: Integration) -> Sequence[Payload] | None:
    """Turn one event into vendor payloads; ``[]`` or ``DropEvent`` drops it."""
    raise NotImplementedError


@_hookspec(firstresult=True)
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    """Build the one HTTP request that carries ``payloads``. Pure: no I/O."""
    raise NotImplementedError


@_hookspec(firstresult=True)
def authorize_request(
    request: Request, integration: Integration, transport: Transport
) -> Request | None:
    """Add credentials that need I/O (OAuth tokens) before each attempt."""
    raise NotImplementedError


@_hookspec(firstresult=True)
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    """Decide delivered / retry / failed for one attempt."""
    raise NotImplementedError
