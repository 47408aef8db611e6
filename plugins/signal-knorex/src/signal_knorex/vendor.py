"""The Knorex vendor declaration: config fields, the default preset, identity signals."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from signal_core import ConfigField, Vendor

from .template import parse_template

NAME = "knorex"
CLICK_ID = "kcid"
GOAL_PROPERTY = "knorex_goal_id"
METHODS = ("GET", "POST")


def _method(raw: Any) -> str:
    method = str(raw).strip().upper()
    if method not in METHODS:
        raise ValueError(f"{str(raw)[:20]!r} is not one of 'GET', 'POST'")
    return method


def _goal_id(raw: Any) -> str:
    """A goal id from config: text or a whole number, returned as text."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueError(f"must be text or a whole number, got {type(raw).__name__}")
    text = str(raw).strip()
    if not text or len(text) > 200 or not text.isprintable():
        raise ValueError("must be 1 to 200 printable characters")
    return text


CONFIG = (
    ConfigField(
        "postback_url",
        required=True,
        validator=parse_template,
        description=(
            "The https postback URL template from your Knorex account manager, with "
            "placeholders such as {kcid} and {goal_id} in its query string."
        ),
    ),
    ConfigField(
        "goal_id",
        kind=object,
        validator=_goal_id,
        description=(
            "Goal id used when the event has no knorex_goal_id property and the mappings set none."
        ),
    ),
    ConfigField(
        "method",
        default="GET",
        validator=_method,
        description="GET (the URL carries everything) or POST (the URL plus a JSON body).",
    ),
    ConfigField(
        "token",
        secret=True,
        description="Secret token of the account's URL, filled into the {token} placeholder.",
    ),
)

PRESETS = MappingProxyType(
    {
        "default": MappingProxyType(
            {
                "Order Completed": MappingProxyType({"vendor_event": "conversion"}),
                "Signed Up": MappingProxyType({"vendor_event": "conversion"}),
            }
        )
    }
)


def _whole_config(config: Mapping[str, Any]) -> None:
    """Checks that span fields, run once when the integration loads."""
    from .mapping import config_problem

    problem = config_problem(
        config["postback_url"], config.get("method") or "GET", bool(config.get("token"))
    )
    if problem is not None:
        raise ValueError(problem)


KNOREX = Vendor(
    name=NAME,
    config=CONFIG,
    presets=PRESETS,
    default_preset="default",
    consent_categories=("marketing",),
    max_batch_size=1,
    click_ids=(CLICK_ID,),
    # The host comes from each account's postback URL, so none is fixed here.
    hosts=(),
    dedups=False,
    unmapped="drop",
    description="Knorex XPO server-to-server conversion postbacks, attributed by kcid.",
    validate=_whole_config,
)
