"""The Kargo ID sync: the server-side counterpart of the browser ``puid`` sync.

The hook describes one ``GET`` to the account's Kargo Id endpoint
(``sync_url``) carrying the event's privacy parameters; the core makes the
call, caches the ``puid`` per visitor and keeps a failure marker. A server
call carries no Kargo cookie, so it forwards only what the browser call would
also have shown Kargo and what the server honestly has: the visitor's IP
address (``X-Forwarded-For``) and user agent.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping

from signal_core import Event, Integration, Request, Response
from signal_core.idsync import PRIVACY_PARAMS, IdSync

PUID = "puid"
MAX_PUID_LENGTH = 256
MAX_USER_AGENT_LENGTH = 1024
_DAY = 86400.0
_HOUR = 3600.0


def parse_puid(response: Response) -> dict[str, str] | None:
    """``{"puid": ...}`` from a JSON object body; ``None`` (a failed sync) otherwise.

    Missing, empty, non-string, over-long or control-character ``puid`` values
    are malformed, as is a body that is not a JSON object.
    """
    try:
        data = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    puid = data.get(PUID)
    if not isinstance(puid, str):
        return None
    puid = puid.strip()
    if not puid or len(puid) > MAX_PUID_LENGTH:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in puid):
        return None
    return {PUID: puid}


def _forwarded_for(event: Event) -> str | None:
    ip = event.ip
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def _user_agent(event: Event) -> str | None:
    ua = event.user_agent
    if not ua:
        return None
    ua = ua.strip()
    if not ua or len(ua) > MAX_USER_AGENT_LENGTH:
        return None
    if any(not 32 <= ord(ch) < 127 for ch in ua):
        return None  # not sendable as-is in a header; never mangle it
    return ua


def build_sync(event: Event, integration: Integration, privacy: Mapping[str, str]) -> IdSync | None:
    """The sync for this event, or ``None`` when the integration has no ``sync_url``."""
    config = integration.config
    url = config.get("sync_url")
    if not url:
        return None
    query = tuple((name, privacy[name]) for name in PRIVACY_PARAMS if privacy.get(name))
    headers = {"Accept": "application/json"}
    forwarded = _forwarded_for(event)
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    user_agent = _user_agent(event)
    if user_agent:
        headers["User-Agent"] = user_agent
    return IdSync(
        request=Request("GET", url, query, headers),
        parse=parse_puid,
        lifetime=float(config["sync_lifetime_days"]) * _DAY,
        failure_ttl=float(config["sync_failure_ttl_hours"]) * _HOUR,
        timeout=float(config["sync_timeout_ms"]) / 1000.0,
    )
