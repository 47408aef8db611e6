"""Finding, loading and calling plugins."""

from __future__ import annotations

import importlib.metadata as md
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from . import defaults, hookspecs
from .errors import ConfigError, TransportError
from .events import Event
from .idsync import IdSync
from .integration import Integration
from .mapping import EventRule
from .outcome import Outcome
from .payload import Payload
from .transport import Transport
from .vendor import Vendor
from .wire import Request, Response

ENTRY_POINT_GROUP = "signal_core.plugins"
PLUGINS_ENV = "SIGNAL_PLUGINS"
"""Comma-separated entry-point names to load; unset loads all, empty loads none."""


@dataclass(frozen=True)
class PluginLoadError:
    name: str
    distribution: str
    version: str
    error: str


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    vendors: tuple[str, ...]


def _entry_points() -> list[tuple[md.EntryPoint, str, str]]:
    """Entry points of our group, each with its distribution's name and version."""
    found: Any = md.entry_points()
    if hasattr(found, "select"):
        out = []
        for ep in found.select(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            if dist is None:  # pragma: no cover - every installed entry point has one
                out.append((ep, "?", "?"))
            else:
                out.append((ep, dist.metadata["Name"], dist.version))
        return out
    # Python 3.9: entry points do not know their distribution; walk distributions.
    return [  # pragma: no cover - exercised on 3.9 only
        (ep, dist.metadata["Name"], dist.version)
        for dist in md.distributions()
        for ep in dist.entry_points
        if ep.group == ENTRY_POINT_GROUP
    ]


def _wanted(env: str | None) -> set[str] | None:
    if env is None:
        return None
    return {n.strip() for n in env.split(",") if n.strip()}


def get_plugin_manager(*, load_entrypoints: bool = True) -> PluginManager:
    """A plugin manager with the core's defaults and every installed plugin."""
    pm = PluginManager()
    if load_entrypoints:
        pm.load_entrypoints(_wanted(os.environ.get(PLUGINS_ENV)))
    pm.check_pending()
    return pm


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus load-error bookkeeping and a typed facade."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.register(defaults, name="signal_core.defaults")
        self.load_errors: list[PluginLoadError] = []
        self.dists: dict[str, tuple[str, str]] = {}
        self.hooks = Hooks(self)

    def load_entrypoints(self, only: set[str] | None = None) -> None:
        """Load each entry point in its own ``try``: a broken plugin is reported."""
        for ep, dist_name, version in _entry_points():
            if only is not None and ep.name not in only:
                continue
            if self.get_plugin(ep.name) is not None or self.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
                self.register(plugin, name=ep.name)
                self.check_pending()
            except Exception as exc:  # one broken plugin must not stop the others
                if self.get_plugin(ep.name) is not None:
                    self.unregister(name=ep.name)
                self.load_errors.append(
                    PluginLoadError(ep.name, dist_name, version, f"{type(exc).__name__}: {exc}")
                )
                continue
            self.dists[ep.name] = (dist_name, version)

    def vendors(self) -> dict[str, Vendor]:
        return self.hooks.vendors()

    def describe(self) -> list[PluginInfo]:
        infos = []
        for name, plugin in self.list_name_plugin():
            if plugin is defaults or name is None:
                continue
            hooks = tuple(sorted(h.name for h in self.get_hookcallers(plugin) or ()))
            declared: Iterable[Vendor] = ()
            if hasattr(plugin, "declare_vendors"):
                try:
                    declared = _as_vendors(plugin.declare_vendors())
                except Exception:
                    declared = ()
            dist, version = self.dists.get(name, ("(registered in process)", ""))
            infos.append(PluginInfo(name, dist, version, hooks, tuple(v.name for v in declared)))
        return infos


def _as_vendors(value: Any) -> list[Vendor]:
    if value is None:
        return []
    if isinstance(value, Vendor):
        return [value]
    return [v for v in value if isinstance(v, Vendor)]


class Hooks:
    """Typed facade over ``pm.hook``: every core call site goes through here."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._hook = pm.hook

    def vendors(self) -> dict[str, Vendor]:
        out: dict[str, Vendor] = {}
        for result in self._hook.declare_vendors():
            for vendor in _as_vendors(result):
                if vendor.name in out:
                    raise ConfigError(f"vendor {vendor.name!r} is declared by two plugins")
                out[vendor.name] = vendor
        return out

    def implements(self, hook: str) -> bool:
        return bool(getattr(self._hook, hook).get_hookimpls())

    def id_sync(
        self, event: Event, integration: Integration, privacy: Mapping[str, str]
    ) -> IdSync | None:
        result = self._hook.id_sync(event=event, integration=integration, privacy=privacy)
        return result if isinstance(result, IdSync) else None

    def map_event(
        self, event: Event, rule: EventRule, integration: Integration
    ) -> Sequence[Payload] | None:
        return cast(
            "Sequence[Payload] | None",
            self._hook.map_event(event=event, rule=rule, integration=integration),
        )

    def build_request(self, payloads: Sequence[Payload], integration: Integration) -> Request:
        request = self._hook.build_request(payloads=payloads, integration=integration)
        if not isinstance(request, Request):
            raise TypeError(f"no plugin built a request for vendor {integration.vendor!r}")
        return request

    def authorize_request(
        self, request: Request, integration: Integration, transport: Transport
    ) -> Request:
        result = self._hook.authorize_request(
            request=request, integration=integration, transport=transport
        )
        return result if isinstance(result, Request) else request

    def classify_response(
        self,
        request: Request,
        response: Response | None,
        error: TransportError | None,
        integration: Integration,
    ) -> Outcome:
        return cast(
            Outcome,
            self._hook.classify_response(
                request=request, response=response, error=error, integration=integration
            ),
        )
