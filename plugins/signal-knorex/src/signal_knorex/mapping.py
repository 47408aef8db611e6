"""From an event to the conversion fields a Knorex postback carries."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from signal_core import ConfigError, DropEvent, Event, Integration, Payload

from .template import compile_template
from .vendor import CLICK_ID, GOAL_PROPERTY

VALUE_PROPERTIES = ("revenue", "total")
"""Where the conversion value comes from, first match wins."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_EXPONENT = 30  # |value| beyond 1e30 or below 1e-30 is not a usable amount

NO_KCID = (
    "no kcid: Knorex attributes a conversion only through the kcid click id of the ad's "
    "landing URL; pass it as the kcid property, or send the landing page view (its "
    "context.page.url carries ?kcid=...) so the core can remember it. Not sent"
)
KCID_FROM_PAGE = "kcid read from context.page.url"
KCID_STORED = "kcid from the visitor's stored click id (context.click_ids)"
NO_GOAL = (
    "no goal id: set a knorex_goal_id property, a mappings value or config.goal_id (sent empty)"
)


def render_number(raw: Any) -> str | None:
    """A number as plain decimal text without float noise; ``None`` if not a number.

    ``89.99`` -> ``"89.99"``, ``10`` and ``10.0`` -> ``"10"``, ``0.1 + 0.2`` ->
    ``"0.3"``, ``"89.990"`` -> ``"89.99"``, ``1e21`` -> ``"1000000000000000000000"``.
    Floats keep 15 significant digits; integers and numeric text are exact.
    Booleans, non-numeric text and magnitudes beyond 1e30 (or below 1e-30) are
    not numbers here.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return None
        # 15 significant digits: what a double holds exactly as decimal text, so
        # arithmetic noise (0.1 + 0.2 = 0.30000000000000004) does not reach Knorex.
        text = format(raw, ".15g")
        if "e" not in text:
            return "0" if text == "-0" else text
        return _decimal_text(Decimal(text))
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > 64 or not _NUMBER.fullmatch(text):
            return None
        try:
            return _decimal_text(Decimal(text))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def _decimal_text(number: Decimal) -> str | None:
    if not number.is_finite():
        return None
    if number and abs(number.adjusted()) > _MAX_EXPONENT:
        return None
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_of(raw: Any) -> str | None:
    """An id-like value as text: strings stripped, whole numbers as digits."""
    if isinstance(raw, str):
        text = raw.strip()
        return text or None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return render_number(raw)
    return None


def kcid_from_url(url: str | None) -> str | None:
    """The first non-empty ``kcid`` query parameter of ``url``."""
    if not url or CLICK_ID not in url:
        return None
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    for key, value in parse_qsl(query):
        if key == CLICK_ID:
            text = value.strip()
            if text:
                return text
    return None


def find_kcid(event: Event) -> tuple[str, str]:
    """The kcid of an event without a ``kcid`` property, and a note saying where from.

    The core's click-id store puts a captured or remembered id in
    ``context.click_ids``; without it, the landing page URL is read directly.
    """
    in_url = kcid_from_url(event.page_url)
    stored = event.context.get("click_ids")
    kcid = text_of(stored.get(CLICK_ID)) if isinstance(stored, dict) else None
    if kcid is not None and kcid != in_url:
        return kcid, KCID_STORED
    if in_url is not None:
        return in_url, KCID_FROM_PAGE
    raise DropEvent(NO_KCID)


@lru_cache(maxsize=128)
def config_problem(template: str, method: str, has_token: bool) -> str | None:
    """A problem that spans several config fields (the core checks one at a time)."""
    tpl = compile_template(template)
    if tpl.uses("token") and not has_token:
        return "postback_url has a {token} placeholder but config.token is not set"
    if method == "GET" and not tpl.uses(CLICK_ID):
        return (
            "postback_url has no {kcid} placeholder, so a GET postback cannot carry the "
            "click id; add it where the account manager's URL expects it, or use method POST"
        )
    return None


def map_conversion(event: Event, integration: Integration) -> list[Payload]:
    """One conversion payload (text values, missing ones left out) or ``DropEvent``."""
    config = integration.config
    template = config["postback_url"]
    method = config.get("method") or "GET"
    problem = config_problem(template, method, bool(config.get("token")))
    if problem is not None:
        raise ConfigError(problem, integration=integration.name, field="config")
    props = event.properties
    notes: list[str] = []
    kcid = text_of(props.get(CLICK_ID))
    if kcid is None:
        kcid, note = find_kcid(event)
        notes.append(note)
    data: dict[str, str] = {"kcid": kcid}
    goal = text_of(props.get(GOAL_PROPERTY)) or config.get("goal_id")
    if goal:
        data["goal_id"] = goal
    elif method == "POST" or compile_template(template).uses("goal_id"):
        notes.append(NO_GOAL)
    for key in VALUE_PROPERTIES:
        raw = props.get(key)
        if raw is None:
            continue
        value = render_number(raw)
        if value is None:
            notes.append(f"{key} is not a number, so it was not sent as the value")
            continue
        data["value"] = value
        break
    currency = text_of(props.get("currency"))
    if currency:
        data["currency"] = currency
    order_id = text_of(props.get("order_id"))
    if order_id:
        data["order_id"] = order_id
    data["event_id"] = event.message_id
    data["timestamp"] = str(event.epoch_seconds)
    return [Payload(data, notes=tuple(notes))]
