"""ConsentSettings.skip_reason: which events may go to an integration."""

from __future__ import annotations

import pytest
from signal_core import ConfigError
from signal_core.consent import ConsentSettings
from signal_core.events import normalize


def event(consent=None):
    data = {"type": "page", "anonymous_id": "a"}
    if consent is not None:
        data["context"] = {"consent": consent}
    return normalize(data)


LENIENT = ConsentSettings()
STRICT = ConsentSettings(required=True)
CATS = ("marketing", "analytics")


def test_an_integration_without_categories_always_gets_the_event():
    assert LENIENT.skip_reason(event({"categories": {"marketing": False}}), ()) is None
    assert STRICT.skip_reason(event(), ()) is None


def test_no_consent_data_is_delivered_unless_required():
    assert LENIENT.skip_reason(event(), CATS) is None
    assert LENIENT.skip_reason(event({"other": 1}), CATS) is None
    assert "requires consent" in STRICT.skip_reason(event(), CATS)
    assert STRICT.skip_reason(event({"categories": "yes"}), CATS) is not None


def test_a_denied_category_skips():
    reason = LENIENT.skip_reason(
        event({"categories": {"marketing": False, "analytics": True}}), CATS
    )
    assert reason == "consent denied for marketing"
    reason = STRICT.skip_reason(
        event({"categories": {"marketing": False, "analytics": False}}), CATS
    )
    assert reason == "consent denied for marketing, analytics"


def test_granted_categories_deliver():
    granted = event({"categories": {"marketing": True, "analytics": True}})
    assert LENIENT.skip_reason(granted, CATS) is None
    assert STRICT.skip_reason(granted, CATS) is None


def test_when_required_every_category_must_be_granted_explicitly():
    partial = event({"categories": {"marketing": True}})
    assert LENIENT.skip_reason(partial, CATS) is None
    assert STRICT.skip_reason(partial, CATS) == (
        "consent not granted for analytics (consent is required)"
    )


def test_from_config():
    assert ConsentSettings.from_config(None) == LENIENT
    assert ConsentSettings.from_config({"required": True}) == STRICT
    assert ConsentSettings.from_config(STRICT) is STRICT
    for bad, field in (
        ([], "consent"),
        ({"required": 1}, "consent.required"),
        ({"x": 1}, "consent"),
    ):
        with pytest.raises(ConfigError) as info:
            ConsentSettings.from_config(bad)
        assert info.value.field == field
