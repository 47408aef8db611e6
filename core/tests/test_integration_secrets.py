"""Secret config fields: rejected when padded, masked in every printable view."""

from __future__ import annotations

import pickle

import pytest
from signal_core import ConfigError
from signal_core.integration import load_integration
from signal_core.vendor import ConfigField, Vendor

SECRET = "tok_CANARY_9f3a"


def check_token(value):
    if not value.startswith("tok_"):
        raise ValueError(f"token {value} must start with tok_")
    return value


VAULT = Vendor(
    name="vault",
    config=(
        ConfigField("token", required=True, secret=True, validator=check_token),
        ConfigField("pin", secret=True, pattern=r"[0-9]{4}"),
        ConfigField("tier", secret=True, choices=("gold", "silver")),
        ConfigField("account", default="acc"),
    ),
)


def load(config):
    return load_integration(
        {"vendor": "vault", "name": "Vault", "config": config}, {"vault": VAULT}
    )


@pytest.mark.parametrize(
    "bad",
    [
        SECRET + "\n",
        SECRET + "\r\n",
        " " + SECRET,
        SECRET + " ",
        "\t" + SECRET,
        "tok_CAN\nARY",
        "tok_CAN\rARY",
        "tok_CAN\x00ARY",
    ],
)
def test_padded_or_multiline_secret_is_rejected_without_its_value(bad):
    with pytest.raises(ConfigError) as info:
        load({"token": bad})
    exc = info.value
    assert (exc.integration, exc.field) == ("Vault", "config.token")
    for text in (str(exc), repr(exc), exc.problem, repr(exc.args)):
        assert "CAN" not in text
        assert "ARY" not in text
    clone = pickle.loads(pickle.dumps(exc))
    assert str(clone) == str(exc)
    assert clone.field == "config.token"
    assert b"CAN" not in pickle.dumps(exc)


def test_secret_from_env_with_a_trailing_newline_is_rejected(monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", SECRET + "\n")
    with pytest.raises(ConfigError) as info:
        load({"token": "${VAULT_TOKEN}"})
    assert info.value.field == "config.token"
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"token": "bad_" + SECRET}, "config.token"),  # validator message quotes the value
        ({"token": SECRET, "pin": "12" + SECRET}, "config.pin"),  # pattern
        ({"token": SECRET, "tier": "platinum" + SECRET}, "config.tier"),  # choices
    ],
)
def test_validation_errors_of_secret_fields_mask_the_value(config, field):
    with pytest.raises(ConfigError) as info:
        load(config)
    assert info.value.field == field
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert SECRET not in repr(pickle.loads(pickle.dumps(info.value)))


def test_repr_describe_and_config_mask_secrets():
    integ = load({"token": SECRET, "pin": "1234", "account": "acc_visible"})
    assert integ.config["token"] == SECRET  # plugins still read the real value
    assert integ.secrets == (SECRET, "1234")
    described = integ.describe()
    assert described["config"] == {"token": "***", "pin": "***", "account": "acc_visible"}
    for text in (repr(integ), str(integ), repr(integ.config), str(described)):
        assert SECRET not in text
        assert "1234" not in text
    assert "acc_visible" in repr(integ.config)
    with pytest.raises(TypeError):
        pickle.dumps(integ.config)


def test_integration_redactor_masks_raw_and_percent_encoded_secret():
    integ = load({"token": "tok_a/b+c d"})
    text = "k=tok_a/b+c d&q=tok_a%2Fb%2Bc%20d&p=tok_a%2Fb%2Bc+d"
    assert integ.redact(text) == "k=***&q=***&p=***"
