"""What datasets and transforms share: case-blind names, one check that names every unknown
option (with a did-you-mean), and one-line errors for options with bad values.

Datasets and transforms are written by hand in configs (`MNIST`, `Normalize`), so their names
ignore case: a registry folds case where names go in (register) and where they come out
(lookup), so anything registered can be found again.

>>> check_options("dataset 'spirals'", load_spirals, {"sede": 1}, skip=("root", "split"))
Traceback (most recent call last):
gradcli.errors.DataError: dataset 'spirals': unknown option 'sede'; did you mean 'seed'? ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from gradcli.registry import Registry, unknown_name

from .errors import DataError

T = TypeVar("T")


def _fold(name: object) -> object:
    # Non-strings pass through so the base class reports them as it always has.
    return name.lower() if isinstance(name, str) else name


class CaseBlindRegistry(Registry[T]):
    """A Registry whose names ignore case; names are stored (and listed) in lower case."""

    def register(self, name: str, entry: T | None = None, *, aliases: Iterable[str] = ()):
        return super().register(_fold(name), entry, aliases=[_fold(a) for a in aliases])

    def canonical(self, name: str) -> str:
        key = _fold(name)
        if key in self._entries or key in self._aliases:
            return super().canonical(key)
        return super().canonical(name)  # raises, naming `name` as the user wrote it

    def __contains__(self, name: object) -> bool:
        return super().__contains__(_fold(name))


def check_options(
    what: str, fn: Callable[..., Any], options: Mapping[str, Any], skip: Collection[str] = ()
) -> None:
    """Raise a one-line DataError when `options` holds a keyword that `fn` does not take.

    `what` names the component in the message ("dataset 'spirals'", "data.transforms[0]
    (scale)"); `skip` lists parameters that are not options (a loader's root and split).
    """
    params = inspect.signature(fn).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return  # takes anything: the component checks its own options
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    allowed = [p.name for p in params if p.kind in named and p.name not in skip]
    unknown = [str(k) for k in options if k not in allowed]
    if not unknown:
        return
    if not allowed:
        raise DataError(f"{what} takes no options; remove {', '.join(map(repr, unknown))}")
    more = f"; also unknown: {', '.join(unknown[1:])}" if len(unknown) > 1 else ""
    raise DataError(f"{what}: {unknown_name('option', unknown[0], allowed)}{more}")


class BadOption(DataError):
    """A transform option with a bad value; `build_transforms` says where in the config it is."""

    def __init__(self, transform: str, option: str, problem: str) -> None:
        self.detail = f"{option} {problem}"
        super().__init__(f"transform {transform!r}: {self.detail}")


def positive_number(transform: str, option: str, value: Any) -> float:
    # bool is an int to Python, but `max_value: true` is a mistake, not 1.0
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise BadOption(transform, option, f"must be a number > 0, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise BadOption(transform, option, f"must be a finite number > 0, got {value!r}")
    return float(value)


def numbers(transform: str, option: str, value: Any) -> np.ndarray:
    """A number or a flat list of numbers as float64; anything else (strings, ragged or nested
    lists) is a BadOption naming `option`."""
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged nesting
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf" or arr.ndim > 1 or arr.size == 0:
        raise BadOption(transform, option, f"must be a number or a list of numbers, got {value!r}")
    return arr.astype(np.float64)


def parse_list(spec: Any, key: str, registry: Registry, kind: str, shorthand: bool):
    """The entries of a config list such as `data.transforms`, as (where, class, options).

    An entry is `"name"`, `{type: name, **options}` or, as layers are written, `{name:
    {options}}`; with `shorthand`, `{name: value}` sets the first option. Names are looked up
    and options checked here, every error naming `key[i] (name)`.
    """
    for i, item in enumerate([spec] if isinstance(spec, (str, dict)) else spec):
        try:
            name, options = _name_and_options(item, registry, kind, shorthand)
            cls = registry.get(name)
        except DataError as exc:
            raise DataError(f"{key}[{i}]: {exc}") from None
        where = f"{key}[{i}] ({cls.name})"
        yield where, cls, options


def construct(where: str, cls: type[T], options: dict[str, Any]) -> T:
    """`cls(**options)`, with any complaint about a value as one DataError naming `where`."""
    check_options(where, cls, options)
    try:
        return cls(**options)
    except BadOption as exc:
        raise DataError(f"{where}: {exc.detail}") from None
    except (TypeError, ValueError) as exc:
        # A component registered elsewhere that does not check its own options.
        given = ", ".join(f"{k}={v!r}" for k, v in options.items())
        raise DataError(f"{where}: bad option value ({given}): {exc}") from None


def _name_and_options(item, registry, kind: str, shorthand: bool) -> tuple[str, dict]:
    if isinstance(item, str):
        return item, {}
    if not isinstance(item, dict):
        raise DataError(f"expected a name or a mapping, got {item!r}")
    options = dict(item)
    if "type" in options:
        return str(options.pop("type")), options
    if len(options) == 1:
        ((name, value),) = options.items()
        if value is None or isinstance(value, dict):
            return str(name), dict(value or {})
        params = list(inspect.signature(registry.get(str(name))).parameters)
        if not params:
            raise DataError(f"{name} takes no options; write just {name}")
        if shorthand:
            return str(name), {params[0]: value}
        raise DataError(
            f"give {name}'s options by name, e.g. {{{name}: {{{params[0]}: {value!r}}}}}"
        )
    raise DataError(
        f"cannot tell the {kind} in {item!r}; write {{type: NAME, option: value}}, "
        "{NAME: {option: value}} or just NAME"
    )
