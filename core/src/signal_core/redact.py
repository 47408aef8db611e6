"""Keeping secrets out of text: one redactor and a logging filter."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
_QUERY = re.compile(r"\?[^\s\"']*")
_lock = threading.Lock()
_known: set[str] = set()


class Redactor:
    """Replaces every secret (raw and percent-encoded) with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants.update({secret, quote(secret, safe=""), quote_plus(secret, safe="")})
        self._variants = sorted(variants, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._variants)

    def __call__(self, text: str) -> str:
        for variant in self._variants:
            if variant in text:
                text = text.replace(variant, MASK)
        return text


def register_secrets(secrets: Iterable[str]) -> None:
    """Remember secrets process-wide so the logging filter can mask them."""
    with _lock:
        _known.update(s for s in secrets if s)
        _filter.redactor = Redactor(_known)


class RedactingFilter(logging.Filter):
    """Masks known secrets and strips query strings from HTTP library records."""

    def __init__(self) -> None:
        super().__init__()
        self.redactor = Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix
            message = str(record.msg)
        clean = self.redactor(_QUERY.sub("?" + MASK, message))
        record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor(_QUERY.sub("?" + MASK, str(record.exc_info[1])))
            record.exc_info = None
        return True


_filter = RedactingFilter()
HTTP_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.poolmanager",
    "urllib3.util.retry",
    "requests",
)


def install_log_filter() -> None:
    """Attach the filter to the loggers that can print request lines.

    Called when a pipeline is created, never at import time. Filters on a
    logger apply only to records created there, so every known child logger
    (and any already-created ``urllib3.*`` logger) gets it.
    """
    names = set(HTTP_LOGGERS)
    names.update(
        n for n in logging.root.manager.loggerDict if n.startswith(("urllib3.", "requests."))
    )
    for name in names:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
