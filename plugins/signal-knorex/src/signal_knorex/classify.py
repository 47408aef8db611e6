"""What is special about Knorex responses: a rejected postback names what to check."""

from __future__ import annotations

import json
from http import HTTPStatus

from signal_core import Integration, Outcome, Request, Response

from .template import PostbackTemplate, compile_template


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _template(integration: Integration) -> PostbackTemplate:
    return compile_template(integration.config["postback_url"])


def goal_of(request: Request, integration: Integration) -> str | None:
    """The goal id a request carried, read back from its body or URL query."""
    if request.body:
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("goal_id"), str):
            return data["goal_id"] or None
    template = _template(integration)
    if not template.uses("goal_id"):
        return None
    return template.values_in(request.url).get("goal_id") or None


def rejected(request: Request, response: Response, integration: Integration) -> Outcome:
    """A failed outcome for a 4xx that will not pass on retry.

    The reason never shows the URL: it may carry the token.
    """
    goal = goal_of(request, integration)
    if goal:
        goal_text = f"goal id {goal[:80]!r}"
    elif request.body is None and not _template(integration).uses("goal_id"):
        goal_text = "the goal that URL was issued for"
    else:
        goal_text = "the goal id (none was sent)"
    also = ""
    if response.status in (401, 403) and integration.config.get("token"):
        also = " and token"
    return Outcome.failed(
        f"{_status_text(response.status)} from Knorex: postback rejected; check the "
        f"postback_url{also} from your Knorex account manager and {goal_text}"
    )


def classify(
    request: Request, response: Response | None, integration: Integration
) -> Outcome | None:
    """Answer only rejected postbacks; everything else is the core default."""
    if response is None:
        return None
    status = response.status
    if status < 400 or status >= 500 or status == 413:
        return None
    if integration.retry.is_retryable_status(status):  # 408, 429, or a policy override
        return None
    return rejected(request, response, integration)
