"""``VendorConformance``: the generic test suite every vendor plugin's tests subclass.

::

    from signal_core.testing import VendorConformance, track

    class TestAcmeConformance(VendorConformance):
        vendor = "acme"
        config = {"api_key": "acme-test-key", "account_id": "acc_1"}
        events = [track("Order Completed"), track("Signed Up")]

pytest collects the subclass and runs every ``test_*`` method below against
the installed plugin (or ``plugin``, when set): the vendor declaration, config
validation, mapping, purity of ``build_request``, hosts, secret redaction,
classification of every kind of answer and the retries, on loopback sandboxes
with a fake clock. Each test reports every problem it finds at once, with what
to fix. See ``docs/plugins.md``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus, urlsplit

import pytest

from ..errors import ConfigError, DropEvent
from ..events import normalize
from ..integration import Integration, load_integration
from ..mapping import ACTIONS, EventRule, build_table
from ..payload import Payload
from ..pipeline import Pipeline
from ..plugins import PluginManager, get_plugin_manager
from ..results import DeliveryResult, Status
from ..sandbox import Recorded, Reply, Sandbox
from ..vendor import ConfigField, Vendor
from ..wire import Request, Response
from .fakes import FakeClock, NoNetworkTransport, RecordingTransport, closed_port
from .pytest_plugin import stop_in_background

__all__ = ["VendorConformance", "declaration_problems"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
UNMAPPED_EVENT_NAME = "Signal Conformance Unmapped Event"
_VENDOR_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CLICK_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_OTHER_VENDOR = "signal-conformance-other"


def _is_hostname(value: object) -> bool:
    if not isinstance(value, str) or not value or len(value) > 253:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in value.split("."))


def declaration_problems(spec: Vendor, *, per_account_hosts: str = "") -> list[str]:
    """Everything incomplete or inconsistent in a vendor declaration, as sentences."""
    problems: list[str] = []
    if not isinstance(spec.name, str) or not _VENDOR_NAME.fullmatch(spec.name):
        problems.append(
            f"name {spec.name!r} must be lower-case letters, digits, '_' or '-', "
            "starting with a letter"
        )
    if not isinstance(spec.description, str) or not spec.description.strip():
        problems.append("description is empty: say in one line what the vendor receives")
    seen: set[str] = set()
    declared: tuple[object, ...] = tuple(spec.config)  # checked at run time, not trusted
    for field in declared:
        if not isinstance(field, ConfigField):
            problems.append(f"config holds {type(field).__name__}, not ConfigField")
            continue
        label = f"config field {field.name!r}"
        if not isinstance(field.name, str) or not _FIELD_NAME.fullmatch(field.name):
            problems.append(f"{label}: the name must be lower_snake_case")
        if field.name in seen:
            problems.append(f"{label} is declared twice")
        seen.add(field.name)
        if not isinstance(field.description, str) or not field.description.strip():
            problems.append(f"{label} has no description (users read it in docs and errors)")
        if field.required and field.default is not None:
            problems.append(f"{label} is required but has a default, so it is never missing")
        if field.secret and field.kind is not str:
            problems.append(f"{label} is secret but not text (kind={field.kind.__name__})")
        if field.choices is not None and (
            not field.choices or not all(isinstance(c, str) and c for c in field.choices)
        ):
            problems.append(f"{label}: choices must be a non-empty tuple of strings")
        if field.default is not None:
            try:
                field.check(field.default)
            except (ValueError, TypeError) as exc:
                problems.append(f"{label}: the default fails the field's own check ({exc})")
    if not isinstance(spec.presets, Mapping) or not spec.presets:
        problems.append("presets is empty: ship at least one event table (e.g. 'default')")
    else:
        if spec.default_preset is None:
            problems.append(
                f"default_preset is not set (presets: {sorted(spec.presets)}): integrations "
                "that name no preset would map nothing"
            )
        elif spec.default_preset not in spec.presets:
            problems.append(
                f"default_preset {spec.default_preset!r} is not one of the presets "
                f"{sorted(spec.presets)}"
            )
        for name, table in spec.presets.items():
            if not table:
                problems.append(f"preset {name!r} maps no event")
                continue
            try:
                build_table(spec.presets, name, None, vendor_default_action="drop")
            except ConfigError as exc:
                problems.append(f"preset {name!r} is invalid: {exc}")
    if (
        not isinstance(spec.consent_categories, tuple)
        or not spec.consent_categories
        or not all(isinstance(c, str) and c.strip() for c in spec.consent_categories)
    ):
        problems.append(
            "consent_categories must be a non-empty tuple of category names (e.g. "
            "('marketing',)): the consent an event needs before it may go to this vendor"
        )
    if (
        isinstance(spec.max_batch_size, bool)
        or not isinstance(spec.max_batch_size, int)
        or spec.max_batch_size < 1
    ):
        problems.append(f"max_batch_size must be a whole number >= 1, got {spec.max_batch_size!r}")
    if spec.max_batch_bytes is not None and (
        isinstance(spec.max_batch_bytes, bool)
        or not isinstance(spec.max_batch_bytes, int)
        or spec.max_batch_bytes < 1
    ):
        problems.append("max_batch_bytes must be None or a positive whole number")
    if not isinstance(spec.click_ids, tuple) or not all(
        isinstance(c, str) and _CLICK_ID.fullmatch(c) for c in spec.click_ids
    ):
        problems.append(
            f"click_ids must be a tuple of query parameter names, got {spec.click_ids!r}"
        )
    hosts: object = spec.hosts
    if not isinstance(hosts, tuple):
        problems.append(f"hosts must be a tuple of host names, got {type(hosts).__name__}")
    else:
        for host in hosts:
            if not _is_hostname(host):
                problems.append(
                    f"hosts entry {host!r} must be a bare lower-case host name "
                    "(no scheme, port or path), e.g. 'api.vendor.example'"
                )
        if not hosts and not per_account_hosts:
            problems.append(
                "hosts is empty: declare every host the plugin sends to, or (when each "
                "account has its own host) set per_account_hosts = '<why>' in the "
                "conformance test"
            )
    if spec.unmapped not in ACTIONS:
        problems.append(f"unmapped must be one of {ACTIONS}, got {spec.unmapped!r}")
    dedups: object = spec.dedups
    if not isinstance(dedups, bool):
        problems.append("dedups must be true or false")
    return problems


def _secret_variants(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def _request_key(request: Request) -> tuple[object, ...]:
    return (
        request.method,
        request.full_url,
        tuple(sorted(request.headers.items())),
        request.body,
    )


def _wire_key(recorded: Recorded) -> tuple[object, ...]:
    headers = tuple(sorted(recorded.headers.items()))
    return (recorded.method, recorded.target, headers, recorded.body)


@contextlib.contextmanager
def _pure(monkeypatch: pytest.MonkeyPatch, now: float) -> Iterator[list[str]]:
    """No network (every connection or name lookup is recorded and refused) and
    ``time.time()`` pinned to ``now``."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[1:2] or args[:1])[:80])
        raise OSError("network access from map_event / build_request (they must be pure)")

    with monkeypatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setattr(time, "time", lambda: now)
        patch.setattr(time, "time_ns", lambda: int(now * 1e9))
        yield attempts


class _Harness:
    """Per-test helper: the plugin manager, pipelines and sandboxes, cleaned up after."""

    def __init__(self, suite: VendorConformance) -> None:
        self.suite = suite
        if not suite.vendor:
            pytest.fail(f"{type(suite).__name__} must set vendor = '<vendor name>'")
        self.pm = suite.plugin_manager()
        vendors = self.pm.vendors()
        spec = vendors.get(suite.vendor)
        if spec is None:
            errors = "; ".join(f"{e.name}: {e.error}" for e in self.pm.load_errors)
            pytest.fail(
                f"no plugin declares vendor {suite.vendor!r} (declared: "
                f"{sorted(vendors) or 'none'}; load errors: {errors or 'none'}). Is the "
                "plugin installed (pip install -e .) with an entry point in the group "
                "signal_core.plugins, or set plugin = <module> in the test class?"
            )
        self.spec: Vendor = spec
        self._pipelines: list[Pipeline] = []
        self._boxes: list[Sandbox] = []

    # -- building blocks --------------------------------------------------
    def integration(self, config: Mapping[str, Any] | None = None, **keys: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "vendor": self.suite.vendor,
            "name": f"{self.suite.vendor} conformance",
            "config": dict(self.suite.config if config is None else config),
        }
        data.update(self.suite.integration_options)
        data.update({k: v for k, v in keys.items() if v is not None})
        return data

    def pipeline(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: FakeClock | None = None,
        transport: Any = None,
        **keys: Any,
    ) -> Pipeline:
        pipeline = Pipeline(
            [self.integration(config, **keys)],
            clock=clock or FakeClock(),
            transport=transport,
            plugin_manager=self.pm,
        )
        self._pipelines.append(pipeline)
        return pipeline

    def load(self, config: Mapping[str, Any] | None = None, **keys: Any) -> Integration:
        return load_integration(self.integration(config, **keys), {self.spec.name: self.spec})

    def sandbox(self, *replies: Reply | int, default: Reply | int | None = None) -> Sandbox:
        fallback = self.suite.success_reply(204) if default is None else default
        box = Sandbox(replies, default=fallback).start()
        self._boxes.append(box)
        return box

    def close(self) -> None:
        for pipeline in self._pipelines:
            pipeline.close()
        for box in self._boxes:
            stop_in_background(box)

    # -- mapping without the network ---------------------------------------
    def build(self, integration: Integration, raw: Mapping[str, Any]) -> tuple[list[Request], str]:
        """The requests ``send`` would make for ``raw`` (no base_url), or why there are none."""
        event = normalize(dict(raw))
        rule = integration.mapping.rule_for(event.name)
        if rule is None:
            return [], f"{event.name!r} is not mapped (no preset or mappings entry)"
        if not rule.enabled:
            return [], f"{event.name!r} is disabled in the mappings"
        mapped = event.with_properties(rule.apply(event.properties))
        try:
            payloads = self.pm.hooks.map_event(mapped, rule, integration)
        except DropEvent as drop:
            return [], f"map_event dropped {event.name!r}: {integration.redact(drop.reason)}"
        if not payloads:
            return [], f"map_event returned no payload for {event.name!r}"
        for payload in payloads:
            payload.event_id = event.message_id
        size = max(1, self.spec.max_batch_size)
        requests = [
            self.pm.hooks.build_request(list(payloads[i : i + size]), integration)
            for i in range(0, len(payloads), size)
        ]
        return requests, ""

    def probe(self) -> Mapping[str, Any]:
        """The first sample event that makes exactly one request."""
        integration = self.load()
        for raw in self.suite.events:
            requests, _ = self.build(integration, raw)
            if len(requests) == 1:
                return raw
        pytest.fail("no sample event in `events` maps to exactly one request")

    def send(self, pipeline: Pipeline, raw: Mapping[str, Any]) -> DeliveryResult:
        results = pipeline.send(dict(raw))
        assert len(results) == 1, f"expected one result (one integration), got {results}"
        return results[0]


class VendorConformance:
    """Subclass it in a test module as ``TestXxxConformance`` and set the attributes.

    Required: ``vendor`` (the name the plugin declares), ``config`` (a valid
    sample config: every required field, realistic values) and ``events``
    (sample events, raw dicts, that the vendor maps with ``config``: at least
    one for every source event of every preset, e.g. built with
    :func:`signal_core.testing.track`).
    """

    vendor: ClassVar[str] = ""
    config: ClassVar[Mapping[str, Any]] = {}
    events: ClassVar[Sequence[Mapping[str, Any]]] = ()
    unmapped_events: ClassVar[Sequence[Mapping[str, Any]] | None] = None
    """Events the default preset does not map; default: one track event of an unknown name."""
    integration_options: ClassVar[Mapping[str, Any]] = {}
    """Extra integration keys for every test (``mappings``, ``consent_categories``...)."""
    plugin: ClassVar[object | None] = None
    """Register this plugin (a module or object) instead of loading installed entry points."""
    secrets_config: ClassVar[Mapping[str, Any] | None] = None
    """The config for the secrets test (default ``config``); every secret field gets a canary."""
    secret_canaries: ClassVar[Mapping[str, str]] = {}
    """Canary values per secret field, when a field's validation rejects the default canary."""
    per_account_hosts: ClassVar[str] = ""
    """Why the vendor declares no fixed ``hosts`` (each account has its own); requests must
    then go to hosts named in the sample config's URLs."""
    success_statuses: ClassVar[tuple[int, ...]] = (200, 201, 202, 204)
    client_error_statuses: ClassVar[tuple[int, ...]] = (400, 401, 403, 404, 422)
    retried_statuses: ClassVar[tuple[int, ...]] = (429, 500, 502, 503, 504)

    # -- hooks a subclass may override ---------------------------------------
    def plugin_manager(self) -> PluginManager:
        """The installed plugins, or a fresh manager holding only ``plugin``."""
        if self.plugin is None:
            return get_plugin_manager()
        pm = get_plugin_manager(load_entrypoints=False)
        pm.register(self.plugin, name=self.vendor)
        pm.check_pending()
        return pm

    def success_reply(self, status: int) -> Reply:
        """What the vendor answers when it accepts a request with ``status``."""
        return Reply(status)

    def canary(self, field: ConfigField) -> str:
        """A distinctive value for a secret field: finding it anywhere is a leak."""
        if field.name in self.secret_canaries:
            return self.secret_canaries[field.name]
        return "Cnry" + re.sub(r"[^A-Za-z0-9]", "", field.name.title()) + "9Zq7Xw4Kp"

    # -- the fixture ------------------------------------------------------------
    @pytest.fixture
    def signal_conformance(self) -> Iterator[_Harness]:
        harness = _Harness(self)
        try:
            yield harness
        finally:
            harness.close()

    # -- the declaration -----------------------------------------------------
    def test_vendor_is_declared_once(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        assert isinstance(spec, Vendor)
        assert spec.name == self.vendor
        owners = [
            impl.plugin_name
            for impl in signal_conformance.pm.hook.declare_vendors.get_hookimpls()
            if self.vendor in _declared_names(impl.function())
        ]
        assert len(owners) == 1, f"vendor {self.vendor!r} is declared by {owners}"

    def test_declaration_is_complete(self, signal_conformance: _Harness) -> None:
        problems = declaration_problems(
            signal_conformance.spec, per_account_hosts=self.per_account_hosts
        )
        assert not problems, "the Vendor declaration is incomplete:\n- " + "\n- ".join(problems)

    def test_hooks_answer_only_for_their_vendor(self, signal_conformance: _Harness) -> None:
        """Every hook returns ``None`` for another vendor's integration (firstresult routing)."""
        pm = signal_conformance.pm
        owner = _owner(pm, self.vendor)
        other_spec = Vendor(name=_OTHER_VENDOR)
        other = load_integration({"vendor": _OTHER_VENDOR}, {_OTHER_VENDOR: other_spec})
        event = normalize(dict(self.events[0])) if self.events else None
        request = Request("POST", "https://other.example/collect", (), {}, b"{}")
        arguments: dict[str, dict[str, Any]] = {
            "map_event": {"event": event, "rule": EventRule("x", "x"), "integration": other},
            "build_request": {"payloads": [Payload({"a": 1})], "integration": other},
            "classify_response": {
                "request": request,
                "response": Response(500),
                "error": None,
                "integration": other,
            },
            "authorize_request": {
                "request": request,
                "integration": other,
                "transport": NoNetworkTransport(),
            },
            "id_sync": {"event": event, "integration": other, "privacy": {}},
        }
        problems = []
        for hook, kwargs in arguments.items():
            for impl in getattr(pm.hook, hook).get_hookimpls():
                if impl.plugin is not owner or impl.hookwrapper or getattr(impl, "wrapper", False):
                    continue
                try:
                    answer = impl.function(*(kwargs[name] for name in impl.argnames))
                except Exception as exc:
                    problems.append(f"{hook} raised {type(exc).__name__}: {exc}")
                    continue
                if answer is not None:
                    problems.append(f"{hook} answered {answer!r}")
        assert not problems, (
            f"hooks of the {self.vendor!r} plugin must return None for another vendor's "
            "integration (start each with `if integration.vendor != VENDOR: return None`):\n- "
            + "\n- ".join(problems)
        )

    # -- config ---------------------------------------------------------------
    def test_sample_config_is_valid(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        missing = [f.name for f in spec.config if f.required and f.name not in self.config]
        assert not missing, f"the sample config lacks required field(s) {missing}"
        integration = signal_conformance.load()
        assert integration.vendor == self.vendor

    def test_missing_required_fields_are_rejected(self, signal_conformance: _Harness) -> None:
        required = [f.name for f in signal_conformance.spec.config if f.required]
        problems = []
        for name in required:
            config = {k: v for k, v in self.config.items() if k != name}
            for variant in (config, {**config, name: ""}):
                try:
                    signal_conformance.load(variant)
                except ConfigError as exc:
                    if exc.field != f"config.{name}" or name not in str(exc):
                        problems.append(f"without {name!r} the error names {exc.field!r}: {exc}")
                else:
                    problems.append(f"a config without {name!r} was accepted")
        unknown = {**self.config, "signal_conformance_unknown": "x"}
        with pytest.raises(ConfigError, match="signal_conformance_unknown"):
            signal_conformance.load(unknown)
        assert not problems, "\n".join(problems)

    # -- mapping --------------------------------------------------------------
    def test_sample_events_map(self, signal_conformance: _Harness) -> None:
        assert self.events, "set events = [...]: sample events the vendor maps with `config`"
        integration = signal_conformance.load()
        problems = []
        for raw in self.events:
            requests, why = signal_conformance.build(integration, raw)
            if not requests:
                problems.append(why)
        assert not problems, "sample events must map to requests:\n- " + "\n- ".join(problems)

    def test_every_preset_event_maps(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        by_name: dict[str, list[Mapping[str, Any]]] = {}
        for raw in self.events:
            by_name.setdefault(normalize(dict(raw)).name, []).append(raw)
        problems = []
        for preset, table in spec.presets.items():
            integration = signal_conformance.load(preset=preset)
            for source, rule in table.items():
                if rule.get("enabled", True) is False:
                    continue
                samples = by_name.get(source)
                if not samples:
                    problems.append(
                        f"preset {preset!r} maps {source!r} but `events` has no sample of it"
                    )
                    continue
                for raw in samples:
                    requests, why = signal_conformance.build(integration, raw)
                    if not requests:
                        problems.append(f"preset {preset!r}: {why}")
        assert not problems, "\n".join(problems)

    def test_unmapped_events_are_dropped(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        samples = self.unmapped_events
        if samples is None:
            template = dict(self.events[0]) if self.events else {"anonymous_id": "anon_1"}
            template.update(type="track", event=UNMAPPED_EVENT_NAME)
            template.pop("message_id", None)
            samples = [template]
        box = signal_conformance.sandbox()
        keys: dict[str, Any] = {"base_url": box.url}
        if spec.unmapped == "passthrough":
            # Passthrough vendors send every event; with the action set to drop they must not.
            keys["mappings"] = {"defaults": {"action": "drop"}}
        pipeline = signal_conformance.pipeline(**keys)
        for raw in samples:
            assert pipeline.preview(dict(raw)) == [], f"{raw.get('event')!r} would be sent"
            result = signal_conformance.send(pipeline, raw)
            assert result.status is Status.DROPPED, f"{raw.get('event')!r}: {result}"
        assert box.requests == [], "an unmapped event reached the vendor"
        if spec.unmapped == "passthrough":
            passthrough = signal_conformance.pipeline(base_url=box.url)
            for raw in samples:
                result = signal_conformance.send(passthrough, raw)
                assert result.status is Status.DELIVERED, f"passthrough: {result}"
            assert box.requests, "unmapped events must be sent under passthrough"

    # -- requests ----------------------------------------------------------------
    def test_build_request_is_pure_and_deterministic(
        self, signal_conformance: _Harness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Same payloads, same bytes: twice, in two integrations, at two different times,
        with the network cut off; and ``preview`` sends nothing."""
        harness = signal_conformance
        rounds: list[list[Request]] = []
        for now in (1_700_000_000.0, 1_734_560_007.5):
            integration = harness.load()
            built: list[Request] = []
            with _pure(monkeypatch, now) as attempts:
                for raw in self.events:
                    built.extend(harness.build(integration, raw)[0])
                if harness.spec.max_batch_size > 1 and len(self.events) > 1:
                    built.extend(self._batch_requests(harness, integration))
            assert not attempts, f"map_event/build_request tried to open connections: {attempts}"
            rounds.append(built)
        assert rounds[0], "no sample event built a request"
        assert len(rounds[0]) == len(rounds[1]), "the same events built more or fewer requests"
        for first, second in zip(rounds[0], rounds[1]):
            assert _request_key(first) == _request_key(second), (
                "build_request is not deterministic: the same payloads gave different "
                f"requests ({first.method} {urlsplit(first.url).path}); do not use the clock, "
                "random values or uuid4 in map_event/build_request"
            )
        for request in rounds[0]:
            assert request.method == request.method.upper(), request.method
            assert request.url.startswith(("https://", "http://")), "the URL must be absolute"
            assert request.body is None or isinstance(request.body, bytes), "body must be bytes"
            assert all(
                isinstance(k, str) and isinstance(v, str) for k, v in request.headers.items()
            ), "header names and values must be text"
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in request.query), (
                "query pairs must be text"
            )
        transport = NoNetworkTransport()
        pipeline = harness.pipeline(transport=transport)
        previews = [p for raw in self.events for p in pipeline.preview(dict(raw))]
        assert previews, "preview() shows no request for the sample events"
        assert transport.calls == [], f"preview() sent requests: {transport.calls}"

    def _batch_requests(self, harness: _Harness, integration: Integration) -> list[Request]:
        payloads: list[Payload] = []
        for raw in self.events:
            event = normalize(dict(raw))
            rule = integration.mapping.rule_for(event.name)
            if rule is None or not rule.enabled:
                continue
            try:
                mapped = harness.pm.hooks.map_event(
                    event.with_properties(rule.apply(event.properties)), rule, integration
                )
            except DropEvent:
                continue
            for payload in mapped or ():
                payload.event_id = event.message_id
                payloads.append(payload)
        size = harness.spec.max_batch_size
        return [
            harness.pm.hooks.build_request(payloads[i : i + size], integration)
            for i in range(0, len(payloads), size)
        ]

    def test_requests_go_only_to_declared_hosts(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        allowed = set(spec.hosts)
        if self.per_account_hosts:
            allowed |= _hosts_in(self.config)
        assert allowed, "no declared host and no URL in the sample config"
        problems = []
        for preset in spec.presets:
            integration = signal_conformance.load(preset=preset)
            for raw in self.events:
                requests, _ = signal_conformance.build(integration, raw)
                for request in requests:
                    parts = urlsplit(request.url)
                    host = (parts.hostname or "").lower()
                    where = f"{request.method} to {host!r}"
                    if host not in allowed:
                        problems.append(f"{where}, not one of {sorted(allowed)}")
                    if parts.scheme != "https" and host not in LOOPBACK_HOSTS:
                        problems.append(f"{where} over {parts.scheme}, not https")
        assert not problems, "\n".join(sorted(set(problems)))

    def test_requests_go_only_to_base_url(self, signal_conformance: _Harness) -> None:
        box = signal_conformance.sandbox()
        transport = RecordingTransport()
        pipeline = signal_conformance.pipeline(base_url=box.url, transport=transport)
        for raw in self.events:
            for preview in pipeline.preview(dict(raw)):
                assert preview.url.startswith(box.url + "/"), "preview ignores base_url"
            signal_conformance.send(pipeline, raw)
        assert transport.sent, "nothing was sent"
        base = box.url + "/"
        stray = [f"{s.method} {s.host}" for s in transport.sent if not s.url.startswith(base)]
        assert not stray, f"requests went around base_url: {stray}"
        assert len(box.requests) == len(transport.sent)

    # -- secrets -------------------------------------------------------------------
    def test_secrets_are_redacted(
        self,
        signal_conformance: _Harness,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A canary in every secret field appears in no preview, result, repr, error,
        dead letter or log record (root logger at DEBUG), yet reaches the vendor."""
        harness = signal_conformance
        secret_fields = [f for f in harness.spec.config if f.secret]
        if not secret_fields:
            pytest.skip(f"vendor {self.vendor!r} declares no secret config field")
        config = dict(self.config if self.secrets_config is None else self.secrets_config)
        canaries = {f.name: self.canary(f) for f in secret_fields}
        config.update(canaries)
        caplog.set_level(logging.DEBUG)
        texts: list[tuple[str, str]] = []

        try:
            harness.load(config)
        except ConfigError as exc:
            pytest.fail(
                f"the canary config is invalid ({exc}); set secret_canaries = {{field: value}} "
                "with values the fields accept, or secrets_config"
            )
        for name, value in canaries.items():
            for bad in (f" {value}", f"{value}\n"):
                try:
                    harness.load({**config, name: bad})
                except ConfigError as exc:
                    texts.append((f"ConfigError for a malformed {name}", f"{exc!s} {exc!r}"))
                    if exc.field not in (f"config.{name}", "config"):
                        pytest.fail(f"a malformed {name} is reported as {exc.field!r}")

        ok_box = harness.sandbox()
        pipeline = harness.pipeline(config, base_url=ok_box.url)
        texts.append(("repr(pipeline)", repr(pipeline)))
        for integration in pipeline.integrations:
            texts.append(("repr(integration)", repr(integration)))
            texts.append(("integration.describe()", json.dumps(integration.describe())))
            texts.append(("repr(integration.config)", repr(integration.config)))
        for raw in self.events:
            for preview in pipeline.preview(dict(raw)):
                texts.append(("preview", str(preview)))
                texts.append(("preview.to_dict()", json.dumps(preview.to_dict())))
        scenarios: list[tuple[str, Pipeline]] = [("delivered", pipeline)]
        for label, status in (("401", 401), ("503", 503)):
            box = harness.sandbox(default=status)
            scenarios.append((label, harness.pipeline(config, base_url=box.url)))
        refused = f"http://127.0.0.1:{closed_port()}"
        scenarios.append(("connection refused", harness.pipeline(config, base_url=refused)))
        for label, scenario in scenarios:
            for raw in self.events:
                for result in scenario.send(dict(raw)):
                    texts.append((f"{label} result", f"{result!r} {json.dumps(result.to_dict())}"))
            out = io.StringIO()
            scenario.dead_letters.export(out)
            texts.append((f"{label} dead letters", out.getvalue()))
        for record in caplog.records:
            texts.append((f"log record {record.name}", record.getMessage()))
            if record.exc_text:
                texts.append((f"log record {record.name} traceback", record.exc_text))
        texts.append(("log output", caplog.text))

        leaks = []
        for name, value in canaries.items():
            variants = _secret_variants(value)
            for where, text in texts:
                if any(v in text for v in variants):
                    leaks.append(f"{name} appears in {where}")
        assert not leaks, "secrets leaked:\n- " + "\n- ".join(sorted(set(leaks)))
        wire = [
            r.target + json.dumps(r.headers) + r.body.decode("latin-1")
            for box in harness._boxes
            for r in box.requests
        ]
        unused = [
            name
            for name, value in canaries.items()
            if not any(v in text for text in wire for v in _secret_variants(value))
            and not self._secret_changes_requests(harness, config, name)
        ]
        assert not unused, (
            f"secret field(s) {unused} neither reached the vendor nor changed a request, so "
            "this test proves nothing; set secrets_config to a config that uses them"
        )

    def _secret_changes_requests(
        self, harness: _Harness, config: dict[str, Any], name: str
    ) -> bool:
        """A secret used only to sign (an HMAC) never travels: it must change the bytes."""
        other = {**config, name: config[name][::-1]}
        try:
            first, second = harness.load(config), harness.load(other)
        except ConfigError:
            return False
        for raw in self.events:
            built = [_request_key(r) for r in harness.build(first, raw)[0]]
            if built != [_request_key(r) for r in harness.build(second, raw)[0]]:
                return True
        return False

    # -- classification and retries -------------------------------------------------
    def test_2xx_is_delivered(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        for status in self.success_statuses:
            box = signal_conformance.sandbox(self.success_reply(status))
            clock = FakeClock()
            pipeline = signal_conformance.pipeline(base_url=box.url, clock=clock)
            result = signal_conformance.send(pipeline, probe)
            assert result.status is Status.DELIVERED, f"{status}: {result}"
            assert (result.attempts, result.http_status) == (1, status), result
            assert len(box.requests) == 1
            assert clock.sleeps == []

    def test_4xx_fails_without_retry(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        problems = []
        for status in self.client_error_statuses:
            box = signal_conformance.sandbox(status)
            clock = FakeClock()
            pipeline = signal_conformance.pipeline(base_url=box.url, clock=clock)
            result = signal_conformance.send(pipeline, probe)
            if result.status is not Status.FAILED or result.attempts != 1:
                problems.append(f"{status}: {result.status} after {result.attempts} attempt(s)")
            elif len(box.requests) != 1 or clock.sleeps:
                problems.append(f"{status}: {len(box.requests)} requests, slept {clock.sleeps}")
            elif str(status) not in result.reason:
                problems.append(f"{status}: the reason does not name the status: {result.reason!r}")
            elif result.http_status != status:
                problems.append(f"{status}: http_status is {result.http_status}")
        assert not problems, "client errors must fail at once:\n- " + "\n- ".join(problems)

    def test_429_and_5xx_are_retried(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        problems = []
        for status in self.retried_statuses:
            box = signal_conformance.sandbox(status, self.success_reply(200))
            clock = FakeClock()
            pipeline = signal_conformance.pipeline(base_url=box.url, clock=clock)
            result = signal_conformance.send(pipeline, probe)
            if result.status is not Status.DELIVERED or result.attempts != 2:
                problems.append(f"{status}: {result.status} after {result.attempts} attempt(s)")
            elif len(box.requests) != 2 or len(clock.sleeps) != 1:
                problems.append(f"{status}: {len(box.requests)} requests, slept {clock.sleeps}")
        assert not problems, "429 and 5xx must be retried:\n- " + "\n- ".join(problems)
        box = signal_conformance.sandbox(Reply(429, {"Retry-After": "2"}))
        clock = FakeClock()
        result = signal_conformance.send(
            signal_conformance.pipeline(base_url=box.url, clock=clock), probe
        )
        assert result.status is Status.DELIVERED, f"429 then 2xx: {result}"
        assert clock.sleeps == [2.0], "429 with Retry-After: 2 must wait 2 s once"

    def test_retries_give_up_after_the_policy_attempts(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        attempts = 3
        box = signal_conformance.sandbox(*([503] * (attempts + 2)))
        clock = FakeClock()
        pipeline = signal_conformance.pipeline(
            base_url=box.url, clock=clock, retry={"attempts": attempts}
        )
        result = signal_conformance.send(pipeline, probe)
        assert result.status is Status.FAILED, result
        assert result.attempts == attempts, result
        assert len(box.requests) == attempts
        assert len(clock.sleeps) == attempts - 1, clock.sleeps
        letters = pipeline.dead_letters.list()
        assert [d.event_id for d in letters] == [result.event_id], "failed event not kept"

    def test_connection_refused_is_retried(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        clock = FakeClock()
        pipeline = signal_conformance.pipeline(
            base_url=f"http://127.0.0.1:{closed_port()}", clock=clock, retry={"attempts": 3}
        )
        result = signal_conformance.send(pipeline, probe)
        assert result.status is Status.FAILED, result
        assert result.attempts == 3, result
        assert result.http_status is None
        assert len(clock.sleeps) == 2, clock.sleeps

    def test_retries_resend_identical_bytes(self, signal_conformance: _Harness) -> None:
        probe = signal_conformance.probe()
        box = signal_conformance.sandbox(503)
        pipeline = signal_conformance.pipeline(base_url=box.url)
        result = signal_conformance.send(pipeline, probe)
        assert result.status is Status.DELIVERED, result
        assert result.attempts == 2, result
        first, second = box.requests
        assert _wire_key(first) == _wire_key(second), (
            "a retry must resend exactly the same request (method, URL, headers, body)"
        )

    def test_batches_split_on_413(self, signal_conformance: _Harness) -> None:
        spec = signal_conformance.spec
        if spec.max_batch_size < 2:
            pytest.skip(f"vendor {self.vendor!r} takes one event per request")
        probe = dict(signal_conformance.probe())
        batch = []
        for index in range(2):
            event = dict(probe)
            event["message_id"] = f"{probe.get('message_id') or 'msg'}-batch-{index}"
            batch.append(event)
        box = signal_conformance.sandbox()
        summary = signal_conformance.pipeline(base_url=box.url).send_many(batch, workers=1)
        assert summary.total(Status.DELIVERED) == 2, summary.to_dict()
        assert len(box.requests) == 1, "send_many must put both events in one request"
        box = signal_conformance.sandbox(413)
        summary = signal_conformance.pipeline(base_url=box.url).send_many(batch, workers=1)
        assert summary.total(Status.DELIVERED) == 2, summary.to_dict()
        assert len(box.requests) == 3, "413 must split the batch into single-event requests"


def _declared_names(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, Vendor):
        return {value.name}
    return {v.name for v in value if isinstance(v, Vendor)}


def _owner(pm: PluginManager, vendor: str) -> object:
    for impl in pm.hook.declare_vendors.get_hookimpls():
        if vendor in _declared_names(impl.function()):
            return impl.plugin
    raise AssertionError(f"no plugin declares {vendor!r}")


def _hosts_in(config: Mapping[str, Any]) -> set[str]:
    hosts = set()
    for value in config.values():
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            host = urlsplit(value.replace("{", "").replace("}", "")).hostname
            if host:
                hosts.add(host.lower())
    return hosts
