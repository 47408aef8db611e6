"""Event validation and normalisation (DESIGN section 3)."""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import InvalidEventError

EVENT_TYPES = ("track", "page", "identify")
MAX_EVENT_BYTES = 512 * 1024
_ALIASES = {
    "anonymousId": "anonymous_id",
    "userId": "user_id",
    "messageId": "message_id",
}
_CONTEXT_ALIASES = {"userAgent": "user_agent"}
_ID_NAMESPACE = uuid.UUID("6f1d3b0a-54c2-4c8e-9a57-4f0c2a1e9b11")
_EPOCH_MS_THRESHOLD = 100_000_000_000  # numbers above this are milliseconds


class Event:
    """A validated event. Plugins read it; they never mutate it.

    ``properties`` are the properties as the integration's mapping rule
    renamed and filled them; ``raw`` is the normalised input, as stored in
    dead letters and replayed.
    """

    __slots__ = (
        "anonymous_id",
        "context",
        "event",
        "message_id",
        "properties",
        "raw",
        "timestamp",
        "traits",
        "type",
        "user_id",
    )

    def __init__(
        self,
        *,
        type: str,
        event: str | None,
        message_id: str,
        timestamp: float,
        anonymous_id: str | None,
        user_id: str | None,
        properties: dict[str, Any],
        traits: dict[str, Any],
        context: dict[str, Any],
        raw: dict[str, Any],
    ) -> None:
        self.type = type
        self.event = event
        self.message_id = message_id
        self.timestamp = timestamp
        self.anonymous_id = anonymous_id
        self.user_id = user_id
        self.properties = properties
        self.traits = traits
        self.context = context
        self.raw = raw

    @property
    def name(self) -> str:
        """The mapping key: the ``event`` of a track, else the type."""
        return self.event if self.type == "track" and self.event else self.type

    @property
    def epoch_seconds(self) -> int:
        return int(self.timestamp)

    @property
    def iso_timestamp(self) -> str:
        dt = datetime.fromtimestamp(self.timestamp, tz=timezone.utc)
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def page(self) -> Mapping[str, Any]:
        page = self.context.get("page")
        return page if isinstance(page, dict) else {}

    @property
    def page_url(self) -> str | None:
        url = self.page.get("url")
        return url if isinstance(url, str) else None

    @property
    def ip(self) -> str | None:
        ip = self.context.get("ip")
        return ip if isinstance(ip, str) else None

    @property
    def user_agent(self) -> str | None:
        ua = self.context.get("user_agent")
        return ua if isinstance(ua, str) else None

    def click_id(self, name: str) -> str | None:
        """A click id: the event's property, else the stored one the core filled
        into ``context.click_ids``, else the landing URL's query parameter."""
        value = self.properties.get(name)
        if isinstance(value, str) and value:
            return value
        stored = self.context.get("click_ids")
        if isinstance(stored, dict):
            value = stored.get(name)
            if isinstance(value, str) and value:
                return value
        url = self.page_url
        if url and "?" in url:
            for key, found in parse_qsl(urlsplit(url).query):
                if key == name and found:
                    return found
        return None

    def with_properties(self, properties: dict[str, Any]) -> Event:
        clone = Event.__new__(Event)
        for slot in Event.__slots__:
            object.__setattr__(clone, slot, getattr(self, slot))
        clone.properties = properties
        return clone

    def __repr__(self) -> str:
        return f"<Event {self.type} {self.name!r} {self.message_id}>"


def parse_timestamp(value: Any, *, now: float | None = None) -> float:
    """ISO-8601 text, epoch seconds or epoch milliseconds -> epoch seconds."""
    if value is None:
        return time.time() if now is None else now
    if isinstance(value, bool):
        raise InvalidEventError("timestamp", "must be ISO-8601 text or an epoch number")
    if isinstance(value, str):
        text = value.strip()
        try:
            return _epoch_number(float(text))
        except ValueError:
            pass
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidEventError("timestamp", f"cannot parse {value[:40]!r}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    if isinstance(value, (int, float)):
        return _epoch_number(float(value))
    raise InvalidEventError("timestamp", "must be ISO-8601 text or an epoch number")


def _epoch_number(number: float) -> float:
    if not math.isfinite(number) or number < 0:
        raise InvalidEventError("timestamp", "must be a finite, non-negative epoch")
    if number >= _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    if number >= 253402300800:  # year 10000
        raise InvalidEventError("timestamp", "is out of range")
    return number


def _identity(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidEventError(key, "must be a string")
    return str(value)


def _object(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEventError(key, "must be an object")
    return value


def _find_unencodable(value: Any, path: str, depth: int = 0) -> str:
    """Locate the part of an event that JSON/UTF-8 cannot carry."""
    if depth > 64:
        return path
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return ""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{path}.{k!r}"
            found = _find_unencodable(k, f"{path}.<key>", depth + 1) or _find_unencodable(
                v, f"{path}.{k}", depth + 1
            )
            if found:
                return found
        return ""
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _find_unencodable(v, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return ""
    if value is None or isinstance(value, (bool, int, float)):
        return ""
    return path


# One encoder for every event: ``json.dumps`` with options builds one per call.
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _check_encodable(raw: dict[str, Any]) -> str:
    try:
        text = _ENCODER.encode(raw)
        text.encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError, OverflowError):
        where = ""
        with contextlib.suppress(RecursionError):
            where = _find_unencodable(raw, "event")
        raise InvalidEventError(
            where.removeprefix("event.") or "event",
            "is not representable as JSON (NaN, infinity, lone surrogate, "
            "non-text key, too deep, or an unsupported type)",
        ) from None
    if len(text) > MAX_EVENT_BYTES:
        raise InvalidEventError("event", f"is larger than {MAX_EVENT_BYTES} bytes")
    return text


def normalize(data: Any, *, now: float | None = None) -> Event:
    """Validate ``data`` (a dict in Datafly.js / Segment shape) into an :class:`Event`.

    Raises :class:`InvalidEventError` naming the offending field.
    """
    if isinstance(data, Event):
        return data
    if not isinstance(data, dict):
        raise InvalidEventError("event", "must be a JSON object")
    raw: dict[str, Any] = dict(data)
    for alias, key in _ALIASES.items():
        if alias in raw:
            value = raw.pop(alias)
            raw.setdefault(key, value)
    etype = raw.get("type")
    if etype not in EVENT_TYPES:
        shown = repr(etype)[:40]
        raise InvalidEventError("type", f"must be one of track, page, identify (got {shown})")
    name = raw.get("event")
    if etype == "track":
        if not isinstance(name, str) or not name.strip():
            raise InvalidEventError("event", "a track event needs an event name")
    elif name is not None and not isinstance(name, str):
        raise InvalidEventError("event", "must be a string")
    anonymous_id = _identity(raw, "anonymous_id")
    user_id = _identity(raw, "user_id")
    if anonymous_id is None and user_id is None:
        raise InvalidEventError("anonymous_id", "an event needs anonymous_id or user_id")
    properties = _object(raw, "properties")
    traits = _object(raw, "traits")
    # Our own copy: the core adds click_ids / providers, never to the caller's dict.
    context = dict(_object(raw, "context"))
    for alias, key in _CONTEXT_ALIASES.items():
        if alias in context:
            context.setdefault(key, context.pop(alias))
    if context or "context" in raw:
        raw["context"] = context
    had_timestamp = raw.get("timestamp") is not None
    timestamp = parse_timestamp(raw.get("timestamp"), now=now)
    message_id = raw.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()):
        raise InvalidEventError("message_id", "must be a non-empty string")
    text = _check_encodable(raw)
    if message_id is None:
        # Deterministic when the event carries its own timestamp, so the same
        # input line replayed later keeps its id and vendors can de-duplicate.
        message_id = str(uuid.uuid5(_ID_NAMESPACE, text) if had_timestamp else uuid.uuid4())
        raw["message_id"] = message_id
    if not had_timestamp:
        raw["timestamp"] = timestamp
    return Event(
        type=etype,
        event=name,
        message_id=message_id,
        timestamp=timestamp,
        anonymous_id=anonymous_id,
        user_id=user_id,
        properties=properties,
        traits=traits,
        context=context,
        raw=raw,
    )
