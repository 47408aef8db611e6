"""A test ID sync for the ``echo`` vendor, a plugin of its own.

Kept apart from :mod:`signal_echo` (and not an entry point) so the echo
plugin's hook list stays as other tests expect; tests that exercise ID syncs
register this module on their plugin manager.

When an echo integration sets ``config.sync_url``, the sync is
``GET {sync_url}?visitor=<anonymous_id or user_id>&<privacy params>`` and the
answer ``{"uid": "..."}`` resolves ``{"uid": ...}``; anything else is a
failed sync. ``config.sync_timeout_ms`` bounds the call (default 5000).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from signal_core import Event, Integration, Request, Response, hookimpl
from signal_core.idsync import IdSync


def parse_uid(response: Response) -> dict[str, str] | None:
    data = json.loads(response.body)
    uid = data.get("uid") if isinstance(data, dict) else None
    if not isinstance(uid, str) or not uid:
        return None
    return {"uid": uid}


@hookimpl
def id_sync(event: Event, integration: Integration, privacy: Mapping[str, str]) -> IdSync | None:
    if integration.vendor != "echo" or not integration.config.get("sync_url"):
        return None
    visitor = event.anonymous_id or event.user_id or ""
    query = (("visitor", visitor), *privacy.items())
    timeout_ms = integration.config.get("sync_timeout_ms") or 5000.0
    return IdSync(
        request=Request("GET", integration.config["sync_url"], tuple(query)),
        parse=parse_uid,
        timeout=timeout_ms / 1000.0,
    )
