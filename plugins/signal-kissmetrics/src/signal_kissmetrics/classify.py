"""What is special about Kissmetrics' answers; everything else is the core's default."""

from __future__ import annotations

from functools import lru_cache
from http import HTTPStatus

from signal_core import Outcome, Response

# Client errors the core retries (408, 429) or splits on (413) stay with the core.
_CORE_HANDLED = frozenset({408, 413, 429})


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


@lru_cache(maxsize=16)
def _delivered(status: int) -> Outcome:
    return Outcome.delivered(
        f"{_status_text(status)}: accepted by Kissmetrics, unverified (it answers 2xx "
        "even to invalid data; confirm the event in the Kissmetrics UI)"
    )


def classify(response: Response | None) -> Outcome | None:
    if response is None:
        return None  # network errors: the core retries (Kissmetrics de-duplicates)
    status = response.status
    if 200 <= status < 300:
        return _delivered(status)
    if 400 <= status < 500 and status not in _CORE_HANDLED:
        text = _status_text(status)
        if status == 414:
            return Outcome.failed(f"{text} from Kissmetrics: the query string is too long")
        return Outcome.failed(
            f"{text} from Kissmetrics: check the integration's api_key and host "
            "(or base_url, when set)"
        )
    return None
