"""Events to Kissmetrics payloads: record (``/e``), set (``/s``), alias (``/a``).

A payload's ``data`` holds ``path``, ``method`` (``GET``, or ``POST`` when
the encoded query would be over :data:`~.request.MAX_GET_QUERY_BYTES`) and
``params``: the query pairs after ``_k``, which only ``build_request`` adds,
so the API key is never part of a payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signal_core import DropEvent, Event, EventRule, Integration, Payload

from .properties import MAX_NAME_CHARS, PropertyWriter, clean_name
from .request import MAX_GET_QUERY_BYTES, fits_get, query_size
from .vendor import ALIAS_PATH, RECORD_PATH, SET_PATH

_FORBIDDEN = str.maketrans({",": " ", ":": " "})
# Traits forwarded with track and page events, unhashed, under these names.
TRAIT_NAMES = (("email", "Email"), ("name", "Name"))


def map_event(event: Event, rule: EventRule, integration: Integration) -> list[Payload]:
    if event.type == "identify":
        return _identify(event, rule, integration)
    person = _person(event)
    name, note = clean_name(rule.vendor_event)
    if not name:
        raise DropEvent(f"event name {rule.vendor_event!r} is empty under Kissmetrics' name rules")
    pairs = [("_p", person), ("_n", name), ("_t", str(event.epoch_seconds)), ("_d", "1")]
    writer = PropertyWriter(pairs)
    if note is not None:
        writer.notes.append(f"event {note}")
    writer.add_all(event.properties.items())
    traits = _traits(event)
    if traits:
        for key, label in TRAIT_NAMES:
            writer.add_missing(label, traits.get(key))
    return [_payload(RECORD_PATH, pairs, writer.notes, integration)]


def _identify(event: Event, rule: EventRule, integration: Integration) -> list[Payload]:
    person = _person(event)
    pairs = [("_p", person), ("_t", str(event.epoch_seconds)), ("_d", "1")]
    writer = PropertyWriter(pairs)
    traits = event.traits
    if rule.rename:
        writer.add_all((rule.rename.get(k, k), v) for k, v in traits.items())
    else:
        writer.add_all(traits.items())
    writer.add_all(event.properties.items())  # fixed ``values`` from the mappings
    payloads: list[Payload] = []
    alias = None
    if integration.config.get("alias_on_identify"):
        if event.user_id and event.anonymous_id and event.user_id != event.anonymous_id:
            alias = [("_p", _identity(event.anonymous_id, "anonymous_id")), ("_n", person)]
        else:
            writer.notes.append("alias skipped: it needs both user_id and anonymous_id")
    if len(pairs) > 3:
        payloads.append(_payload(SET_PATH, pairs, writer.notes, integration))
    if alias is not None:
        notes = [] if payloads else writer.notes
        payloads.append(_payload(ALIAS_PATH, alias, notes, integration))
    if not payloads:
        raise DropEvent("identify event has no traits to set and nothing to alias")
    return payloads


def _person(event: Event) -> str:
    if event.user_id is not None:
        return _identity(event.user_id, "user_id")
    return _identity(event.anonymous_id or "", "anonymous_id")


def _identity(value: str, field: str) -> str:
    """Kissmetrics' rules for identities: commas and colons become spaces, and
    over 255 characters it would truncate, which could merge different people."""
    if len(value) > MAX_NAME_CHARS:
        raise DropEvent(
            f"{field} is longer than {MAX_NAME_CHARS} characters; Kissmetrics would "
            "truncate it and could merge different people"
        )
    return value.translate(_FORBIDDEN)


def _traits(event: Event) -> Mapping[str, Any]:
    if event.traits:
        return event.traits
    traits = event.context.get("traits")
    return traits if isinstance(traits, dict) else {}


def _payload(
    path: str, pairs: list[tuple[str, str]], notes: list[str], integration: Integration
) -> Payload:
    params = tuple(pairs)
    api_key = integration.config["api_key"]
    if not fits_get(params, api_key):
        size = query_size(params, api_key)
        if size > MAX_GET_QUERY_BYTES:
            note = f"query of {size} bytes is over {MAX_GET_QUERY_BYTES}: sent as a POST form body"
            data = {"path": path, "method": "POST", "params": params}
            return Payload(data, (*notes, note))
    return Payload({"path": path, "method": "GET", "params": params}, tuple(notes))
