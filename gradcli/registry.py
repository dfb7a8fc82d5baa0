"""One small registry per kind of named component (layer, loss, dataset, callback, ...).

A registry maps a name to an entry (usually a class or a function). An unknown name is an
error that lists the known names and suggests the closest, never a silent default.

>>> LOSSES = Registry("loss")
>>> @LOSSES.register("mse")
... class MSE: ...
>>> LOSSES.get("mse") is MSE, list(LOSSES)
(True, ['mse'])
>>> LOSSES.get("mes")
Traceback (most recent call last):
gradcli.errors.ConfigError: unknown loss 'mes'; did you mean 'mse'? (known: mse)

Imports nothing but the standard library and `gradcli.errors`, so any module may use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from gradcli.errors import ConfigError, GradcliError

T = TypeVar("T")


def did_you_mean(word: object, choices: Iterable[object]) -> str | None:
    """The choice closest to `word`, if any is close enough to be a likely typo."""
    best = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return best[0] if best else None


def unknown_name(kind: str, name: object, names: Iterable[str], hint: str | None = None) -> str:
    """`unknown layer 'rleu'; did you mean 'relu'? (known: linear, relu)`, the one wording
    for every unknown component name (registry lookups and config validation alike)."""
    names = list(names)
    known = ", ".join(names) or "none registered"
    hint = hint if hint is not None else did_you_mean(name, names)
    if hint:
        return f"unknown {kind} {str(name)!r}; did you mean {hint!r}? (known: {known})"
    return f"unknown {kind} {str(name)!r}; choose one of {known}"


class Registry(Generic[T]):
    """Names -> entries for one kind of component.

    `kind` names the component in errors ("unknown layer 'linaer'"); `error` is the typed error
    an unknown name raises (ConfigError by default: exit 2; a dataset registry may pass
    DataError). `version` changes on every (un)registration, so caches built from the entries
    (the config schema) know when to rebuild.
    """

    def __init__(self, kind: str, error: type[GradcliError] = ConfigError):
        self.kind = kind
        self.error = error
        self.version = 0
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self, name: str, entry: T | None = None, *, aliases: Iterable[str] = ()
    ) -> Callable[[T], T] | T:
        """Add `entry` under `name`; without `entry`, a decorator that adds what it decorates.

        Aliases resolve in `get` but are not listed. A name already taken is a ValueError: two
        components with one name would make the config ambiguous.
        """
        aliases = tuple(aliases)

        def add(entry: T) -> T:
            for n in (name, *aliases):
                if not isinstance(n, str) or not n:
                    raise ValueError(f"{self.kind} registry: a name must be a non-empty string")
                if n in self._entries or n in self._aliases:
                    raise ValueError(f"{self.kind} {n!r} is already registered")
            self._add(name, entry)
            self._aliases.update(dict.fromkeys(aliases, name))
            self.version += 1
            return entry

        return add if entry is None else add(entry)

    def _add(self, name: str, entry: T) -> None:
        """Store one entry (subclasses may also tell the entry its name)."""
        self._entries[name] = entry

    def unregister(self, name: str) -> T:
        """Remove `name` and its aliases; return its entry."""
        key = self.canonical(name)
        entry = self._entries.pop(key)
        self._aliases = {a: n for a, n in self._aliases.items() if n != key}
        self.version += 1
        return entry

    @contextmanager
    def temporarily(self, name: str, entry: T, *, aliases: Iterable[str] = ()) -> Iterator[T]:
        """Register `entry` for the duration of a `with` block (tests, one-off experiments)."""
        self.register(name, entry, aliases=aliases)
        try:
            yield entry
        finally:
            self.unregister(name)

    def canonical(self, name: str) -> str:
        """The registered name `name` stands for (itself or an alias's target)."""
        if isinstance(name, str) and name in self._entries:
            return name
        if isinstance(name, str) and name in self._aliases:
            return self._aliases[name]
        hint = did_you_mean(name, [*self._entries, *self._aliases])
        hint = self.canonical(hint) if hint else None
        raise self.error(unknown_name(self.kind, name, self._entries, hint))

    def get(self, name: str) -> T:
        """The entry registered as `name`; an unknown name raises `self.error`."""
        return self._entries[self.canonical(name)]

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._aliases)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
