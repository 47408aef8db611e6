"""Printing untrusted text (event names, reasons) without forging lines or escapes."""

from __future__ import annotations


def one_line(text: str) -> str:
    """Escape control characters so ``text`` stays on one line and draws nothing."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
