"""One way to register a swappable strategy (fusion, embedder loader, clustering method, ANN backend, ...):
a name -> factory registry that validates names, so an unknown name is an error listing the choices,
never a silent fallback. Neutral like settings: it imports nothing of the package, so every layer may use it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownStrategy(ValueError):
    """A name no registry entry answers to; the message lists the valid names."""


class Registry(Generic[T]):
    """Names -> factories (or plain strategy functions) of one kind, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form: `@FUSIONS.register("rrf")`."""
        def add(factory: T) -> T:
            self.add(name, factory)
            return factory
        return add

    def add(self, name: str, factory: T) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = factory

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownStrategy(f"unknown {self.kind} {name!r}; choose one of {', '.join(self.names())}") from None

    def validate(self, name: str) -> str:
        """The name itself when registered (for settings and request validators)."""
        self.get(name)
        return name

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
