"""The embedding API: ``Pipeline``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from .cli.safe_text import one_line
from .clickids import ClickIdTracker, click_id_ttls
from .clock import Clock, SystemClock
from .consent import ConsentSettings
from .deadletters import DeadLetterQueue
from .delivery import Attempted, Deliverer
from .errors import ConfigError, DropEvent, InvalidEventError
from .events import Event, normalize
from .idsync import IdSyncRunner
from .integration import Integration, load_integration
from .outcome import Verdict
from .payload import Payload
from .pipeline_file import read_pipeline_file
from .plugins import PluginManager, get_plugin_manager
from .preview import RequestPreview, preview_request
from .redact import install_log_filter
from .results import DeliveryResult, SendSummary, Status
from .retry import RetryPolicy
from .state import Store, open_store
from .transport import Transport
from .transport_urllib3 import Urllib3Transport

log = logging.getLogger("signal_core.pipeline")

ResultCallback = Callable[[DeliveryResult], None]
InvalidCallback = Callable[[int, InvalidEventError], None]
IntegrationLike = Union[Mapping[str, Any], Integration]


@dataclass
class _Prepared:
    event: Event
    integration: Integration
    payloads: list[Payload]


class Pipeline:
    """Validates, applies consent, maps and delivers events to integrations.

    Keyword arguments mirror the pipeline file's keys (``retry``, ``timeout``,
    ``consent``); ``transport``, ``clock`` and ``plugin_manager`` are seams
    for tests and other HTTP stacks.
    """

    def __init__(
        self,
        integrations: Sequence[IntegrationLike] = (),
        *,
        retry: RetryPolicy | Mapping[str, Any] | None = None,
        timeout: float | Mapping[str, Any] | None = None,
        consent: ConsentSettings | Mapping[str, Any] | None = None,
        state: str | Store | None = None,
        transport: Transport | None = None,
        clock: Clock | None = None,
        plugin_manager: PluginManager | None = None,
    ) -> None:
        install_log_filter()
        self.plugin_manager = plugin_manager or get_plugin_manager()
        self.hooks = self.plugin_manager.hooks
        vendors = self.hooks.vendors()
        policy = retry if isinstance(retry, RetryPolicy) else RetryPolicy().merged(retry)
        self.retry = policy.with_timeout(timeout)
        self.integrations: list[Integration] = []
        for index, item in enumerate(integrations):
            if isinstance(item, Integration):
                self.integrations.append(item)
            else:
                self.integrations.append(
                    load_integration(item, vendors, retry=self.retry, index=index)
                )
        seen: set[str] = set()
        for integration in self.integrations:
            if integration.name in seen:
                raise ConfigError("two integrations share this name", integration=integration.name)
            seen.add(integration.name)
        self.consent = ConsentSettings.from_config(consent)
        self._own_transport = transport is None
        self.transport: Transport = transport or Urllib3Transport(
            max_response_bytes=self.retry.max_response_bytes
        )
        self.clock: Clock = clock or SystemClock()
        self._deliverer = Deliverer(self.hooks, self.transport, self.clock)
        self._own_store = state is None or isinstance(state, str)
        self.store: Store = (
            open_store(state or "memory://", now=self.clock.time)
            if state is None or isinstance(state, str)
            else state
        )
        self.dead_letters = DeadLetterQueue(self.store, self.clock)
        self._click_ids = ClickIdTracker(self.store, click_id_ttls(self.integrations))
        self._id_syncs = (
            IdSyncRunner(self.store, self.transport, self.consent, self.hooks.id_sync)
            if self.hooks.implements("id_sync")
            else None
        )
        self._fanout: ThreadPoolExecutor | None = None
        self._fanout_lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> Pipeline:
        """Load a TOML or JSON pipeline file; ``kwargs`` override its keys."""
        data = read_pipeline_file(path)
        settings = {k: v for k, v in data.items() if k != "integrations"}
        settings.update(kwargs)
        return cls(data["integrations"], **settings)

    # -- the three entry points ---------------------------------------------
    def send(self, event: Any) -> list[DeliveryResult]:
        """Deliver one event to every integration; one result per integration.

        Raises :class:`InvalidEventError` for an invalid event; vendor and
        network failures are results, never exceptions.
        """
        ev = normalize(event)
        self._enrich(ev)
        if len(self.integrations) == 1:  # the common case: no fan-out bookkeeping
            prepared = self._prepare(ev, self.integrations[0])
            if isinstance(prepared, DeliveryResult):
                return [prepared]
            return [self._deliver(prepared)]
        results: list[DeliveryResult | None] = []
        pending: list[tuple[int, _Prepared]] = []
        for integration in self.integrations:
            prepared = self._prepare(ev, integration)
            if isinstance(prepared, DeliveryResult):
                results.append(prepared)
            else:
                pending.append((len(results), prepared))
                results.append(None)
        if len(pending) == 1:
            index, prepared = pending[0]
            results[index] = self._deliver(prepared)
        elif pending:
            pool = self._fanout_pool()
            futures = [(i, pool.submit(self._deliver, p)) for i, p in pending]
            for index, future in futures:
                results[index] = future.result()
        return [r for r in results if r is not None]

    def send_many(
        self,
        events: Iterable[Any],
        *,
        workers: int = 4,
        on_result: ResultCallback | None = None,
        on_invalid: InvalidCallback | None = None,
    ) -> SendSummary:
        """Deliver a stream of events with ``workers`` threads.

        Events are read lazily (a bounded number in flight), batched per
        integration up to the vendor's batch size, and counted in the summary.
        Invalid events are counted and reported to ``on_invalid`` with their
        0-based index. ``on_result`` is called once per event and integration,
        never concurrently.
        """
        if workers < 1:
            raise ValueError("workers must be at least 1")
        summary = SendSummary()
        report_lock = threading.Lock()

        def record(result: DeliveryResult) -> None:
            summary.add(result)
            if on_result is not None:
                with report_lock:
                    on_result(result)

        slots = threading.BoundedSemaphore(workers * 4)
        buffers: dict[str, list[_Prepared]] = {}
        buffered: dict[str, int] = {}  # payloads in each buffer, kept as it fills

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signal-send") as pool:

            def submit(job: Callable[[], list[DeliveryResult]]) -> None:
                slots.acquire()

                def run() -> None:
                    try:
                        for result in job():
                            record(result)
                    finally:
                        slots.release()

                pool.submit(run)

            for index, raw in enumerate(events):
                summary.events += 1
                try:
                    ev = normalize(raw)
                except InvalidEventError as exc:
                    summary.add_invalid(index, str(exc))
                    self.keep_invalid(raw, exc)
                    if on_invalid is not None:
                        with report_lock:
                            on_invalid(index, exc)
                    continue
                self._enrich(ev)
                for integration in self.integrations:
                    prepared = self._prepare(ev, integration)
                    if isinstance(prepared, DeliveryResult):
                        record(prepared)
                        continue
                    limit = integration.batch_size
                    if limit <= 1:
                        submit(lambda p=prepared: [self._deliver(p)])  # type: ignore[misc]
                        continue
                    name = integration.name
                    buffer = buffers.setdefault(name, [])
                    buffer.append(prepared)
                    count = buffered.get(name, 0) + len(prepared.payloads)
                    if count < limit:
                        buffered[name] = count
                    else:
                        buffers[name] = []
                        buffered[name] = 0
                        submit(lambda b=buffer: self._deliver_batch(b))  # type: ignore[misc]
            for buffer in buffers.values():
                if buffer:
                    submit(lambda b=buffer: self._deliver_batch(b))  # type: ignore[misc]
        return summary

    def preview(self, event: Any) -> list[RequestPreview]:
        """The requests ``send`` would make, redacted; nothing is sent."""
        return [p for p in self.plan(event) if isinstance(p, RequestPreview)]

    def plan(self, event: Any) -> list[RequestPreview | DeliveryResult]:
        """Per integration: the redacted requests, or why nothing would be sent."""
        ev = normalize(event)
        out: list[RequestPreview | DeliveryResult] = []
        for integration in self.integrations:
            prepared = self._prepare(ev, integration, record=False)
            if isinstance(prepared, DeliveryResult):
                out.append(prepared)
                continue
            size = integration.batch_size
            for start in range(0, len(prepared.payloads), size):
                chunk = prepared.payloads[start : start + size]
                try:
                    request = self._deliverer.build(chunk, integration)
                except Exception as exc:
                    out.append(self._failed(ev, integration, "build_request", exc, record=False))
                    break
                out.append(preview_request(request, integration, ev.message_id))
        return out

    def send_to(self, event: Any, integration: Integration) -> DeliveryResult:
        """Deliver one event to one of this pipeline's integrations (used by replay)."""
        ev = normalize(event)
        self._enrich(ev)
        prepared = self._prepare(ev, integration)
        if isinstance(prepared, DeliveryResult):
            return prepared
        return self._deliver(prepared)

    # -- internals --------------------------------------------------------------
    def _enrich(self, ev: Event) -> None:
        """Click ids and ID syncs, before any integration maps the event.

        A state store that is down costs the enrichment, never the delivery.
        What the core adds to ``context`` is part of the stored event, so a
        replay carries the same click ids and synced ids.
        """
        try:
            if self._click_ids:
                self._click_ids.apply(ev)
            if self._id_syncs is not None:
                for integration in self.integrations:
                    # No plugin answers id_sync for this vendor: nothing to look up.
                    if self.hooks.implemented_for("id_sync", integration.vendor):
                        self._id_syncs.apply(ev, integration)
        except Exception:
            log.exception(
                "event %r: click-id / id-sync state unavailable; sending without", ev.message_id
            )
        if ev.context and "context" not in ev.raw:
            ev.raw["context"] = ev.context

    def keep_invalid(self, raw: Any, error: InvalidEventError | str) -> None:
        """Keep invalid input (an event dict or an unparsable line) as a dead letter."""
        try:
            self.dead_letters.record_invalid(raw, error)
        except Exception:
            log.exception("could not write an invalid event to the dead-letter store")

    def _keep_failed(self, result: DeliveryResult, ev: Event) -> None:
        try:
            self.dead_letters.record_failure(result, ev.raw)
        except Exception:
            log.exception("could not write event %r to the dead-letter store", ev.message_id)

    def _prepare(
        self, ev: Event, integration: Integration, *, record: bool = True
    ) -> _Prepared | DeliveryResult:
        def result(status: Status, reason: str) -> DeliveryResult:
            return DeliveryResult(
                integration.name, integration.vendor, status, reason, event_id=ev.message_id
            )

        if not integration.enabled:
            return result(Status.SKIPPED, "integration is disabled")
        skip = self.consent.skip_reason(ev, integration.consent_categories)
        if skip is not None:
            return result(Status.SKIPPED, skip)
        rule = integration.mapping.rule_for(ev.name)
        if rule is None:
            return result(Status.DROPPED, f"event {ev.name!r} is not mapped for this integration")
        if not rule.enabled:
            return result(Status.DROPPED, f"event {ev.name!r} is disabled in the mappings")
        mapped = ev.with_properties(rule.apply(ev.properties)) if rule.rename or rule.values else ev
        try:
            payloads = list(self.hooks.map_event(mapped, rule, integration) or ())
            for payload in payloads:  # a plugin bug is a failed result, not an exception
                if not isinstance(payload, Payload):
                    raise TypeError(f"map_event returned {type(payload).__name__}, not Payload")
        except DropEvent as drop:
            return result(Status.DROPPED, integration.redact(drop.reason))
        except Exception as exc:
            return self._failed(ev, integration, "map_event", exc, record=record)
        if not payloads:
            return result(Status.DROPPED, f"the {integration.vendor} plugin mapped nothing")
        for payload in payloads:
            payload.event_id = ev.message_id
        return _Prepared(ev, integration, payloads)

    def _failed(
        self,
        ev: Event,
        integration: Integration,
        hook: str,
        exc: BaseException,
        *,
        record: bool = True,
    ) -> DeliveryResult:
        reason = integration.redact(f"plugin error in {hook}: {type(exc).__name__}: {exc}")
        log.error("integration=%r event=%r %s", integration.name, ev.message_id, one_line(reason))
        result = DeliveryResult(
            integration.name, integration.vendor, Status.FAILED, reason, event_id=ev.message_id
        )
        if record:
            self._keep_failed(result, ev)
        return result

    def _deliver(self, prepared: _Prepared) -> DeliveryResult:
        return self._deliver_batch([prepared])[0]

    def _deliver_batch(self, batch: list[_Prepared]) -> list[DeliveryResult]:
        integration = batch[0].integration
        payloads = [p for prepared in batch for p in prepared.payloads]
        try:
            attempted = self._deliverer.deliver_payloads(payloads, integration)
        except Exception as exc:  # a plugin bug must not lose the events
            return [self._failed(p.event, integration, "delivery", exc) for p in batch]
        results: list[DeliveryResult] = []
        position = 0
        for prepared in batch:
            mine = attempted[position : position + len(prepared.payloads)]
            position += len(prepared.payloads)
            result = _summarise(prepared, mine)
            if result.status is Status.FAILED:
                self._keep_failed(result, prepared.event)
            results.append(result)
        return results

    def _fanout_pool(self) -> ThreadPoolExecutor:
        with self._fanout_lock:
            if self._fanout is None:
                self._fanout = ThreadPoolExecutor(
                    max_workers=max(2, len(self.integrations)), thread_name_prefix="signal-fanout"
                )
            return self._fanout

    def close(self) -> None:
        if self._fanout is not None:
            self._fanout.shutdown(wait=True)
            self._fanout = None
        close = getattr(self.transport, "close", None)
        if self._own_transport and callable(close):
            close()
        if self._own_store:
            self.store.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        names = ", ".join(i.name for i in self.integrations)
        return f"<Pipeline [{names}]>"


def _summarise(prepared: _Prepared, attempted: list[Attempted]) -> DeliveryResult:
    integration = prepared.integration
    if len(attempted) == 1 and not prepared.payloads[0].notes:
        # One payload without notes (most events): the same result, without the joins.
        only = attempted[0]
        outcome = only.outcome
        delivered = outcome.verdict is Verdict.DELIVERED
        return DeliveryResult(
            integration.name,
            integration.vendor,
            Status.DELIVERED if delivered else Status.FAILED,
            integration.redact(outcome.reason),
            only.attempts,
            only.http_status,
            prepared.event.message_id,
            (),
        )
    notes = tuple(n for p in prepared.payloads for n in p.notes)
    failed = [a for a in attempted if a.outcome.verdict is not Verdict.DELIVERED]
    final = failed[0] if failed else attempted[-1]
    status = Status.FAILED if failed else Status.DELIVERED
    reason = final.outcome.reason
    if notes and status is Status.DELIVERED:
        reason = f"{reason}; " + "; ".join(notes)
    return DeliveryResult(
        integration=integration.name,
        vendor=integration.vendor,
        status=status,
        reason=integration.redact(reason),
        attempts=max(a.attempts for a in attempted),
        http_status=final.http_status,
        event_id=prepared.event.message_id,
        notes=notes,
    )
