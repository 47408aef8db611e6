"""Finding, loading and calling plugins."""

from __future__ import annotations

import importlib.metadata as md
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, cast

import pluggy
from pluggy import HookImpl

from . import defaults, hookspecs
from .errors import ConfigError, TransportError
from .events import Event
from .idsync import IdSync
from .integration import Integration
from .mapping import EventRule
from .outcome import Outcome
from .payload import Payload
from .vendor import Vendor
from .wire import Request, Response

if TYPE_CHECKING:  # not imported at run time: `signal plugins` does not need requests
    from .transport import Transport

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
        self.hooks = Hooks(self)
        self.register(defaults, name="signal_core.defaults")
        self.load_errors: list[PluginLoadError] = []
        self.dists: dict[str, tuple[str, str]] = {}

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        try:
            return super().register(plugin, name)
        finally:
            self._routes_changed()

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        try:
            return super().unregister(plugin, name)
        finally:
            self._routes_changed()

    def _routes_changed(self) -> None:
        hooks = getattr(self, "hooks", None)
        if isinstance(hooks, Hooks):
            hooks.invalidate()

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


_Route = tuple[tuple[tuple[Any, Optional[tuple[int, ...]]], ...], Optional[tuple[HookImpl, ...]]]
"""For one (hook, vendor): (function, argument positions or ``None`` for all) to call
directly in order, or the implementations to hand to pluggy when a wrapper is among them."""


# Argument order of each routed hook (its spec), as the facade passes them.
_SPEC_ARGS: dict[str, tuple[str, ...]] = {
    "id_sync": ("event", "integration", "privacy"),
    "map_event": ("event", "rule", "integration"),
    "build_request": ("payloads", "integration"),
    "authorize_request": ("request", "integration", "transport"),
    "classify_response": ("request", "response", "error", "integration"),
}


class Hooks:
    """Typed facade over ``pm.hook``: every core call site goes through here.

    Every per-vendor hook is ``firstresult`` and each vendor plugin answers
    only for its own vendors, so a call is routed: per (hook, vendor) the
    facade keeps the implementations of the plugins that declare that vendor,
    of plugins that declare no vendor (wrappers, third-party helpers), every
    wrapper, and the core's defaults, in pluggy's order. Plugins declaring
    only other vendors are skipped. A vendor no plugin declares gets every
    implementation. The routes are rebuilt when a plugin is registered or
    unregistered.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm
        self._hook = pm.hook
        self._plain_exec = pm._inner_hookexec
        self._routes: dict[tuple[str, str], _Route] = {}
        self._owners: dict[int, frozenset[str] | None] | None = None

    def invalidate(self) -> None:
        """Forget the routes (a plugin was registered or unregistered)."""
        self._routes = {}
        self._owners = None

    def _vendor_owners(self) -> dict[int, frozenset[str] | None]:
        """id(plugin) -> the vendors it declares (``None``: unknown, always called)."""
        owners = self._owners
        if owners is None:
            owners = {}
            for impl in self._hook.declare_vendors.get_hookimpls():
                if impl.hookwrapper or impl.wrapper:
                    owners[id(impl.plugin)] = None
                    continue
                try:
                    names: frozenset[str] | None = frozenset(
                        v.name for v in _as_vendors(impl.function())
                    )
                except Exception:
                    names = None
                owners[id(impl.plugin)] = names
            self._owners = owners
        return owners

    def _route_impls(self, impls: list[HookImpl], vendor: str) -> list[HookImpl]:
        owners = self._vendor_owners()
        if not any(names and vendor in names for names in owners.values()):
            return impls  # no plugin declares this vendor: ask every one
        keep = []
        for impl in impls:
            names = owners.get(id(impl.plugin))
            if impl.hookwrapper or impl.wrapper or not names or vendor in names:
                keep.append(impl)
        return keep

    def _route(self, name: str, vendor: str) -> _Route:
        cached = self._routes.get((name, vendor))
        if cached is not None:
            return cached
        impls = self._route_impls(getattr(self._hook, name).get_hookimpls(), vendor)
        route: _Route
        if any(impl.hookwrapper or impl.wrapper for impl in impls):
            route = ((), tuple(impls))
        else:
            argnames = _SPEC_ARGS[name]
            direct = []
            for impl in reversed(impls):  # pluggy calls the last registered first
                positions = tuple(argnames.index(arg) for arg in impl.argnames)
                whole = positions == tuple(range(len(argnames)))
                direct.append((impl.function, None if whole else positions))
            route = (tuple(direct), None)
        self._routes[(name, vendor)] = route
        return route

    def _call(self, name: str, vendor: str, args: tuple[Any, ...]) -> Any:
        direct, impls = self._route(name, vendor)
        if impls is None and self._pm._inner_hookexec is self._plain_exec:
            # What pluggy's _multicall does for a firstresult hook without wrappers.
            for function, positions in direct:
                if positions is None:
                    result = function(*args)
                else:
                    result = function(*[args[i] for i in positions])
                if result is not None:
                    return result
            return None
        if impls is None:  # a hook-call monitor is installed: let pluggy call them
            impls = tuple(self._route_impls(getattr(self._hook, name).get_hookimpls(), vendor))
        kwargs = dict(zip(_SPEC_ARGS[name], args))
        return self._pm._hookexec(name, list(impls), kwargs, True)

    def implemented_for(self, hook: str, vendor: str) -> bool:
        """Whether any implementation of ``hook`` would be called for ``vendor``."""
        direct, impls = self._route(hook, vendor)
        return bool(direct or impls)

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
        result = self._call("id_sync", integration.vendor, (event, integration, privacy))
        return result if isinstance(result, IdSync) else None

    def map_event(
        self, event: Event, rule: EventRule, integration: Integration
    ) -> Sequence[Payload] | None:
        return cast(
            "Sequence[Payload] | None",
            self._call("map_event", integration.vendor, (event, rule, integration)),
        )

    def build_request(self, payloads: Sequence[Payload], integration: Integration) -> Request:
        request = self._call("build_request", integration.vendor, (payloads, integration))
        if not isinstance(request, Request):
            raise TypeError(f"no plugin built a request for vendor {integration.vendor!r}")
        return request

    def authorize_request(
        self, request: Request, integration: Integration, transport: Transport
    ) -> Request:
        result = self._call(
            "authorize_request", integration.vendor, (request, integration, transport)
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
            self._call(
                "classify_response", integration.vendor, (request, response, error, integration)
            ),
        )
