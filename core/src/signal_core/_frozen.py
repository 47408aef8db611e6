"""A base for the small immutable values built on the hot path.

Frozen dataclasses assign each field through ``object.__setattr__`` on every
construction (about 0.5 µs for five fields); a ``__slots__`` class that writes
its slots through their descriptors costs half of that and stays immutable:
assignment and deletion raise :class:`dataclasses.FrozenInstanceError`, as
before. Equality, hashing, ``repr`` and pickling follow the dataclass rules,
over ``_fields`` (constructor order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar


class Frozen:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()  # constructor order; subclasses set it

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            assert isinstance(other, Frozen)
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"


def setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot descriptors' ``__set__``, in ``_fields`` order (bypasses ``__setattr__``)."""
    fields: tuple[str, ...] = cls.__dict__["_fields"]
    return tuple(cls.__dict__[name].__set__ for name in fields)
