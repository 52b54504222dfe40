"""Contribution points: how a feature lets the features built on it add to its pages and its writes.

A feature never imports a feature above it, not even inside a function (tests/core/test_import_cycles.py):
clients is below visits, reports and network; visits is below crisis, network and outreach. Where the lower
feature needs what a higher one knows, it defines a ``Hook`` (or, for one provider, a ``Slot``) in its
``contributions`` module, and the higher feature registers on it when its module is imported; the app
factory imports every feature, so in the app each hook holds all its contributions.
"""

from collections.abc import Callable, Iterator
from typing import Any


class Hook:
    """Functions registered by features above, called in the order they first registered.

    A function is known by its module and name, so importing a module again (a reload) replaces what it
    registered instead of adding it twice.
    """

    def __init__(self, name: str):
        self.name = name
        self._functions: dict[tuple[str, str], Callable] = {}

    def register(self, function: Callable) -> Callable:
        """Add ``function`` (usable as a decorator)."""
        self._functions[(function.__module__, function.__qualname__)] = function
        return function

    def __iter__(self) -> Iterator[Callable]:
        return iter(list(self._functions.values()))

    def __call__(self, *args, **kwargs) -> list:
        """Every contribution's answer, in order."""
        return [function(*args, **kwargs) for function in self]

    def context(self, *args, **kwargs) -> dict:
        """The contributions' template variables (each function returns a dict), merged in order."""
        merged: dict = {}
        for answer in self(*args, **kwargs):
            merged.update(answer)
        return merged

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} registered>"


class Slot:
    """One provider, registered by the feature above that owns the behaviour (the last registration wins)."""

    def __init__(self, name: str):
        self.name = name
        self._provider: Any = None

    def provide(self, provider: Any) -> Any:
        self._provider = provider
        return provider

    def get(self) -> Any:
        if self._provider is None:
            raise LookupError(f"nothing provides {self.name}: the app factory imports the feature that does")
        return self._provider

    def __repr__(self) -> str:
        return f"<Slot {self.name}: {self._provider!r}>"
