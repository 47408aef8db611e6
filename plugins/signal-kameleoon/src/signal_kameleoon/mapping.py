"""One Signal event -> one Kameleoon Data API event (a JSON object)."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from signal_core import DropEvent, Event, EventRule, Payload

from .vendor import (
    CONVERSION,
    GOAL_PROPERTY,
    NEGATIVE_PROPERTY,
    PAGE,
    VISITOR_COOKIE,
    VISITOR_PROPERTY,
)

VISITOR_CODE_MAX = 100
GOAL_ID_MAX = 2**53 - 1  # the largest integer every JSON reader keeps exact
_GOAL_DIGITS = re.compile(r"[0-9]{1,16}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

FALLBACK_NOTE = (
    "visitorCode is the anonymous_id fallback (no kameleoonVisitorCode cookie or "
    "kameleoon_visitor_code property): Kameleoon will not attribute this event to "
    "the visitor's experiments"
)


def nonce_for(message_id: str) -> str:
    """The event's nonce: the first 16 hex digits of SHA-256(message_id), upper case.

    The same event (same ``message_id``) gets the same nonce on every attempt
    and every replay, so Kameleoon can de-duplicate it.
    """
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:16].upper()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _visitor_code_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"is not a string ({type(value).__name__})"
    if not value:
        return "is empty"
    if len(value) > VISITOR_CODE_MAX:
        return f"is longer than {VISITOR_CODE_MAX} characters"
    if value != value.strip() or _CONTROL.search(value):
        return "has surrounding spaces or control characters"
    return None


def visitor_code(event: Event) -> tuple[str, tuple[str, ...]]:
    """The visitorCode and notes: cookie, then property, then ``anonymous_id``."""
    notes: list[str] = []
    cookies = event.context.get("cookies")
    cookie = cookies.get(VISITOR_COOKIE) if isinstance(cookies, dict) else None
    candidates = (
        (f"the {VISITOR_COOKIE} cookie", cookie),
        (f"the {VISITOR_PROPERTY} property", event.properties.get(VISITOR_PROPERTY)),
    )
    for label, value in candidates:
        if value is None:
            continue
        problem = _visitor_code_problem(value)
        if problem is None:
            return value, tuple(notes)
        notes.append(f"{label} was ignored: it {problem}")
    if event.anonymous_id is None:
        raise DropEvent(
            "no Kameleoon visitor code: the event has no kameleoonVisitorCode cookie, "
            "kameleoon_visitor_code property or anonymous_id"
        )
    problem = _visitor_code_problem(event.anonymous_id)
    if problem is not None:
        raise DropEvent(f"anonymous_id cannot be used as the Kameleoon visitor code: it {problem}")
    notes.append(FALLBACK_NOTE)
    return event.anonymous_id, tuple(notes)


def goal_id(value: Any, source: str) -> int:
    """The goal id as an integer; drop the event when it is missing or not numeric."""
    if value is None or value == "":
        raise DropEvent(
            f"no Kameleoon goal id for {source!r}: send the {GOAL_PROPERTY} property or set "
            f"mappings.events[{source!r}].values.{GOAL_PROPERTY} in the integration"
        )
    goal: int | None = None
    if isinstance(value, bool):
        goal = None
    elif isinstance(value, int):
        goal = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        goal = int(value)
    elif isinstance(value, str) and _GOAL_DIGITS.fullmatch(value.strip()):
        goal = int(value.strip())
    if goal is None or not 0 < goal <= GOAL_ID_MAX:
        raise DropEvent(
            f"{GOAL_PROPERTY} {_shown(value)} is not a Kameleoon goal id (a positive integer)"
        )
    return goal


def revenue(value: Any) -> tuple[float | int | None, str | None]:
    """The revenue as a JSON number, or ``None`` plus a note when unusable."""
    if value is None:
        return None, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int) or math.isfinite(value):
            return value, None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number, None
    return None, f"revenue {_shown(value)} is not a number: the conversion was sent without revenue"


def _is_negative(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return None


def to_payload(event: Event, rule: EventRule) -> Payload:
    """Map one event under ``rule`` (``vendor_event`` PAGE or CONVERSION)."""
    kind = rule.vendor_event.upper()
    if kind not in (PAGE, CONVERSION):
        raise DropEvent(
            f"vendor_event {_shown(rule.vendor_event)} is not supported by the kameleoon "
            "plugin (use PAGE or CONVERSION)"
        )
    props = event.properties
    code, notes = visitor_code(event)
    data: dict[str, Any] = {
        "nonce": nonce_for(event.message_id),
        "eventType": kind,
        "visitorCode": code,
    }
    if kind == PAGE:
        page = event.page
        href = _text(page.get("url"), props.get("url"))
        if href is None:
            raise DropEvent("page view without a URL: set context.page.url")
        data["href"] = href
        data["title"] = _text(page.get("title"), props.get("title")) or ""
        referrer = _text(page.get("referrer"), props.get("referrer"))
        if referrer is not None:
            data["referrers"] = [referrer]
        return Payload(data, notes)
    data["goalId"] = goal_id(props.get(GOAL_PROPERTY), rule.source)
    amount, problem = revenue(props.get("revenue"))
    if amount is not None:
        data["revenue"] = amount
    if problem is not None:
        notes += (problem,)
    if _is_negative(props.get(NEGATIVE_PROPERTY)):
        data["negative"] = True
    return Payload(data, notes)
